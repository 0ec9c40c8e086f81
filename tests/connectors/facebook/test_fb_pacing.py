"""The backfill cadence plan: whole seconds, Graph's usage headers, capped streams (tables)."""

from __future__ import annotations

import pytest

from connectors.facebook import FacebookConfig
from connectors.facebook.pacing import (
    SATURATED,
    BackfillPlan,
    plan_of,
    usage_multiplier,
    usage_percent,
)

PLAN = BackfillPlan(step=1.0, offset=0.1, burst=0.5)


@pytest.mark.parametrize(
    ("usage", "multiplier"),
    [
        (None, 1.0),
        (0, 1.0),
        (49, 1.0),
        (50, 2.0),
        (74, 2.0),
        (75, 4.0),
        (89, 4.0),
        (90, 8.0),
        (94, 8.0),
        (95, SATURATED),
        (100, SATURATED),
        (250, SATURATED),  # over the limit: Graph reports past 100
    ],
)
def test_usage_multiplier(usage: int | None, multiplier: float) -> None:
    assert usage_multiplier(usage) == multiplier


@pytest.mark.parametrize(
    ("step", "usage", "period"),
    [
        (1.0, None, 1.0),
        (1.0, 60, 2.0),
        (1.0, 80, 4.0),
        (1.5, 0, 2.0),  # a second or more: whole seconds (a proof moves per second)
        (0.3, 0, 0.3),  # under a second: as asked (tests, emulators)
        (0.3, 60, 0.6),
        (0.3, 80, 2.0),  # 1.2 s stretched to whole seconds
        (2.0, 96, 60.0),
    ],
)
def test_period(step: float, usage: int | None, period: float) -> None:
    assert BackfillPlan(step=step).period(usage) == pytest.approx(period)


@pytest.mark.parametrize(
    ("now", "kwargs", "wait"),
    [
        # just after each whole second, one second after the last round's second
        (100.30, {"last_start": 100.10}, 0.80),
        (100.95, {"last_start": 100.10}, 0.15),
        (100.05, {"last_start": 99.95}, 0.05),  # a round started late in 99: 100.1 is next
        (100.05, {"last_start": 100.02}, 1.05),  # never twice in one second
        (101.50, {"last_start": 100.10}, 0.0),  # late: start now
        (100.30, {}, 0.80),  # no round yet: from now
        # usage stretches the period; a rate-limit answer's wait wins
        (100.30, {"last_start": 100.10, "usage_pct": 60}, 1.80),
        (100.30, {"last_start": 100.10, "usage_pct": 97}, 29.80),
        (100.30, {"last_start": 100.10, "penalty": 60.0}, 60.0),
        (100.30, {"last_start": 100.10, "penalty": 60.0, "capped": True}, 60.0),
        # a capped stream is dropping comments: sooner while usage is low
        (100.30, {"last_start": 100.10, "capped": True}, 0.50),
        (100.95, {"last_start": 100.10, "capped": True}, 0.15),
        (100.30, {"last_start": 100.10, "capped": True, "usage_pct": 80}, 3.80),
        # a round that stopped at its page cap goes on at once, unless usage is high
        (100.30, {"last_start": 100.10, "resume": True}, 0.0),
        (100.30, {"last_start": 100.10, "resume": True, "usage_pct": 80}, 3.80),
    ],
)
def test_delay(now: float, kwargs: dict[str, object], wait: float) -> None:
    assert PLAN.delay(now, **kwargs) == pytest.approx(wait)  # type: ignore[arg-type]


def test_sub_second_steps_are_not_aligned() -> None:
    plan = BackfillPlan(step=0.3)
    assert plan.delay(100.45, last_start=100.40) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({}, None),
        ({"x-app-usage": 3}, 3),
        ({"x-app-usage": 3, "x-business-use-case-usage": 71}, 71),
    ],
)
def test_usage_percent(usage: dict[str, int], expected: int | None) -> None:
    assert usage_percent(usage) == expected


def test_plan_of_reads_the_settings() -> None:
    config = FacebookConfig(
        backfill_interval_seconds=2.0, backfill_offset_seconds=0.2, burst_backfill_seconds=0.4
    )
    assert plan_of(config) == BackfillPlan(step=2.0, offset=0.2, burst=0.4)
    assert plan_of(FacebookConfig()).period(None) == 1.0  # the default: a proof a second
