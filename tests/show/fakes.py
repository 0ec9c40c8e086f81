"""Test doubles for the show machinery: platform limits and a scripted connector (the fake
clock is :class:`tests.support.clock.FakeClock`)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from connectors.events import Reply, SendResult
from connectors.limits import PlatformLimits
from tests.support.clock import FakeClock

TWITCH = PlatformLimits(
    max_messages=20,
    window_seconds=30.0,
    max_chars=500,
    duplicate_window_seconds=30.0,
    threads=True,
)
YOUTUBE = PlatformLimits(max_messages=30, window_seconds=30.0, max_chars=200)
SLOW = PlatformLimits(max_messages=100, window_seconds=30.0, max_chars=500, min_interval_seconds=3)


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
