"""Sending replies: 200 characters, addressed by name, errors mapped by reason."""

from __future__ import annotations

import pytest

from connectors.errors import AuthError, RateLimited, StreamOffline, TransientError
from connectors.events import ChatMessage, Reply
from connectors.status import Status
from sandbox.youtube import YouTubeEmulator
from tests.connectors.youtube.youtube_helpers import ConnectorFactory, take

LINK = "https://shop.example.com/cart/44012345678901:1?ref=yt"


def reply(text: str, **kw: object) -> Reply:
    return Reply(platform="youtube", channel="c", text=text, key="k", **kw)  # type: ignore[arg-type]


async def test_reply_is_addressed_by_name(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        result = await conn.send(reply(f"held for 10 min: {LINK}", mention="Ana", reply_to_id="x"))
    assert result.sent and result.platform_message_id
    assert emu.sent == [f"@Ana held for 10 min: {LINK}"]
    assert emu.quota_used == 1 + 20  # videos.list to find the chat, one insert


async def test_long_reply_is_split_at_words_within_200_chars(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    text = "Thanks for buying! " * 12 + LINK  # 228 + link characters
    async with make_connector() as conn:
        result = await conn.send(reply(text, mention="Bo"))
    assert result.sent
    assert len(emu.sent) == 2
    assert all(len(part) <= 200 for part in emu.sent)
    assert emu.sent[0].startswith("@Bo Thanks")
    assert emu.sent[1].endswith(LINK)
    assert " ".join(emu.sent) == f"@Bo {text.strip()}"


async def test_compact_form_saves_a_message(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        await conn.send(reply("x " * 150, short=f"Held: {LINK}", mention="Cy"))
    assert emu.sent == [f"@Cy Held: {LINK}"]


async def test_unsendable_reply_is_dropped_without_a_call(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        result = await conn.send(reply("https://example.com/" + "a" * 300))
    assert not result.sent and result.drop_reason == "too_long"
    assert emu.calls("insert") == 0


async def test_own_messages_are_not_read_back(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector(skip_own_channel=False) as conn:
        emu.inject_message("first")
        await take(conn, 1)
        await conn.send(reply("bot says hi"))
        emu.inject_message("viewer again")
        (event,) = await take(conn, 1)
    assert isinstance(event, ChatMessage) and event.text == "viewer again"


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("rateLimitExceeded", RateLimited),
        ("backendError", TransientError),
        ("forbidden", AuthError),
        ("liveChatEnded", StreamOffline),
        ("liveChatDisabled", StreamOffline),
    ],
)
async def test_send_errors_are_classified(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, reason: str, error: type[Exception]
) -> None:
    async with make_connector() as conn:
        emu.fail_next("insert", reason)
        with pytest.raises(error) as caught:
            await conn.send(reply("hello"))
        assert type(caught.value) is error


async def test_invalid_text_is_a_drop_not_a_failure(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        emu.fail_next("insert", "messageTextInvalid")
        result = await conn.send(reply("hello"))
    assert not result.sent and result.drop_reason == "messageTextInvalid"


async def test_failure_after_the_first_part_is_not_retried_whole(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        emu.fail_next("insert", "backendError", skip=1)  # the second part fails
        result = await conn.send(reply("word " * 60))
    assert result.sent and result.drop_reason == "partial"
    assert len(emu.sent) == 1 and emu.calls("insert") == 2


async def test_quota_exceeded_on_send_pauses_until_the_reset(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        emu.fail_next("insert", "quotaExceeded")
        with pytest.raises(RateLimited) as caught:
            await conn.send(reply("hello"))
        assert caught.value.retry_after == pytest.approx(conn.quota.seconds_until_reset())
        assert conn.health.status is Status.RATE_LIMITED
        calls = emu.calls("list")
        with pytest.raises(RateLimited):  # reads pause too, without spending a call
            await take(conn, 1)
        assert emu.calls("list") == calls


async def test_not_enough_quota_for_the_parts_is_rate_limited(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector(quota={"daily_budget": 30}) as conn:
        await conn.send(reply("one"))  # 1 + 20 units
        with pytest.raises(RateLimited):
            await conn.send(reply("two"))
    assert emu.sent == ["one"]


async def test_the_bot_learns_its_channel_from_the_snippet_of_its_first_send(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    """A ``part=snippet`` insert answers no ``authorDetails`` (only the parts asked for);
    the channel the bot posts as comes from ``snippet.authorChannelId`` (issue 17)."""
    async with make_connector(live_chat_id=emu.live_chat_id, video_id=None) as conn:
        emu.inject_message("first")
        await take(conn, 1)
        await conn.send(reply("bot says hi"))
        emu.inject_owner_message("typed by the bot's channel elsewhere")
        emu.inject_message("viewer again")
        (event,) = await take(conn, 1)
    assert isinstance(event, ChatMessage) and event.text == "viewer again"
