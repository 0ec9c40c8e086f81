"""Helpers shared by the YouTube tests: a fake clock and event readers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import aclosing
from datetime import datetime, timedelta

from connectors.events import ChatEvent
from connectors.youtube.connector import YouTubeConnector

TIMEOUT = 10.0

ConnectorFactory = Callable[..., YouTubeConnector]


class FakeClock:
    """Shared by the emulator and the connector; ``sleep`` advances it without waiting."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)


async def take(conn: YouTubeConnector, count: int) -> list[ChatEvent]:
    """Read ``count`` events from one ``events()`` session."""
    out: list[ChatEvent] = []
    async with asyncio.timeout(TIMEOUT), aclosing(conn.events()) as stream:
        async for event in stream:
            out.append(event)
            if len(out) >= count:
                break
    return out


async def drain(conn: YouTubeConnector) -> list[ChatEvent]:
    """Read one ``events()`` session to its natural end (the chat ended)."""
    out: list[ChatEvent] = []
    async with asyncio.timeout(TIMEOUT), aclosing(conn.events()) as stream:
        async for event in stream:
            out.append(event)
    return out
