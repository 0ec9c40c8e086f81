"""Test doubles for the show machinery: a fake monotonic clock and a scripted connector."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connectors.events import Reply, SendResult
from connectors.limits import PlatformLimits

TWITCH = PlatformLimits(
    max_messages=20,
    window_seconds=30.0,
    max_chars=500,
    duplicate_window_seconds=30.0,
    threads=True,
)
YOUTUBE = PlatformLimits(max_messages=30, window_seconds=30.0, max_chars=200)
SLOW = PlatformLimits(max_messages=100, window_seconds=30.0, max_chars=500, min_interval_seconds=3)


class FakeClock:
    """Monotonic seconds that move only when someone sleeps on them."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.epoch = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)

    def __call__(self) -> float:
        return self.now

    def wall(self) -> datetime:
        """The UTC time matching :attr:`now`."""
        return self.epoch + timedelta(seconds=self.now)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@dataclass
class FakeSender:
    """Records what it is asked to send; ``script`` holds exceptions to raise first."""

    limits: PlatformLimits
    clock: FakeClock | None = None
    script: deque[BaseException | SendResult] = field(default_factory=deque)
    sent: list[Reply] = field(default_factory=list)
    calls: int = 0
    got_one: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, reply: Reply) -> SendResult:
        self.calls += 1
        if self.script:
            step = self.script.popleft()
            if isinstance(step, BaseException):
                raise step
            return step
        self.sent.append(reply)
        self.got_one.set()
        return SendResult(sent=True, platform_message_id=f"m{len(self.sent)}")
