"""The connector over EventSub + Helix against the emulator: dedupe, hand-over, faults, auth."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from twitch_support import connector_for, secrets_for

from connectors.errors import AuthError, FatalError, TransientError
from connectors.events import ChatEnded, ChatMessage, MessageDeleted, Reply, UserBanned
from connectors.status import Status
from connectors.twitch.connector import TwitchConnector
from sandbox.twitch import TwitchEmulator
from tests.support.reader import Reader


@pytest.fixture
async def emu() -> AsyncIterator[TwitchEmulator]:
    async with TwitchEmulator(min_keepalive=0.3, reconnect_grace=5.0, tls=False) as emulator:
        yield emulator


async def subscribed(emu: TwitchEmulator) -> None:
    async with asyncio.timeout(10):
        await emu.eventsub.subscribed.wait()


async def test_duplicate_deliveries_are_yielded_once(emu: TwitchEmulator) -> None:
    emu.eventsub.duplicate_delivery = True
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        first = emu.inject_message("one", author_id="7", author_name="Ann")
        emu.inject_message("two", author_id="7", author_name="Ann")
        assert (await reader.message("one")).message_id == first
        await reader.message("two")
        emu.inject_message("marker", author_id="7", author_name="Ann")
        await reader.message("marker")
        leftovers = reader.drain()
        await reader.stop()
    assert leftovers == []
    assert conn.health.last_message_at is not None


async def test_roles_come_from_badges(emu: TwitchEmulator) -> None:
    host = emu.world.broadcaster
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        emu.inject_message("!feature 101", author_id=host.id, author_name=host.login)
        emu.inject_message("!buy 101", author_id="31", author_name="Mo", badges=["moderator"])
        emu.inject_message("!buy 102", author_id="32", author_name="Su", badges=["subscriber"])
        got = [await reader.next() for _ in range(3)]
        await reader.stop()
    assert [g.is_moderator for g in got if isinstance(g, ChatMessage)] == [True, True, False]
    assert [sorted(g.roles) for g in got if isinstance(g, ChatMessage)] == [
        ["broadcaster"],
        ["moderator"],
        ["member"],
    ]


async def test_deletions_and_bans_become_events(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        msg_id = emu.inject_message("!buy 101 M", author_id="8", author_name="Bea")
        await reader.message("!buy 101 M")
        emu.delete_message(msg_id)
        deleted = await reader.next()
        emu.ban_user("8")
        banned = await reader.next()
        await reader.stop()
    assert isinstance(deleted, MessageDeleted) and deleted.message_id == msg_id
    assert isinstance(banned, UserBanned) and banned.author_id == "8"


async def test_own_messages_are_skipped_and_teach_the_moderator_tier(emu: TwitchEmulator) -> None:
    emu.set_moderator(True)
    async with connector_for(emu) as conn:
        assert conn.limits.max_messages == 20
        reader = Reader(conn)
        await subscribed(emu)
        await conn.send(Reply(platform="twitch", channel=conn.channel, text="bot says hi", key="k"))
        emu.inject_message("after", author_id="9", author_name="Cy")
        got = await reader.next()
        await reader.stop()
    assert isinstance(got, ChatMessage) and got.text == "after"
    assert conn.limits.max_messages == 100


async def test_reconnect_hand_over_loses_and_repeats_nothing(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        emu.inject_message("before", author_id="1", author_name="A")
        await reader.message("before")
        await emu.server_reconnect()
        emu.inject_message("during", author_id="1", author_name="A")  # still on the old socket
        await reader.message("during")
        emu.inject_message("after", author_id="1", author_name="A")
        await reader.message("after")
        leftovers = reader.drain()
        sessions = len(emu.eventsub.sessions)
        await reader.stop()
    assert leftovers == []
    assert sessions == 1  # the old socket was closed once the new one was welcomed
    posts = [c for c in emu.helix.calls if c == ("POST", "/helix/eventsub/subscriptions")]
    assert len(posts) == 4  # subscriptions carried over; nothing re-created


async def test_keepalive_watchdog_raises_transient(emu: TwitchEmulator) -> None:
    # the watchdog is silence on the event loop's clock: this one test asks for a short
    # keepalive, and waits for the error it causes, never for a time
    async with connector_for(
        emu, keepalive_timeout_seconds=0.3, keepalive_grace_seconds=0.2
    ) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        emu.eventsub.keepalive_paused = True
        error = await reader.error()
        await reader.stop()
    assert isinstance(error, TransientError) and "keepalive" in str(error)
    assert conn.health.status is Status.STOPPED


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (4000, TransientError),
        (4001, FatalError),
        (4002, TransientError),
        (4004, TransientError),
        (4005, TransientError),
        (4006, TransientError),
        (4007, TransientError),
        (1006, TransientError),
    ],
)
async def test_close_codes_are_classified(
    emu: TwitchEmulator, code: int, error: type[Exception]
) -> None:
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        if code == 1006:
            emu.drop_connections()
        else:
            emu.close_eventsub(code)
        raised = await reader.error()
        await reader.stop()
    assert type(raised) is error


@pytest.mark.parametrize(
    ("status", "error"), [("authorization_revoked", AuthError), ("version_removed", FatalError)]
)
async def test_revocation_stops_the_session(
    emu: TwitchEmulator, status: str, error: type[Exception]
) -> None:
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        emu.eventsub.revoke("channel.chat.message", status)
        raised = await reader.error()
        await reader.stop()
    assert type(raised) is error


async def test_garbage_frames_are_skipped(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        broken = {
            "metadata": {
                "message_id": "x1",
                "message_type": "notification",
                "message_timestamp": "2026-11-23T19:00:00Z",
                "subscription_type": "channel.chat.message",
            },
            "payload": {"event": {"message": "not an object"}},
        }
        for frame in (
            "not json",
            "[1, 2]",
            '{"metadata": {"message_type": "brand_new_type"}, "payload": {}}',
            json.dumps(broken),
            "\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        ):
            emu.eventsub.send_raw(frame)
        emu.inject_message("still alive", author_id="2", author_name="B")
        got = await reader.message("still alive")
        await reader.stop()
    assert got.author_id == "2"
    assert conn.health.skipped == 5  # each one counted in the status, as a translator's skip


async def test_oversized_frame_is_skipped(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        emu.eventsub.send_raw("x" * (2 << 20))
        emu.inject_message("after the big one", author_id="3", author_name="C")
        await reader.message("after the big one")
        await reader.stop()
    assert conn.health.skipped == 1 and "oversized" in (conn.health.last_skipped or "")


async def test_a_new_session_after_a_drop_subscribes_again(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        emu.close_eventsub(4000)
        assert isinstance(await reader.error(), TransientError)
        await reader.stop()
        await emu.eventsub.wait_idle()
        again = Reader(conn)
        await subscribed(emu)
        emu.inject_message("next session", author_id="3", author_name="C")
        await again.message("next session")
        await again.stop()


async def test_an_expired_token_is_refreshed(emu: TwitchEmulator) -> None:
    conn = TwitchConnector(
        connector_for(emu).config, secrets=secrets_for(emu, token="expired-token")
    )
    async with conn:
        assert conn.bot_id == emu.world.bot.id
        assert await conn.check() == "ok"
    assert ("POST", "/oauth2/token") in emu.helix.calls


async def test_refused_token_without_refresh_is_invalid_auth(emu: TwitchEmulator) -> None:
    conn = TwitchConnector(
        connector_for(emu).config, secrets=secrets_for(emu, token="bad", refresh_token=None)
    )
    with pytest.raises(AuthError):
        await conn.__aenter__()
    assert conn.health.status is Status.INVALID_AUTH


async def test_token_is_validated_again_every_hour(emu: TwitchEmulator) -> None:
    now = [1000.0]
    async with connector_for(emu, monotonic=lambda: now[0]) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        validations = emu.helix.calls.count(("GET", "/oauth2/validate"))
        emu.inject_message("a", author_id="4", author_name="D")
        await reader.message("a")
        assert emu.helix.calls.count(("GET", "/oauth2/validate")) == validations
        now[0] += 3600
        emu.inject_message("b", author_id="4", author_name="D")
        await reader.message("b")
        assert emu.helix.calls.count(("GET", "/oauth2/validate")) == validations + 1
        emu.revoke_tokens()  # the hourly check now fails and refresh is refused
        now[0] += 3600
        emu.inject_message("c", author_id="4", author_name="D")
        error = await reader.error()
        await reader.stop()
    assert isinstance(error, AuthError)


async def test_quiet_chat_is_still_validated_hourly(emu: TwitchEmulator) -> None:
    now = [1000.0]
    async with connector_for(emu, monotonic=lambda: now[0]) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        emu.inject_message("hi", author_id="1", author_name="A")
        await reader.message("hi")  # read only once every subscription is made
        emu.revoke_tokens()
        now[0] += 3600  # the next keepalive triggers the hourly validation, which now fails
        assert emu.eventsub.keepalive_now() == 1
        error = await reader.error()
        await reader.stop()
    assert isinstance(error, AuthError)
    assert conn.health.status is Status.STOPPED
    assert conn.health.last_error is not None


async def test_stream_going_offline_ends_the_chat(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        await subscribed(emu)
        emu.set_live(False)
        ended = await reader.next()
        await reader.stop()
    assert isinstance(ended, ChatEnded)
    assert ended.channel == "shopstream_demo" and ended.reason == "stream_offline"


async def test_check_reports_invalid_auth(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        assert await conn.check() == "ok"
        emu.revoke_tokens()
        assert await conn.check() == "invalid_auth"


async def test_is_live(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        assert await conn.is_live()
        emu.set_live(False)
        assert not await conn.is_live()


async def test_missing_urls_are_fatal(emu: TwitchEmulator) -> None:
    conn = connector_for(emu, helix_url=None)
    with pytest.raises(FatalError):
        await conn.__aenter__()


async def test_concurrent_401s_refresh_the_token_once(emu: TwitchEmulator) -> None:
    async with connector_for(emu) as conn:
        emu.world.tokens.clear()  # the access token expires; the refresh token still works
        results = await asyncio.gather(conn.is_live(), conn.is_live(), conn.is_live())
        assert results == [True, True, True]
    assert emu.helix.calls.count(("POST", "/oauth2/token")) == 1
