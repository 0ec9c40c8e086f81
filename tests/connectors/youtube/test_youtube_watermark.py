"""The delivery watermark: after each complete poll, what was sent before it is delivered."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from connectors.events import ChatMessage
from sandbox.youtube import YouTubeEmulator
from tests.connectors.youtube.youtube_helpers import TIMEOUT, ConnectorFactory
from tests.support.clock import FakeClock


async def test_watermark_is_the_time_each_handed_over_poll_was_asked(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    async with make_connector() as conn, asyncio.timeout(TIMEOUT):
        assert conn.health.delivered_until is None
        emu.inject_message("a")
        first_poll = clock.now
        async with aclosing(conn.events()) as stream:
            a = await anext(stream)
            assert isinstance(a, ChatMessage) and a.text == "a"
            assert conn.health.delivered_until is None  # its page is not handed over yet
            clock.advance(5)
            emu.inject_message("b")
            second_poll = clock.now
            b = await anext(stream)
            assert isinstance(b, ChatMessage) and b.text == "b"
            assert conn.health.delivered_until == first_poll
            clock.advance(5)
            emu.inject_message("c")
            await anext(stream)
            assert conn.health.delivered_until == second_poll
    assert conn.health.snapshot()["delivered_until"] == second_poll.isoformat()


async def test_a_full_page_proves_nothing(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    quota = {"daily_budget": 1_000_000}
    async with make_connector(max_results=200, quota=quota) as conn, asyncio.timeout(TIMEOUT):
        emu.inject_message("first")
        first_poll = clock.now
        async with aclosing(conn.events()) as stream:
            await anext(stream)
            clock.advance(5)
            emu.inject_messages([{"text": f"m{i}"} for i in range(201)])
            for _ in range(200):  # one full page
                await anext(stream)
            assert conn.health.delivered_until == first_poll
            clock.advance(5)
            last_poll = clock.now
            m200 = await anext(stream)
            assert isinstance(m200, ChatMessage) and m200.text == "m200"
            assert conn.health.delivered_until == first_poll  # the full page did not count
            clock.advance(5)
            emu.inject_message("later")
            await anext(stream)
            assert conn.health.delivered_until == last_poll
