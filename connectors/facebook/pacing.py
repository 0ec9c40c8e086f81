"""When the next ``/comments`` backfill starts: the cadence of Facebook's delivery proof (pure).

Only a completed backfill moves Facebook's delivery watermark, so its cadence is the price the
fairness gate pays on every other platform. Two facts set the plan:

* ``created_time`` counts whole seconds, and a query that started at second ``S`` proves
  delivery up to ``S + 0.5`` (:func:`connectors.facebook.translate.backfill_watermark`). Two
  queries started in the same second prove the same thing, so the plan starts one just after
  each whole second (``offset`` past it) instead of every ``step`` seconds from wherever the
  last one ended: with ``step`` 1 s the watermark moves every second, at one call a second.
* Meta publishes no per-second figure for Pages calls. Calls with a Page token count against
  the Page's Business Use Case budget, "Calls within 24 hours = 4800 * Number of Engaged
  Users" over a rolling 24 h, reported as a percentage of it in ``X-Business-Use-Case-Usage``
  (``call_count``, ``total_time``, ``total_cputime``); at 100 % every Pages call fails (#80001,
  or #32 on the older page-level limit) until ``estimated_time_to_regain_access``
  (developers.facebook.com/docs/graph-api/overview/rate-limiting; 2016 blog "Page-level rate
  limits"). The same budget pays the public replies, and other apps using the Page's token
  share it. So the plan reads the highest percentage the last answer reported and stretches
  the cadence as it climbs (:data:`USAGE_TIERS`), keeping the budget for replies rather than
  spending it on faster proof.

While the stream delivers at its ``comment_rate`` cap it is dropping comments: a round comes
``burst`` seconds later (sooner than the next whole second) while usage is low, so the drops
reach the app sooner; a round that stopped at its page cap goes on at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.facebook.config import FacebookConfig

USAGE_TIERS: tuple[tuple[int, float], ...] = ((50, 1.0), (75, 2.0), (90, 4.0), (95, 8.0))
"""(usage % below which, cadence multiplier); at or above the last, :data:`SATURATED`."""
SATURATED = 30.0
"""Multiplier once 95 % of the budget is used: a proof every half minute or so, the rest of
the budget left to the replies (at 100 % Graph refuses every Pages call)."""
BURST_BELOW = 75
"""Under this usage a capped stream gets its extra round (and a capped round goes on at once)."""


def usage_multiplier(usage_pct: int | None) -> float:
    """The cadence multiplier for the budget share used (None: no header seen yet = 0 %)."""
    used = usage_pct or 0
    for below, multiplier in USAGE_TIERS:
        if used < below:
            return multiplier
    return SATURATED


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillPlan:
    """The cadence settings: ``step`` seconds between rounds at low usage, started ``offset``
    seconds past a whole second when the period is a second or more, ``burst`` seconds after
    the stream reached its cap."""

    step: float
    offset: float = 0.1
    burst: float = 0.5

    def period(self, usage_pct: int | None) -> float:
        """Seconds between two proofs at this usage (what the connector declares)."""
        period = self.step * usage_multiplier(usage_pct)
        return float(math.ceil(period)) if period >= 1.0 else period

    def delay(
        self,
        now: float,
        *,
        last_start: float | None = None,
        usage_pct: int | None = None,
        capped: bool = False,
        resume: bool = False,
        penalty: float = 0.0,
    ) -> float:
        """Seconds from ``now`` until the next round starts.

        Args:
            now: the wall clock (unix seconds), whose whole seconds ``created_time`` counts.
            last_start: when the last round's query started (None: none yet).
            usage_pct: the highest usage percentage Graph last reported.
            capped: the stream is delivering at its ``comment_rate`` cap (dropping).
            resume: the last round stopped at its page cap with pages left.
            penalty: Graph asked us to wait this long (a rate-limit answer); it wins.
        """
        if penalty > 0:
            return penalty
        used = usage_pct or 0
        if resume and used < BURST_BELOW:
            return 0.0
        period = self.period(usage_pct)
        since = now if last_start is None else last_start
        # a second or more: ``offset`` past the whole second one period after the last start's
        start = since + period if period < 1.0 else math.floor(since) + period + self.offset
        wait = start - now
        if capped and used < BURST_BELOW:
            wait = min(wait, self.burst)
        return max(0.0, wait)


def plan_of(config: FacebookConfig) -> BackfillPlan:
    """The plan the ``[connectors.facebook]`` settings ask for."""
    return BackfillPlan(
        step=config.backfill_interval_seconds,
        offset=config.backfill_offset_seconds,
        burst=config.burst_backfill_seconds,
    )


def usage_percent(usage: Mapping[str, int]) -> int | None:
    """The highest percentage of any usage header of the last answer (None: none sent).

    With a Page token BUC applies, but an answer may carry ``X-App-Usage`` too; the higher
    share is the one that throttles first.
    """
    return max(usage.values()) if usage else None
