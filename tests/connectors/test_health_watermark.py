"""Health's delivery watermark: stored, forward-only, and a live allowance for push streams."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.status import Health, Status

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        ([], None),
        ([1.0], at(1.0)),
        ([1.0, 3.0], at(3.0)),
        ([3.0, 1.0], at(3.0)),  # never backwards
        ([2.0, 2.0], at(2.0)),
    ],
)
def test_delivered_only_moves_forward(marks: list[float], expected: datetime | None) -> None:
    health = Health("x", clock=lambda: T0)
    for mark in marks:
        health.delivered(at(mark))
    assert health.delivered_until == expected
    assert health.watermark() == expected
    assert health.snapshot()["delivered_until"] == (expected.isoformat() if expected else None)


@pytest.mark.parametrize(
    ("status", "allowance", "stored", "expected"),
    [
        (Status.OK, 0.25, None, at(9.75)),
        (Status.OK, 0.25, 9.9, at(9.9)),  # the stored mark is later
        (Status.OK, None, 5.0, at(5.0)),  # not live
        (Status.RECONNECTING, 0.25, 5.0, at(5.0)),  # live only counts while ok
        (Status.RECONNECTING, 0.25, None, None),
    ],
)
def test_live_allowance(
    status: Status, allowance: float | None, stored: float | None, expected: datetime | None
) -> None:
    health = Health("x", clock=lambda: at(10.0))
    health.set(status)
    health.live(allowance)
    if stored is not None:
        health.delivered(at(stored))
    assert health.watermark() == expected
    assert health.delivered_until == (at(stored) if stored is not None else None)


@pytest.mark.parametrize(
    ("pushed", "stored", "expected"),
    [
        (None, 3.0, at(9.5)),  # never reported a push: the plain live rule
        (9.9, 3.0, at(3.0)),  # pushed 0.1 s ago: a burst may still be arriving
        (9.5, 3.0, at(9.5)),  # quiet for the whole allowance: now minus it
        (2.0, 8.0, at(9.5)),  # long quiet
        (9.8, 9.6, at(9.6)),  # busy, the newest item proved is what counts
    ],
)
def test_a_busy_push_stream_counts_only_what_it_proved(
    pushed: float | None, stored: float, expected: datetime
) -> None:
    health = Health("x", clock=lambda: at(10.0))
    health.set(Status.OK)
    health.live(0.5)
    health.delivered(at(stored))
    if pushed is not None:
        health.pushed(at(pushed))
    assert health.watermark() == expected
