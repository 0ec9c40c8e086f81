"""The contract every platform connector passes against its emulator.

Connect; receive; survive a server-initiated reconnect; raise classified errors on 429, 5xx and
auth failures (the supervisor turns them into backoff, waiting and ``invalid_auth``); send
within the platform's limits; close cleanly.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from connectors.base import Connector
from connectors.errors import AuthError, RateLimited, TransientError
from connectors.events import Reply
from tests.support.reader import Reader

TIMEOUT = 15.0


async def test_connects_and_receives(harness: Any) -> None:
    async with harness.connector() as conn:
        reader = Reader(conn, resume=True, timeout=TIMEOUT)
        try:
            msg_id = await harness.inject_message(
                text="!buy 101 M red", author_id="u-1", author_name="Alice"
            )
            msg = await reader.message("!buy 101 M red")
        finally:
            await reader.stop()
    assert msg.platform == harness.platform
    assert msg.message_id == msg_id and isinstance(msg.message_id, str)
    assert msg.author_id == "u-1"
    assert msg.sent_at.utcoffset() is not None


async def test_survives_server_reconnect_without_duplicates(harness: Any) -> None:
    async with harness.connector() as conn:
        reader = Reader(conn, resume=True, timeout=TIMEOUT)
        try:
            first = await harness.inject_message(text="first", author_id="u-1", author_name="Alice")
            await reader.message("first")
            await harness.server_reconnect()
            second = await harness.inject_message(text="second", author_id="u-2", author_name="Bob")
            await reader.message("second")
            # a marker after the reconnect bounds the wait: a replay of "first" or "second"
            # arrives before it, so everything up to it is the whole record
            marker = await harness.inject_message(text="marker", author_id="u-3", author_name="Cy")
            await reader.message("marker")
        finally:
            await reader.stop()
    delivered = [(m.message_id, m.text) for m in reader.messages]
    assert delivered == [(first, "first"), (second, "second"), (marker, "marker")]
    assert reader.messages[1].author_id == "u-2"


@pytest.mark.parametrize(
    ("kind", "error"), [("rate_limit", RateLimited), ("server_error", TransientError)]
)
async def test_send_failure_is_classified_then_recovers(
    harness: Any, kind: str, error: type[Exception]
) -> None:
    if not harness.fail_next(kind, on="send"):
        pytest.skip(f"{harness.platform} has no {kind} on send")
    async with harness.connector() as conn:
        reply = Reply(platform=harness.platform, channel=_channel(conn), text="hello", key="k1")
        with pytest.raises(error):
            await conn.send(reply)
        result = await conn.send(
            Reply(platform=harness.platform, channel=_channel(conn), text="hello again", key="k2")
        )
    assert result.sent
    assert [s.text for s in await harness.sent()][-1] == "hello again"


@pytest.mark.parametrize(
    ("kind", "error"), [("rate_limit", RateLimited), ("server_error", TransientError)]
)
async def test_read_failure_is_classified(harness: Any, kind: str, error: type[Exception]) -> None:
    if not harness.fail_next(kind, on="read"):
        pytest.skip(f"{harness.platform} has no {kind} on read")
    async with harness.connector() as conn:
        with pytest.raises(error):
            async with asyncio.timeout(TIMEOUT):
                async for _ in conn.events():
                    pass


async def test_auth_failure_stops_with_auth_error(harness: Any) -> None:
    async with harness.connector() as conn:
        if not harness.fail_next("auth", on="read"):
            pytest.skip(f"{harness.platform} cannot fail auth on read")
        with pytest.raises(AuthError) as raised:
            async with asyncio.timeout(TIMEOUT):
                async for _ in conn.events():
                    pass
        # the refused credentials stay refused: the connector's own check says so too
        status = await conn.check()
    assert raised.value.key == "invalid_auth"
    assert status == "invalid_auth"


async def test_sends_within_limits_and_threads(harness: Any) -> None:
    async with harness.connector() as conn:
        limits = conn.limits
        assert 0 < limits.max_chars <= 10_000
        assert limits.max_messages > 0 and limits.window_seconds > 0
        msg_id = await harness.inject_message(text="price?", author_id="u-3", author_name="Cleo")
        text = "Cleo: the tee is $24.00"
        result = await conn.send(
            Reply(
                platform=harness.platform,
                channel=_channel(conn),
                text=text,
                key=f"answer:{msg_id}",
                reply_to_id=msg_id,
                mention="Cleo",
            )
        )
    assert result.sent
    last = (await harness.sent())[-1]
    assert text in last.text
    assert len(last.text) <= limits.max_chars
    if limits.threads:
        assert last.reply_to_id == msg_id


async def test_closes_cleanly(harness: Any) -> None:
    before = asyncio.all_tasks()
    async with harness.connector() as conn:
        reader = Reader(conn, resume=True, timeout=TIMEOUT)
        await harness.inject_message(text="hi", author_id="u-4", author_name="Dan")
        await reader.message("hi")
        await reader.stop()
    async with asyncio.timeout(TIMEOUT):
        assert await harness.wait_disconnected()
    current = asyncio.current_task()
    leaked = [t for t in asyncio.all_tasks() - before if t is not current and not t.done()]
    assert leaked == [], f"connector left tasks running: {leaked}"


def _channel(conn: Connector) -> str:
    channel = getattr(conn, "channel", None)
    assert isinstance(channel, str), "a connector exposes the channel it serves as .channel"
    return channel
