"""Quota across a show, against the emulator's meter: exhaustion mid-show and planned pacing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.errors import RateLimited
from connectors.events import ChatMessage, Reply
from connectors.status import Status
from connectors.youtube.cursor import QUOTA_KEY, MemoryCursorStore
from sandbox.youtube import YouTubeEmulator
from tests.connectors.youtube.youtube_helpers import ConnectorFactory, take
from tests.support.clock import FakeClock


async def test_quota_exhaustion_mid_show_pauses_until_midnight_pacific(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    async with make_connector() as conn:
        emu.inject_message("before")
        assert [e.text for e in await take(conn, 1) if isinstance(e, ChatMessage)] == ["before"]
        emu.reset_quota(used=emu.state.daily_quota)  # another app spent the project's quota
        emu.inject_message("during the pause")
        with pytest.raises(RateLimited) as caught:
            await take(conn, 1)
        midnight_pt = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
        assert caught.value.retry_after == pytest.approx((midnight_pt - clock.now).total_seconds())
        assert conn.health.status is Status.RATE_LIMITED
        assert conn.health.detail == "quota_left=0 transport=poll"
        calls = emu.calls("list")
        with pytest.raises(RateLimited):  # re-entered early: no call is wasted
            await take(conn, 1)
        assert emu.calls("list") == calls
        clock.now = midnight_pt  # the daily reset
        emu.reset_quota()
        (event,) = await take(conn, 1)
        assert isinstance(event, ChatMessage) and event.text == "during the pause"
        assert conn.health.status is Status.OK


async def test_polling_never_spends_the_reply_reserve(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    quota = {"daily_budget": 200, "reply_reserve": 100, "planned_show_minutes": 10}
    async with make_connector(quota=quota) as conn:
        with pytest.raises(RateLimited) as caught:
            await take(conn, 1)  # nothing to read: polls until the plan says stop
        assert caught.value.retry_after is not None and caught.value.retry_after > 3600
        assert emu.quota_used <= 100  # lookup + reads stayed out of the reserve
        result = await conn.send(Reply(platform="youtube", channel="c", text="sold!", key="k"))
    assert result.sent
    assert emu.quota_used <= 200
    assert emu.calls("list") == 19  # (200 - 1 - 100) // 5 reads, spread over the show
    assert sum(clock.sleeps) == pytest.approx(600, rel=0.1)


async def test_todays_spend_survives_a_restart(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    store = MemoryCursorStore()
    async with make_connector(store=store) as conn:
        await conn.send(Reply(platform="youtube", channel="c", text="hi", key="k"))
        left = conn.quota.remaining
    assert store.get(QUOTA_KEY) is not None
    async with make_connector(store=store) as again:
        assert again.quota.remaining == left
        assert again.quota.reserve_left == 2_000 - 20
