"""Reading chat through google-api-python-client against the emulator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import Connector
from connectors.errors import AuthError, RateLimited, StreamOffline, TransientError
from connectors.events import ChatEnded, ChatMessage, MessageDeleted, Role, UserBanned
from connectors.status import Status
from connectors.youtube.config import QuotaSettings, YouTubeConfig, YouTubeSecrets
from connectors.youtube.connector import YouTubeConnector
from connectors.youtube.cursor import MemoryCursorStore, Progress, decode_progress, page_token_key
from sandbox.youtube import YouTubeEmulator
from tests.connectors.youtube.youtube_helpers import ConnectorFactory, drain, take
from tests.support.clock import FakeClock


def texts(events: list) -> list[str]:
    return [e.text for e in events if isinstance(e, ChatMessage)]


async def test_satisfies_the_connector_protocol(make_connector: ConnectorFactory) -> None:
    conn = make_connector()
    assert isinstance(conn, Connector)
    assert conn.limits.max_chars == 200 and not conn.limits.threads
    assert make_connector(max_chars=150).limits.max_chars == 150


async def test_backlog_from_before_the_show_is_not_delivered(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    emu.inject_message("!buy 101 from yesterday", at=clock.now - timedelta(minutes=5))
    async with make_connector() as conn:
        emu.inject_message("!buy 101 M", author_name="Ana", moderator=True)
        (msg,) = await take(conn, 1)
        assert conn.health.status is Status.OK
        assert conn.health.detail.startswith("quota_left=")
    assert isinstance(msg, ChatMessage) and msg.text == "!buy 101 M"
    assert msg.author_name == "Ana" and Role.MODERATOR in msg.roles
    assert msg.channel == conn.channel == emu.video_id
    assert conn.health.status is Status.STOPPED
    assert conn.health.last_message_at is not None


async def test_backlog_can_be_kept(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    emu.inject_message("earlier", at=clock.now - timedelta(minutes=5))
    async with make_connector(skip_backlog=False) as conn:
        assert texts(await take(conn, 1)) == ["earlier"]


async def test_restart_mid_page_resumes_without_duplicates_or_losses(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    store = MemoryCursorStore()
    async with make_connector(store=store) as first:
        emu.inject_messages([{"text": "one"}, {"text": "two"}, {"text": "three"}])
        assert texts(await take(first, 2)) == ["one", "two"]  # stops in the middle of a page
    clock.advance(30)
    emu.inject_message("four")  # arrives while the bot is down
    async with make_connector(store=store) as second:
        assert texts(await take(second, 2)) == ["three", "four"]


async def test_restart_resumes_from_the_stored_page_token(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    store = MemoryCursorStore()
    async with make_connector(store=store) as first:
        emu.inject_message("p1")
        assert texts(await take(first, 1)) == ["p1"]
        emu.inject_message("p2")
        assert texts(await take(first, 1)) == ["p2"]
    saved = decode_progress(store.get(page_token_key(emu.live_chat_id)))
    assert saved is not None and saved.token is not None
    clock.advance(600)
    emu.inject_message("p3")
    calls_before = emu.calls("list")
    async with make_connector(store=store) as second:
        assert texts(await take(second, 1)) == ["p3"]
    assert emu.calls("list") == calls_before + 1  # straight from the saved token


async def test_progress_is_saved_as_events_are_handed_over(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    store = MemoryCursorStore()
    key = page_token_key(emu.live_chat_id)
    async with make_connector(store=store) as conn:
        a, _ = emu.inject_messages([{"text": "a"}, {"text": "b"}])
        assert texts(await take(conn, 1)) == ["a"]
        assert decode_progress(store.get(key)) == Progress(token=None, after=a)
        assert texts(await take(conn, 1)) == ["b"]  # the same connector resumes after "a"
        emu.inject_message("c")
        assert texts(await take(conn, 1)) == ["c"]  # the last of its page: the page is done
    saved = decode_progress(store.get(key))
    assert saved is not None and saved.token is not None and saved.after is None


async def test_finds_the_chat_through_the_active_broadcast_and_skips_its_own_channel(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector(video_id=None) as conn:
        emu.inject_owner_message("typed by the channel account")
        emu.inject_message("viewer")
        events = await take(conn, 1)
    assert texts(events) == ["viewer"]
    assert emu.calls("broadcasts") == 1 and emu.calls("videos") == 0


async def test_host_commands_from_the_channel_account_when_allowed(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector(video_id=None, skip_own_channel=False) as conn:
        emu.inject_owner_message("!feature 101")
        (msg,) = await take(conn, 1)
    assert isinstance(msg, ChatMessage) and Role.BROADCASTER in msg.roles


async def test_moderation_and_super_chat_events(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        victim = emu.inject_message("!buy 101", author_name="Troll", author_id="UCtroll")
        (msg,) = await take(conn, 1)
        emu.inject_super_chat("!buy 102 L", author_name="Big", amount_micros=5_000_000)
        emu.delete_message(victim)
        emu.ban_user("UCtroll", duration_seconds=600)
        sc, deleted, banned = await take(conn, 3)
    assert isinstance(msg, ChatMessage) and msg.message_id == victim
    assert isinstance(sc, ChatMessage) and sc.text == "!buy 102 L"
    assert isinstance(deleted, MessageDeleted) and deleted.message_id == victim
    assert isinstance(banned, UserBanned) and banned.author_id == "UCtroll"
    assert banned.until == banned.at + timedelta(seconds=600)


async def test_chat_end_finishes_the_session_cleanly(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        emu.inject_message("first")
        assert texts(await take(conn, 1)) == ["first"]
        emu.inject_message("last call")
        emu.end_chat()
        events = await drain(conn)
        assert texts(events) == ["last call"]
        assert isinstance(events[-1], ChatEnded)
        assert conn.health.status is Status.STREAM_OFFLINE
        with pytest.raises(StreamOffline):  # the video has no active chat any more
            await take(conn, 1)


async def test_live_chat_ended_answer_also_ends_the_session(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector(live_chat_id=emu.live_chat_id, video_id=None) as conn:
        emu.fail_next("list", "liveChatEnded")
        events = await drain(conn)
        assert [type(e) for e in events] == [ChatEnded]
        emu.fail_next("list", "liveChatEnded")
        with pytest.raises(StreamOffline):  # the same chat does not end twice
            await drain(conn)


async def test_polling_interval_is_honoured(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    async with make_connector(quota={"daily_budget": 1_000_000}) as conn:
        emu.inject_message("x")
        await take(conn, 1)
        emu.inject_message("y")
        await take(conn, 1)
    assert clock.sleeps and all(s == pytest.approx(2.0) for s in clock.sleeps)


async def test_quota_planner_widens_the_interval(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    async with make_connector() as conn:  # 10,000 units over a 2 h show
        emu.inject_message("x")
        await take(conn, 1)
        emu.inject_message("y")
        await take(conn, 1)
    assert clock.sleeps and all(s >= 4.49 for s in clock.sleeps)


@pytest.mark.parametrize(
    ("reason", "error", "status"),
    [
        ("rateLimitExceeded", RateLimited, Status.RATE_LIMITED),
        ("liveChatDisabled", StreamOffline, Status.STREAM_OFFLINE),
        ("liveChatNotFound", StreamOffline, Status.STREAM_OFFLINE),
        ("backendError", TransientError, Status.RECONNECTING),
        ("forbidden", AuthError, Status.INVALID_AUTH),
    ],
)
async def test_read_errors_are_classified_by_reason(
    emu: YouTubeEmulator,
    make_connector: ConnectorFactory,
    reason: str,
    error: type[Exception],
    status: Status,
) -> None:
    async with make_connector() as conn:
        emu.fail_next("list", reason)
        with pytest.raises(error) as caught:
            await take(conn, 1)
        assert type(caught.value) is error
        assert conn.health.status is status
        emu.inject_message("after")
        assert texts(await take(conn, 1)) == ["after"]  # re-entering events() recovers


async def test_expired_access_token_is_refreshed(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        emu.inject_message("before")
        await take(conn, 1)
        refreshes = emu.token_refreshes
        emu.expire_access_tokens()
        emu.inject_message("after")
        assert texts(await take(conn, 1)) == ["after"]
    assert emu.token_refreshes == refreshes + 1


async def test_revoked_refresh_token_stops_with_auth_error(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        emu.expire_access_tokens()
        emu.revoke_refresh_token()
        with pytest.raises(AuthError):
            await take(conn, 1)
        assert conn.health.status is Status.INVALID_AUTH
        assert await conn.check() == "invalid_auth"


async def test_garbage_never_kills_the_loop(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        emu.inject_raw(
            None,
            {"id": "LCC.broken"},
            {"snippet": {"type": "textMessageEvent"}},
            {
                "id": "LCC.x",
                "snippet": {"type": "mysteryEvent", "publishedAt": "2030-01-01T00:00:00Z"},
            },
        )
        emu.inject_message("survivor")
        assert texts(await take(conn, 1)) == ["survivor"]
        before = conn.health.skipped
        emu.serve_garbage("list", count=2)
        emu.inject_message("after garbage")
        assert texts(await take(conn, 1)) == ["after garbage"]
        assert conn.health.skipped == before + 2  # each page counted in status, as an item is
        assert "malformed chat page" in (conn.health.last_skipped or "")
        emu.serve_garbage("list", count=3)
        with pytest.raises(TransientError) as caught:  # three in a row: the supervisor backs off
            await take(conn, 1)
        assert type(caught.value) is TransientError
        assert emu.calls("list") < 10


async def test_no_live_stream_is_stream_offline(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector(video_id="notLive1234") as conn:
        assert await conn.check() == "stream_offline"
        with pytest.raises(StreamOffline):
            await take(conn, 1)


async def test_check_is_one_cheap_read(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        assert await conn.check() == "ok"
    assert emu.quota_used == 1 and emu.calls("list") == 0


async def test_a_strict_server_never_sees_polls_faster_than_it_asked(
    clock: FakeClock,
) -> None:
    async with YouTubeEmulator(clock=clock, strict_polling=True, polling_interval_ms=3000) as emu:
        config = YouTubeConfig.for_emulator(
            emu.base_url,
            video_id=emu.video_id,
            quota=QuotaSettings(daily_budget=1_000_000, min_interval_seconds=0),
        )
        async with YouTubeConnector(
            config, secrets=YouTubeSecrets(), clock=clock, sleep=clock.sleep
        ) as conn:
            for text in ("a", "b", "c"):
                emu.inject_message(text)
                assert texts(await take(conn, 1)) == [text]
        assert emu.calls("list") >= 3


async def test_offline_at_alone_also_ends_the_session(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    async with make_connector() as conn:
        emu.inject_message("hello")
        await take(conn, 1)
        offline = clock.now
        emu.state.chat.offline_at = offline  # went offline, no chatEndedEvent item (yet)
        emu.inject_message("bye")
        events = await drain(conn)
    assert texts(events) == ["bye"]
    assert isinstance(events[-1], ChatEnded) and events[-1].at == offline


async def test_a_member_milestone_comment_is_chat_and_one_without_is_not(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with make_connector() as conn:
        emu.inject_member_milestone(None, author_name="Quiet", months=3)
        emu.inject_member_milestone("a year already! sold 101 M", author_name="Mia", months=12)
        emu.inject_message("after")
        milestone, after = await take(conn, 2)
    assert isinstance(milestone, ChatMessage) and milestone.kind == "member_milestone"
    assert milestone.text == "a year already! sold 101 M" and milestone.author_name == "Mia"
    assert isinstance(after, ChatMessage) and after.text == "after"
