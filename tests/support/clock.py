"""One fake clock for the whole suite: a UTC wall clock and a monotonic clock that move together,
only when a test moves them (``advance``, setting ``now``) or something sleeps on them.

Pass the instance where a ``Callable[[], datetime]`` is wanted, ``clock.monotonic`` where a
``Callable[[], float]`` is, ``clock.sleep`` for an async sleep and ``clock.sleep_sync`` for a
blocking one. Sleeps never wait: they record the seconds asked in ``sleeps`` and advance.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
MONOTONIC_START = 1000.0


class FakeClock:
    """Time that moves only by hand; ``now`` (UTC) and ``monotonic()`` always agree.

    The elapsed time is kept as float seconds, so the monotonic side is exact; ``now`` is
    ``start`` plus that (rounded to microseconds, as datetimes are).
    """

    def __init__(self, now: datetime = T0, *, monotonic_start: float = MONOTONIC_START) -> None:
        if now.utcoffset() is None:
            raise ValueError("a fake clock starts at an aware (UTC) time")
        self.start = now.astimezone(UTC)
        self.monotonic_start = monotonic_start
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    @property
    def now(self) -> datetime:
        """The current UTC time."""
        return self.start + timedelta(seconds=self.elapsed)

    @now.setter
    def now(self, value: datetime) -> None:
        if value.utcoffset() is None:
            raise ValueError("a fake clock is set to aware (UTC) times only")
        self.elapsed = (value - self.start).total_seconds()

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        """Monotonic seconds (starting at ``monotonic_start``)."""
        return self.monotonic_start + self.elapsed

    def advance(self, seconds: float) -> None:
        """Move both clocks on by ``seconds``."""
        self.elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        """Record the sleep, advance, and let other tasks run once (never waits)."""
        self.sleep_sync(seconds)
        await asyncio.sleep(0)

    def sleep_sync(self, seconds: float) -> None:
        """A blocking sleep's double: record the seconds asked and advance."""
        self.sleeps.append(seconds)
        self.advance(max(0.0, seconds))
