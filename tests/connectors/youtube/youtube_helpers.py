"""Helpers shared by the YouTube tests: event readers (the fake clock is
:class:`tests.support.clock.FakeClock`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import aclosing

from connectors.events import ChatEvent
from connectors.youtube.connector import YouTubeConnector

TIMEOUT = 10.0

ConnectorFactory = Callable[..., YouTubeConnector]


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
