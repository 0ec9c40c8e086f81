"""The contract every platform connector passes against its emulator.

Connect; receive; survive a server-initiated reconnect; raise classified errors on 429, 5xx and
auth failures (the supervisor turns them into backoff, waiting and ``invalid_auth``); send
within the platform's limits; close cleanly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any

import pytest

from connectors.base import Connector
from connectors.errors import AuthError, RateLimited, TransientError
from connectors.events import ChatEvent, ChatMessage, Reply

TIMEOUT = 15.0


class _Reader:
    """Pull events from a connector, re-entering ``events()`` after a transient error."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        self.queue: asyncio.Queue[ChatEvent | BaseException] = asyncio.Queue()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                stream: AsyncIterator[ChatEvent] = self.connector.events()
                async for event in stream:
                    await self.queue.put(event)
                return
            except TransientError:
                continue  # what the supervisor does, minus its backoff
            except Exception as exc:
                await self.queue.put(exc)
                return

    async def next_message(self, text: str) -> ChatMessage:
        async with asyncio.timeout(TIMEOUT):
            while True:
                item = await self.queue.get()
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, ChatMessage) and item.text == text:
                    return item

    async def stop(self) -> None:
        self.task.cancel()
        with suppress(asyncio.CancelledError):
            await self.task


async def test_connects_and_receives(harness: Any) -> None:
    async with harness.connector() as conn:
        reader = _Reader(conn)
        try:
            msg_id = await harness.inject_message(
                text="!buy 101 M red", author_id="u-1", author_name="Alice"
            )
            msg = await reader.next_message("!buy 101 M red")
        finally:
            await reader.stop()
    assert msg.platform == harness.platform
    assert msg.message_id == msg_id and isinstance(msg.message_id, str)
    assert msg.author_id == "u-1"
    assert msg.sent_at.utcoffset() is not None


async def test_survives_server_reconnect_without_duplicates(harness: Any) -> None:
    async with harness.connector() as conn:
        reader = _Reader(conn)
        try:
            await harness.inject_message(text="first", author_id="u-1", author_name="Alice")
            first = await reader.next_message("first")
            await harness.server_reconnect()
            await harness.inject_message(text="second", author_id="u-2", author_name="Bob")
            second = await reader.next_message("second")
            leftovers = [
                e
                for e in _drain(reader.queue)
                if isinstance(e, ChatMessage) and e.message_id == first.message_id
            ]
        finally:
            await reader.stop()
    assert second.author_id == "u-2"
    assert leftovers == []


def _drain(queue: asyncio.Queue[Any]) -> list[Any]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


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
    if not harness.fail_next("auth", on="read"):
        pytest.skip(f"{harness.platform} cannot fail auth on read")
    with pytest.raises(AuthError):
        async with asyncio.timeout(TIMEOUT), harness.connector() as conn:
            async for _ in conn.events():
                pass
    assert AuthError.key == "invalid_auth"


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
        reader = _Reader(conn)
        await harness.inject_message(text="hi", author_id="u-4", author_name="Dan")
        await reader.next_message("hi")
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
