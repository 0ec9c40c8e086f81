"""Twitch's delivery watermark: the newest platform timestamp handed over, and now minus an
allowance while a session is open (both transports are in-order push streams)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from twitch_support import config_for, secrets_for

from connectors.status import Status
from connectors.twitch.connector import TwitchConnector
from connectors.twitch.eventsub import EventSubReader
from sandbox.twitch import TwitchEmulator
from tests.support.clock import FakeClock
from tests.support.reader import Reader

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


@pytest.fixture
def platform() -> FakeClock:
    """Twitch's clock (the emulator stamps messages with it)."""
    return FakeClock(T0)


@pytest.fixture
async def emu(platform: FakeClock) -> AsyncIterator[TwitchEmulator]:
    async with TwitchEmulator(min_keepalive=0.3, tls=False, now=platform) as emulator:
        yield emulator


async def listening(emu: TwitchEmulator, transport: str) -> None:
    async with asyncio.timeout(10):
        if transport == "eventsub":
            await emu.eventsub.subscribed.wait()
            return
        assert emu.irc is not None
        while not emu.irc.in_room():
            emu.irc.changed.clear()
            await emu.irc.changed.wait()


@pytest.mark.parametrize("transport", ["eventsub", "irc"])
async def test_watermark_follows_the_stream_and_the_clock_while_connected(
    emu: TwitchEmulator, platform: FakeClock, transport: str
) -> None:
    local = FakeClock(T0)
    config = config_for(
        emu, transport=transport, irc_tls=False, irc_port=emu.irc_port,
        delivery_allowance_seconds=0.5,
    )  # fmt: skip
    conn = TwitchConnector(config, secrets=secrets_for(emu), clock=local)
    async with conn:
        assert conn.health.status is Status.OK and conn.health.watermark() is None  # no session
        reader = Reader(conn)
        await listening(emu, transport)
        platform.now = T0 + timedelta(seconds=60)  # Twitch stamps it ahead of our clock
        emu.inject_message("!buy 1", author_id="21", author_name="Ana")
        msg = await reader.message("!buy 1")
        assert msg.sent_at == platform.now
        assert conn.health.delivered_until == msg.sent_at  # handed over, so delivered
        assert conn.health.watermark() == msg.sent_at
        local.now = T0 + timedelta(seconds=120)  # a quiet channel: the clock moves it on
        assert conn.health.watermark() == local.now - timedelta(seconds=0.5)
        assert conn.health.delivered_until == msg.sent_at
        await reader.stop()
        assert conn.health.watermark() == msg.sent_at  # session closed: no longer live


async def test_eventsub_keepalives_report_their_timestamp(
    emu: TwitchEmulator, platform: FakeClock
) -> None:
    emu.eventsub.subscribe_deadline = False  # keep an unsubscribed session open
    platform.now = T0 + timedelta(seconds=42)
    stamps: list[str] = []
    got = asyncio.Event()

    def on_keepalive(frame: Mapping[str, Any]) -> None:
        stamps.append(frame["metadata"]["message_timestamp"])
        got.set()

    async def no_subscriptions(session_id: str) -> None:
        return None

    reader = EventSubReader(
        emu.eventsub_url,
        keepalive=10.0,  # none arrives by itself during the test: it sends one below
        grace=5.0,
        subscribe=no_subscriptions,
        on_keepalive=on_keepalive,
    )

    async def consume() -> None:
        async with aclosing(reader.messages()) as frames:
            async for _ in frames:
                pass

    task = asyncio.create_task(consume())
    try:
        async with asyncio.timeout(10):
            await emu.eventsub.connected.wait()  # set once the session is registered
            assert emu.eventsub.keepalive_now() == 1
            await got.wait()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert stamps[0].startswith("2026-11-23T20:00:42")
