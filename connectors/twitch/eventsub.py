"""One EventSub WebSocket session: welcome, subscribe, keepalive watchdog, reconnect hand-over."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import suppress
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from connectors.errors import AuthError, ConnectorError, FatalError, TransientError
from connectors.status import SKIP_RAW_CHARS
from connectors.values import JSON_ERRORS, ascii_int

_LOGGER = logging.getLogger(__name__)
PLATFORM = "twitch"
MAX_KEEPALIVE = 600  # keepalive_timeout_seconds is 10..600 [platforms.md §EventSub]
MAX_FRAME = 1 << 20  # Twitch frames are a few KiB; bigger ones are logged and skipped
WIRE_LIMIT = 16 << 20  # beyond this the library closes the connection (1009)

# close code -> (error class, meaning); the reference's table, our retry policy
CLOSE_CODES: dict[int, tuple[type[ConnectorError], str]] = {
    4000: (TransientError, "internal server error"),
    4001: (FatalError, "client sent inbound traffic"),
    4002: (TransientError, "client failed ping-pong"),
    4003: (TransientError, "connection unused (no subscription in time)"),
    4004: (TransientError, "reconnect grace time expired"),
    4005: (TransientError, "network timeout"),
    4006: (TransientError, "network error"),
    4007: (TransientError, "invalid reconnect"),
}


def close_error(code: int | None, reason: str = "") -> ConnectorError:
    """Classify a close code (4001 is our bug, so retrying cannot help; the rest are transient)."""
    cls, meaning = CLOSE_CODES.get(code or 1006, (TransientError, reason or "connection closed"))
    return cls(f"eventsub closed {code}: {meaning}", platform=PLATFORM)


def revocation_error(status: str, kind: str) -> ConnectorError:
    """Classify a ``revocation`` by the subscription's new status."""
    if status == "authorization_revoked":
        return AuthError(f"{kind} revoked: {status}", platform=PLATFORM)
    return FatalError(f"{kind} revoked: {status}", platform=PLATFORM)


def _log_skip(raw: object, reason: str) -> None:
    _LOGGER.warning("eventsub: skipped %s", reason)


def decode(
    raw: str | bytes, on_skip: Callable[[object, str], None] = _log_skip
) -> dict[str, Any] | None:
    """Parse one frame; None when it is oversized or not an EventSub JSON object (told to
    ``on_skip``, which the connector points at its status: a counted skip)."""
    if len(raw) > MAX_FRAME:
        on_skip(raw[:SKIP_RAW_CHARS], f"an oversized frame ({len(raw)} bytes)")
        return None
    try:
        data = json.loads(raw)
    except JSON_ERRORS:
        on_skip(raw, f"a frame that is not JSON ({len(raw)} bytes)")
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("metadata"), dict)
        or not isinstance(data.get("payload"), dict)
    ):
        on_skip(data, "a frame without metadata/payload")
        return None
    return data


def _part(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``payload[key]`` when it is an object, else an empty one."""
    value = payload.get(key)
    return value if isinstance(value, Mapping) else {}


def with_keepalive(url: str, seconds: float) -> str:
    """Add ``keepalive_timeout_seconds`` to the first connection's URL."""
    parts = urlsplit(url)
    query = (
        parts.query
        + ("&" if parts.query else "")
        + urlencode({"keepalive_timeout_seconds": f"{seconds:g}"})
    )
    return urlunsplit(parts._replace(query=query))


class EventSubReader:
    """Reads one session and its hand-overs; raises a ConnectorError when the session ends.

    ``subscribe(session_id)`` is awaited once after the first welcome (not after a
    ``session_reconnect``: subscriptions carry over); ``tick()`` at every keepalive, after
    ``on_keepalive(message)`` (its ``message_timestamp`` is a delivery watermark).
    """

    def __init__(
        self,
        url: str,
        *,
        keepalive: float,
        grace: float,
        subscribe: Callable[[str], Awaitable[None]],
        tick: Callable[[], Awaitable[None]] | None = None,
        on_keepalive: Callable[[Mapping[str, Any]], None] | None = None,
        on_skip: Callable[[object, str], None] = _log_skip,
    ) -> None:
        self.url = url
        self.on_keepalive = on_keepalive
        self.on_skip = on_skip  # a frame that cannot be used (the connector counts it)
        self.keepalive = keepalive
        self.grace = grace
        self.subscribe = subscribe
        self.tick = tick
        self.session_id: str | None = None
        self._ws: ClientConnection | None = None

    async def _open(self, url: str) -> tuple[ClientConnection, float]:
        try:
            async with asyncio.timeout(self.keepalive + self.grace):
                ws = await connect(url, max_size=WIRE_LIMIT, ping_interval=None, close_timeout=2)
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise TransientError(
                f"eventsub connect: {type(exc).__name__}", platform=PLATFORM
            ) from None
        except InvalidURI as exc:
            raise FatalError(f"eventsub url: {exc}", platform=PLATFORM) from None
        try:
            welcome = await self._recv(ws, self.keepalive + self.grace)
            while welcome is None:
                welcome = await self._recv(ws, self.keepalive + self.grace)
            if welcome["metadata"].get("message_type") != "session_welcome":
                raise TransientError("eventsub: first frame was not a welcome", platform=PLATFORM)
            session = _part(welcome["payload"], "session")
            self.session_id = str(session.get("id") or "")
            seconds = ascii_int(session.get("keepalive_timeout_seconds"), lo=1, hi=MAX_KEEPALIVE)
            return ws, float(seconds or self.keepalive) + self.grace
        except BaseException:
            await ws.close()
            raise

    async def _recv(self, ws: ClientConnection, limit: float) -> dict[str, Any] | None:
        try:
            async with asyncio.timeout(limit):
                raw = await ws.recv()
        except TimeoutError:
            raise TransientError(
                f"eventsub: nothing for {limit:g} s (keepalive missed)", platform=PLATFORM
            ) from None
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            raise close_error(code, exc.rcvd.reason if exc.rcvd else "") from None
        return decode(raw, self.on_skip)

    async def close(self) -> None:
        """Close the current socket (safe to call twice)."""
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    async def messages(self) -> AsyncGenerator[Mapping[str, Any], None]:
        """Yield every ``notification`` message; handle the rest; raise when the session ends."""
        ws, timeout = await self._open(with_keepalive(self.url, self.keepalive))
        self._ws = ws
        try:
            await self.subscribe(self.session_id or "")
            while True:
                msg = await self._recv(ws, timeout)
                if msg is None:
                    continue
                kind = msg["metadata"].get("message_type")
                if kind == "notification":
                    yield msg
                elif kind == "session_keepalive":
                    if self.on_keepalive is not None:
                        self.on_keepalive(msg)
                    if self.tick is not None:
                        await self.tick()  # quiet chat still gets the hourly token check
                elif kind == "session_reconnect":
                    url = _part(msg["payload"], "session").get("reconnect_url")
                    if not isinstance(url, str) or not url:
                        raise TransientError("reconnect without url", platform=PLATFORM)
                    _LOGGER.info("eventsub: session_reconnect, handing over")
                    new_ws, timeout = await self._open(url)
                    old, ws, self._ws = ws, new_ws, new_ws
                    async for leftover in self._drain(old):
                        yield leftover
                elif kind == "revocation":
                    sub = _part(msg["payload"], "subscription")
                    raise revocation_error(str(sub.get("status")), str(sub.get("type")))
                else:
                    self.on_skip(msg, f"unknown message_type {kind!r}")
        finally:
            await self.close()

    async def _drain(self, old: ClientConnection) -> AsyncGenerator[Mapping[str, Any], None]:
        """Close the old socket after the new welcome and yield what it still held."""
        with suppress(Exception):
            await old.close()
        while True:
            try:
                raw = await old.recv()
            except (ConnectionClosed, RuntimeError):
                return
            msg = decode(raw, self.on_skip)
            if msg is not None and msg["metadata"].get("message_type") == "notification":
                yield msg
