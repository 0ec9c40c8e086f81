"""YouTube chat over liveChatMessages.streamList: the production connector against the
emulator's gRPC service (the proto of Google's "Streaming Live Chat" guide), and the pure
wire translation between protobuf responses and the REST page shape."""

from __future__ import annotations

import asyncio
import json
from contextlib import aclosing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from connectors.errors import AuthError, FatalError, RateLimited, StreamOffline, TransientError
from connectors.events import ChatEnded, ChatEvent, ChatMessage
from connectors.status import Status
from connectors.youtube.connector import YouTubeConnector
from connectors.youtube.stream_wire import error_of, page_from_response, rest_enum
from connectors.youtube.translate import translate_page
from sandbox.youtube import YouTubeEmulator
from sandbox.youtube.stream_server import proto_message  # the emulator's own item -> proto step
from tests.connectors.youtube.youtube_helpers import ConnectorFactory, take
from tests.support.clock import FakeClock

FIXTURES = Path(__file__).parent / "fixtures"
TIMEOUT = 10


def _streaming(
    make_connector: ConnectorFactory, emu: YouTubeEmulator, **config: Any
) -> YouTubeConnector:
    return make_connector(
        transport="stream", stream_target=emu.stream_target, stream_insecure=True, **config
    )


# --- the pure wire ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rest"),
    [
        ("TEXT_MESSAGE_EVENT", "textMessageEvent"),
        ("MEMBER_MILESTONE_CHAT_EVENT", "memberMilestoneChatEvent"),
        ("TOMBSTONE", "tombstone"),
        ("INVALID_TYPE", "invalidType"),
        ("PERMANENT", "permanent"),
        ("TEMPORARY", "temporary"),
    ],
)
def test_rest_enum(name: str, rest: str) -> None:
    assert rest_enum(name) == rest


@pytest.mark.parametrize("fixture", ["text_page.json", "events_page.json"])
def test_a_pushed_page_reads_like_the_same_rest_page(fixture: str) -> None:
    """REST items -> proto (as the stream carries them) -> REST shape -> the same events."""
    from connectors.youtube.proto import stream_list_pb2

    rest = json.loads((FIXTURES / fixture).read_text())
    response = stream_list_pb2.LiveChatMessageListResponse(next_page_token="GPnext")
    for item in rest["items"]:
        message = proto_message(item)
        assert message is not None, item
        response.items.append(message)
    pushed = page_from_response(response)
    assert pushed["nextPageToken"] == "GPnext"
    got = translate_page(pushed, channel="c")
    want = translate_page(rest, channel="c")
    assert [
        (type(e), getattr(e, "text", None), getattr(e, "message_id", None)) for e in got.events
    ] == [(type(e), getattr(e, "text", None), getattr(e, "message_id", None)) for e in want.events]


def _details(reason: str) -> bytes:
    packed = any_pb2.Any()
    packed.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="youtube.googleapis.com"))
    return status_pb2.Status(code=7, message=reason, details=[packed]).SerializeToString()


@pytest.mark.parametrize(
    ("code", "reason", "error"),
    [
        ("PERMISSION_DENIED", "quotaExceeded", RateLimited),
        ("PERMISSION_DENIED", "rateLimitExceeded", RateLimited),
        ("RESOURCE_EXHAUSTED", None, RateLimited),
        ("PERMISSION_DENIED", "liveChatDisabled", StreamOffline),
        ("NOT_FOUND", "liveChatNotFound", StreamOffline),
        ("PERMISSION_DENIED", "forbidden", AuthError),
        ("UNAUTHENTICATED", None, AuthError),
        ("UNAVAILABLE", None, TransientError),
        ("INTERNAL", "internalError", TransientError),
        ("INVALID_ARGUMENT", "invalidPageToken", FatalError),
    ],
)
def test_grpc_errors_map_onto_the_error_tree(code: str, reason: str | None, error: type) -> None:
    details = _details(reason) if reason else None
    got = error_of(code, details, message="m", quota_reset_in=60.0)
    assert type(got) is error


# --- the connector against the emulator's gRPC service ----------------------------------------


async def test_messages_are_pushed_and_the_watermark_runs_while_open(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    async with _streaming(make_connector, emu) as conn:
        async with asyncio.timeout(TIMEOUT), aclosing(conn.events()) as stream:
            emu.inject_message("sold 101 L", author_name="Ana")
            first = await anext(stream)
            assert conn.transport == "stream" and "transport=stream" in conn.health.detail
            clock.advance(30)  # quiet chat, stream still open: the proof keeps moving
            assert conn.health.watermark() == clock.now - timedelta(seconds=0.5)
        assert conn.health.live_allowance is None  # closed: no proof without a stream
    assert isinstance(first, ChatMessage) and first.text == "sold 101 L"
    assert emu.streams_opened == 1 and emu.state.calls["list"] == 0


async def test_a_stream_the_server_ends_is_resumed_by_token_losing_nothing(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    got: list[ChatEvent] = []
    async with _streaming(make_connector, emu) as conn:
        async with asyncio.timeout(TIMEOUT), aclosing(conn.events()) as stream:
            emu.inject_message("one")
            got.append(await anext(stream))
            assert conn.health.live_allowance == conn.config.stream_allowance_seconds
            emu.end_streams()  # the server closes the call, as reported after about 10 s
            emu.inject_message("two")
            emu.inject_message("three")
            got.append(await anext(stream))
            got.append(await anext(stream))
        quota = conn.quota.remaining
    assert [e.text for e in got if isinstance(e, ChatMessage)] == ["one", "two", "three"]
    assert emu.streams_opened == 2  # resumed once, with the last page token
    assert emu.state.quota_used == 1 + 2 * 5  # the videos.list lookup, 5 units a connection
    assert 10_000 - quota == emu.state.quota_used  # the plan counted what YouTube billed


async def test_a_server_that_does_not_stream_is_read_by_polling(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    emu.refuse_streaming()
    async with _streaming(make_connector, emu) as conn:
        emu.inject_message("still read")
        (event,) = await take(conn, 1)
        assert conn.transport == "poll" and "transport=poll" in conn.health.detail
    assert isinstance(event, ChatMessage) and event.text == "still read"
    assert emu.state.calls["list"] >= 1


@pytest.mark.parametrize(
    ("reason", "error", "status"),
    [
        ("quotaExceeded", RateLimited, Status.RATE_LIMITED),
        ("forbidden", AuthError, Status.INVALID_AUTH),
        ("backendError", TransientError, Status.RECONNECTING),
    ],
)
async def test_stream_errors_reach_the_status(
    emu: YouTubeEmulator,
    make_connector: ConnectorFactory,
    reason: str,
    error: type,
    status: Status,
) -> None:
    emu.fail_next("stream", reason)
    async with _streaming(make_connector, emu) as conn:
        with pytest.raises(error):
            await take(conn, 1)
        assert conn.health.status is status
        if reason == "quotaExceeded":
            assert conn.quota.remaining == 0


async def test_an_expired_token_is_refreshed_once_and_the_stream_opened_again(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with _streaming(make_connector, emu) as conn:
        emu.inject_message("before")
        await take(conn, 1)
        emu.expire_access_tokens()
        emu.inject_message("after")
        (event,) = await take(conn, 1)
    assert isinstance(event, ChatMessage) and event.text == "after"
    assert emu.token_refreshes >= 1


async def test_the_end_of_the_chat_ends_the_session(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    async with _streaming(make_connector, emu) as conn:
        emu.inject_message("first")
        await take(conn, 1)
        emu.inject_message("last words")
        emu.end_chat()
        events = await take(conn, 2)
    assert isinstance(events[0], ChatMessage) and isinstance(events[-1], ChatEnded)


async def test_a_raw_poison_item_in_the_feed_costs_itself_not_the_stream(
    emu: YouTubeEmulator, make_connector: ConnectorFactory
) -> None:
    """The fault drill injects feed items that are not objects; the stream goes on."""
    async with _streaming(make_connector, emu) as conn:
        emu.inject_message("first")
        await take(conn, 1)
        emu.inject_raw(5, "garbage", {"snippet": 7})
        emu.inject_message("after the poison")
        (event,) = await take(conn, 1)
    assert isinstance(event, ChatMessage) and event.text == "after the poison"
