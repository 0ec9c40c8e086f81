"""Sending through Helix: threads, splitting, drops, rate tiers and 429s, never past the limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from twitch_support import connector_for

from connectors.errors import FatalError, RateLimited
from connectors.events import Reply
from connectors.status import Status
from sandbox.twitch import TwitchEmulator


@pytest.fixture
async def emu() -> AsyncIterator[TwitchEmulator]:
    async with TwitchEmulator(tls=False) as emulator:
        yield emulator


def reply(text: str, key: str = "k", reply_to: str | None = None) -> Reply:
    return Reply(platform="twitch", channel="shopstream_demo", text=text, key=key,
                 reply_to_id=reply_to)  # fmt: skip


async def test_reply_lands_in_the_buyers_thread(emu: TwitchEmulator) -> None:
    parent = emu.inject_message("!buy 101", author_id="5", author_name="Eve")
    async with connector_for(emu) as conn:
        result = await conn.send(reply("Eve: held! https://shop/c/1", reply_to=parent))
    assert result.sent and result.platform_message_id
    [sent] = emu.bot_sends
    assert sent.reply_to_id == parent and sent.text == "Eve: held! https://shop/c/1"


async def test_long_replies_are_split_at_500(emu: TwitchEmulator) -> None:
    text = " ".join(f"word{i}" for i in range(120))  # ~ 700 characters
    async with connector_for(emu) as conn:
        result = await conn.send(reply(text, reply_to=None))
    assert result.sent
    assert [len(s.text) <= 500 for s in emu.bot_sends] == [True, True]
    assert " ".join(s.text for s in emu.bot_sends) == text


async def test_a_split_reply_never_cuts_the_link_or_an_emoji(emu: TwitchEmulator) -> None:
    link = "https://shop.example/cart/4455:1?ref=twitch-" + "a" * 40
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one ZWJ cluster, 5 code points
    text = "x" * 497 + family + " " + link  # a cut at 500 code points would split the family
    async with connector_for(emu) as conn:
        assert (await conn.send(reply(text))).sent
    assert [s.text for s in emu.bot_sends] == ["x" * 497, family + " " + link]


async def test_a_link_longer_than_500_is_dropped_not_cut(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        result = await conn.send(reply("held: https://shop.example/" + "a" * 500))
    assert not result.sent and result.drop_reason == "too_long" and emu.bot_sends == []


async def test_the_connector_stops_at_20_before_twitch_does(emu: TwitchEmulator) -> None:
    now = [0.0]
    async with connector_for(emu, monotonic=lambda: now[0]) as conn:
        for i in range(20):
            assert (await conn.send(reply(f"message {i}", key=str(i)))).sent
        with pytest.raises(RateLimited) as caught:
            await conn.send(reply("one too many", key="21"))
    assert caught.value.retry_after == pytest.approx(30.0)
    assert len(emu.bot_sends) == 20  # Twitch never saw the 21st, so no 30-minute silence


async def test_identical_text_is_not_sent_twice_within_30_s(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        assert (await conn.send(reply("Link: https://shop/c/9"))).sent
        again = await conn.send(reply("Link: https://shop/c/9", key="k2"))
    assert not again.sent and again.drop_reason == "msg_duplicate"
    assert len(emu.bot_sends) == 1


async def test_a_drop_reported_by_twitch_is_a_failed_send(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as first, connector_for(emu) as second:
        assert (await first.send(reply("same words"))).sent
        result = await second.send(reply("same words"))  # a second process, same bot account
    assert not result.sent and result.drop_reason == "msg_duplicate"
    assert [s.drop_code for s in emu.bot_sends] == [None, "msg_duplicate"]


async def test_msg_ratelimit_from_twitch_is_rate_limited(emu: TwitchEmulator) -> None:
    emu.world.limiter.silenced_until = emu.world.clock() + 1800
    async with connector_for(emu) as conn:
        with pytest.raises(RateLimited):
            await conn.send(reply("hello"))
        assert conn.health.status is Status.RATE_LIMITED


async def test_http_429_carries_the_reset_time(emu: TwitchEmulator) -> None:
    emu.fail_next("chat/messages", 429)
    async with connector_for(emu) as conn:
        with pytest.raises(RateLimited) as caught:
            await conn.send(reply("hello"))
        assert caught.value.retry_after is not None and 0 <= caught.value.retry_after <= 2
        assert conn.helix.ratelimit_remaining == 0
        assert (await conn.send(reply("hello"))).sent
        assert conn.helix.ratelimit_remaining is not None and conn.helix.ratelimit_remaining > 0


async def test_line_breaks_never_reach_the_wire(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        assert (await conn.send(reply("Ann: held\r\nJOIN #other\nlink"))).sent
        assert conn.health.extra["tier"] == "20/30s"
        assert int(conn.health.extra["helix_points_left"]) > 0
    assert emu.bot_sends[0].text == "Ann: held JOIN #other link"


async def test_empty_reply_is_not_sent(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        result = await conn.send(reply("   "))
    assert not result.sent and emu.bot_sends == []


@pytest.mark.parametrize(
    ("mode", "code"),
    [({"subs_only": True}, "msg_subsonly"), ({"followers_only": True}, "msg_followersonly")],
)
async def test_chat_modes_drop_the_message(
    emu: TwitchEmulator, mode: dict[str, bool], code: str
) -> None:
    emu.set_chat_modes(**mode)
    async with connector_for(emu) as conn:
        result = await conn.send(reply("hello"))
        emu.set_moderator(True)  # moderators are exempt
        assert (await conn.send(reply("hello again", key="k2"))).sent
    assert not result.sent and result.drop_reason == code


async def test_a_banned_bot_is_a_fatal_send_error(emu: TwitchEmulator) -> None:
    emu.ban_bot()
    async with connector_for(emu) as conn:
        with pytest.raises(FatalError):
            await conn.send(reply("hello"))
