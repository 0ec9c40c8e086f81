"""The shared fake clock: its wall and monotonic views move together, and only by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support.clock import MONOTONIC_START, T0, FakeClock


async def test_sleeps_record_and_advance_both_views() -> None:
    clock = FakeClock()
    await clock.sleep(1.5)
    clock.sleep_sync(0.25)
    clock.sleep_sync(-1.0)  # a negative sleep is recorded but never moves time back
    assert clock.sleeps == [1.5, 0.25, -1.0]
    assert clock() == clock.now == T0 + timedelta(seconds=1.75)
    assert clock.monotonic() == MONOTONIC_START + 1.75


def test_setting_now_moves_the_monotonic_clock_with_it() -> None:
    clock = FakeClock(datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now == datetime(2026, 1, 1, 10, 0, tzinfo=UTC) and clock.now.tzinfo is UTC
    clock.now = clock.now + timedelta(minutes=1, microseconds=7)
    assert clock.monotonic() == pytest.approx(MONOTONIC_START + 60.000007)
    assert clock.now == datetime(2026, 1, 1, 10, 1, 0, 7, tzinfo=UTC)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 1, 1))  # naive: the point of the test
    clock = FakeClock()
    with pytest.raises(ValueError, match="aware"):
        clock.now = datetime(2026, 1, 1)
