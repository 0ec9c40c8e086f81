"""Plan YouTube quota use over a show: a pure, clock-injected daily budget and poll pacing.

YouTube gives a project 10,000 units a day and each chat read costs 5, so polling at the
server's suggested interval burns the day in a few hours. The planner spreads the reads that
the budget affords (after a reserve for replies) over the rest of the planned show, widens the
interval when the budget runs tight, stops reading rather than spend the reserve, and resets
at midnight in the quota's time zone (America/Los_Angeles).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from connectors.youtube.config import QuotaSettings

_LOGGER = logging.getLogger(__name__)


class Spend(StrEnum):
    """What a call was for: reads are paced, replies draw on the reserve first."""

    READ = "read"
    REPLY = "reply"
    LOOKUP = "lookup"


@dataclass(slots=True)
class _Day:
    day: date
    reads: int = 0
    replies: int = 0
    lookups: int = 0
    exhausted: bool = False

    @property
    def spent(self) -> int:
        return self.reads + self.replies + self.lookups


class QuotaPlanner:
    """Track today's spend and decide how often the chat may be read.

    Args:
        settings: budget, per-call costs, reserve and planned show length.
        clock: returns the current aware datetime (injected; tests drive it).
    """

    def __init__(self, settings: QuotaSettings, *, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self._clock = clock
        self._zone = ZoneInfo(settings.reset_timezone)
        self._today = _Day(self._local_day(clock()))
        self._show_start: datetime | None = None
        self._show_replies = 0
        self._planned_minutes = settings.planned_show_minutes

    # --- clock and day ------------------------------------------------------------------

    def _local_day(self, now: datetime) -> date:
        return now.astimezone(self._zone).date()

    def _roll(self) -> datetime:
        now = self._clock()
        day = self._local_day(now)
        if day != self._today.day:
            _LOGGER.info("youtube quota: new day %s, budget reset", day)
            self._today = _Day(day)
        return now

    def next_reset(self) -> datetime:
        """Return the next midnight in the quota's zone (aware; compare with the clock)."""
        now = self._roll()
        midnight = datetime.combine(self._today.day + timedelta(days=1), time(0), self._zone)
        return midnight.astimezone(now.tzinfo) if now.tzinfo else midnight

    def seconds_until_reset(self) -> float:
        """Seconds from now until the daily budget renews."""
        now = self._roll()
        return max(0.0, (self.next_reset() - now).total_seconds())

    # --- spending -----------------------------------------------------------------------

    @property
    def remaining(self) -> int:
        """Units left today (0 once YouTube said ``quotaExceeded``)."""
        self._roll()
        if self._today.exhausted:
            return 0
        return max(0, self.settings.daily_budget - self._today.spent)

    @property
    def reserve_left(self) -> int:
        """Units still held back for replies (always enough for at least one reply)."""
        self._roll()
        left = self.settings.reply_reserve - self._today.replies
        return max(left, self.settings.cost_insert)

    def charge(self, kind: Spend, units: int) -> None:
        """Record ``units`` spent on one call of ``kind``."""
        self._roll()
        if kind is Spend.READ:
            self._today.reads += units
        elif kind is Spend.REPLY:
            self._today.replies += units
            if self._show_start is not None:
                self._show_replies += units
        else:
            self._today.lookups += units

    def mark_exhausted(self) -> None:
        """YouTube answered ``quotaExceeded``: spend nothing more until the reset."""
        self._roll()
        self._today.exhausted = True

    def can_send(self, parts: int = 1) -> bool:
        """Whether ``parts`` inserts fit in what is left today."""
        return self.remaining >= self.settings.cost_insert * parts

    # --- pacing -------------------------------------------------------------------------

    def start_show(self) -> None:
        """Start the planned show now (reads are spread from here); idempotent."""
        if self._show_start is None:
            self._show_start = self._roll()
            self._show_replies = 0

    def plan_show(self, minutes: float) -> None:
        """Start a show of ``minutes`` now (the app's show control knows its real length)."""
        if minutes <= 0:
            raise ValueError("a show lasts a positive number of minutes")
        self._show_start = self._roll()
        self._show_replies = 0
        self._planned_minutes = minutes

    def reply_projection(self, horizon: float) -> int:
        """Units the replies will need over the next ``horizon`` seconds, at this show's pace.

        Zero during the first ``settings.projection_after_minutes`` of the show (too early to
        tell); the pace is the units spent on replies since the show started.
        """
        if self._show_start is None:
            return 0
        elapsed = (self._clock() - self._show_start).total_seconds()
        if elapsed < self.settings.projection_after_minutes * 60 or self._show_replies <= 0:
            return 0
        return int(self._show_replies / elapsed * horizon)

    def reads_affordable(self, horizon: float = 0.0) -> int:
        """Reads left today without touching what replies need.

        Replies keep the larger of the reserve left and the projection of their pace over the
        ``horizon`` (seconds of show still to read).
        """
        held = max(self.reserve_left, self.reply_projection(horizon))
        budget = self.remaining - held
        return max(0, budget // self.settings.cost_list)

    def _horizon(self, now: datetime) -> float:
        """Seconds of show still to read (0 before the show starts)."""
        if self._show_start is None:
            return 0.0
        show_end = self._show_start + timedelta(minutes=self._planned_minutes)
        horizon = (show_end - now).total_seconds()
        if horizon <= 0:  # running past the plan: budget the next stretch
            horizon = self.settings.overrun_minutes * 60
        return min(horizon, self.seconds_until_reset())

    def reply_units(self) -> int:
        """Units replies may spend today without taking what the read plan gives the reads.

        The read plan leaves replies the larger of the reserve left and the projection of their
        pace over the rest of the show (:meth:`reads_affordable`); never more than remains.
        """
        now = self._roll()
        held = max(self.reserve_left, self.reply_projection(self._horizon(now)))
        return min(self.remaining, held)

    def sends_left(self) -> int:
        """Inserts the replies can still afford today (the connector's send budget)."""
        return self.reply_units() // self.settings.cost_insert

    def read_interval(self, server_hint: float | None = None) -> float | None:
        """Return seconds to wait before the next read, or None to pause until the reset.

        Args:
            server_hint: the page's ``pollingIntervalMillis`` in seconds; never polled faster.
        """
        now = self._roll()
        self.start_show()
        horizon = self._horizon(now)
        reads = self.reads_affordable(horizon)
        if reads <= 0:
            return None
        interval = horizon / reads
        return max(interval, self.settings.min_interval_seconds, server_hint or 0.0)

    # --- reporting and persistence ------------------------------------------------------

    def detail(self) -> str:
        """Return a short note for the health detail, e.g. ``quota_left=8150``."""
        return f"quota_left={self.remaining}"

    def dump(self) -> str:
        """Serialise today's spend (for a restart on the same day)."""
        t = self._today
        return f"{t.day.isoformat()} {t.reads} {t.replies} {t.lookups} {int(t.exhausted)}"

    def load(self, text: str | None) -> None:
        """Restore a :meth:`dump` from the same day; other days or bad text are ignored."""
        if not text:
            return
        try:
            day_s, reads, replies, lookups, exhausted = text.split()
            saved = _Day(date.fromisoformat(day_s), int(reads), int(replies), int(lookups))
            saved.exhausted = exhausted == "1"
        except ValueError:
            _LOGGER.warning("youtube quota: ignoring unreadable saved spend %r", text)
            return
        self._roll()
        if saved.day == self._today.day:
            self._today = saved


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamPlan:
    """What a day's quota buys a show read by streamList, for one stream lifetime.

    ``lifetime`` is how long YouTube keeps one stream open (None: for the whole broadcast;
    one report saw streams close after about 10 s). Each connection costs a list's units.
    """

    show_minutes: float
    lifetime: float | None
    connections: int  # connections the show makes
    read_units: int
    reply_units: int  # what is left for replies
    connect_every: float  # seconds between connections
    coverage: float  # share of the show with a stream open (1.0: always)
    full_minutes: float  # minutes of show with a stream always open before the budget runs out

    @property
    def reply_share(self) -> float:
        """Share of the day's budget left for replies."""
        total = self.read_units + self.reply_units
        return self.reply_units / total if total else 0.0

    @property
    def longest_gap(self) -> float:
        """Seconds without a stream between two connections (0 when always open)."""
        if self.lifetime is None:
            return 0.0
        return max(0.0, self.connect_every - self.lifetime)

    def note(self) -> str:
        """One line for the host, before the show."""
        life = (
            "streams open for the broadcast"
            if self.lifetime is None
            else (f"streams closing every {self.lifetime:g} s")
        )
        text = (
            f"{life}: {self.connections} connections, {self.read_units} units, "
            f"{self.reply_share:.0%} of the day left for replies"
        )
        if self.coverage < 1:
            text += (
                f"; chat is live {self.coverage:.0%} of the time (a stream every "
                f"{self.connect_every:.1f} s, gaps up to {self.longest_gap:.1f} s; a stream"
                f" always open would last {self.full_minutes:.0f} of {self.show_minutes:.0f} min)"
            )
        return text


RECONNECTS_PER_HOUR = 1  # a stream kept open still drops now and then: budget one an hour
STREAM_REPLY_SHARE = 0.30  # a streamed show keeps at least this share of the day for replies


def stream_quota(settings: QuotaSettings) -> QuotaSettings:
    """The quota settings of a show read by streamList: the reply reserve raised to at least
    :data:`STREAM_REPLY_SHARE` of the day (connections are cheap when streams stay open, and
    when they close early the plan spreads them rather than starve the replies)."""
    floor = math.ceil(settings.daily_budget * STREAM_REPLY_SHARE)
    if settings.reply_reserve >= floor:
        return settings
    return settings.model_copy(update={"reply_reserve": floor})


def stream_plan(settings: QuotaSettings, show_minutes: float, lifetime: float | None) -> StreamPlan:
    """Plan a show of ``show_minutes`` read by streamList within one day's budget.

    The reads may spend what the reply reserve leaves (as the polling plan does); when a stream
    lifetime asks for more connections than that, connections are spread evenly over the show,
    so chat comes in bursts with gaps between them.
    """
    settings = stream_quota(settings)
    seconds = show_minutes * 60
    cost = settings.cost_list
    affordable = max(1, (settings.daily_budget - settings.reply_reserve) // cost)
    if lifetime is None:
        wanted = 1 + math.ceil(show_minutes / 60 * RECONNECTS_PER_HOUR)
    else:
        wanted = math.ceil(seconds / lifetime)
    connections = min(wanted, affordable)
    every = seconds / connections if lifetime is not None else seconds
    coverage = 1.0 if lifetime is None else min(1.0, lifetime / every)
    full = show_minutes if coverage >= 1 else (affordable * (lifetime or 0)) / 60
    read_units = connections * cost
    return StreamPlan(
        show_minutes=show_minutes,
        lifetime=lifetime,
        connections=connections,
        read_units=read_units,
        reply_units=settings.daily_budget - read_units,
        connect_every=lifetime if coverage >= 1 and lifetime is not None else every,
        coverage=coverage,
        full_minutes=full,
    )
