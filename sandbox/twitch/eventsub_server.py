"""Emulated EventSub WebSocket server: welcome, keepalive, notifications, reconnect, close codes."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from sandbox.twitch.state import TwitchWorld, rfc3339

_LOGGER = logging.getLogger(__name__)

CLOSE_REASONS = {
    4000: "internal server error",
    4001: "sent inbound traffic",
    4002: "failed ping-pong",
    4003: "connection unused",
    4004: "reconnect grace time expired",
    4005: "network timeout",
    4006: "network error",
    4007: "invalid reconnect",
}


@dataclass(slots=True)
class _Close:
    code: int
    abort: bool = False


@dataclass(slots=True)
class WsSession:
    """One EventSub WebSocket connection and the subscriptions it carries."""

    id: str
    keepalive: float
    connected_at: str
    outbox: asyncio.Queue[str | _Close] = field(default_factory=asyncio.Queue)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    reconnecting: bool = False


class EventSubServer:
    """Serves ``/ws`` on 127.0.0.1; the emulator pushes notifications through it."""

    def __init__(
        self,
        world: TwitchWorld,
        *,
        min_keepalive: float = 10.0,
        subscribe_deadline: bool = True,
        reconnect_grace: float = 30.0,
    ) -> None:
        self.world = world
        self.min_keepalive = min_keepalive
        self.subscribe_deadline = subscribe_deadline
        self.reconnect_grace = reconnect_grace
        self.duplicate_delivery = False
        self.keepalive_paused = False  # go silent (no keepalives) to test client watchdogs
        self.sessions: dict[str, WsSession] = {}
        self.closed_codes: list[int] = []
        self.connected = asyncio.Event()
        self.subscribed = asyncio.Event()  # a session holds a channel.chat.message subscription
        self._server: Server | None = None
        self.url = ""
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        """Listen on an ephemeral port."""
        self._server = await serve(self._handle, "127.0.0.1", 0, ping_interval=None)
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/ws"

    async def stop(self) -> None:
        """Close every session and the listener."""
        for session in list(self.sessions.values()):
            session.outbox.put_nowait(_Close(1001))
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_idle(self) -> None:
        """Wait until no client is connected."""
        await self._idle.wait()

    # --- subscriptions (called by the Helix routes) --------------------------------------

    def add_subscription(self, session_id: str, sub: dict[str, Any]) -> int | None:
        """Attach ``sub`` to a live session; 400 for an unknown session, 409 for a duplicate."""
        session = self.sessions.get(session_id)
        if session is None:
            return 400
        if any(
            s["type"] == sub["type"] and s["condition"] == sub["condition"]
            for s in session.subscriptions
        ):
            return 409
        if len(session.subscriptions) >= 300:
            return 429
        session.subscriptions.append(sub)
        if sub["type"] == "channel.chat.message":
            self.subscribed.set()
        return None

    def subscriptions(self) -> list[dict[str, Any]]:
        """All subscriptions of all sessions."""
        return [s for session in self.sessions.values() for s in session.subscriptions]

    # --- pushing -------------------------------------------------------------------------

    def notify(self, kind: str, event: dict[str, Any]) -> int:
        """Send a notification to every session subscribed to ``kind``; return how many."""
        delivered = 0
        for session in list(self.sessions.values()):
            for sub in session.subscriptions:
                if sub["type"] != kind or sub["status"] != "enabled":
                    continue
                frame = self._frame(
                    "notification",
                    {"subscription": _as_delivered(sub), "event": event},
                    subscription_type=kind,
                    subscription_version=sub["version"],
                )
                session.outbox.put_nowait(frame)
                if self.duplicate_delivery:
                    session.outbox.put_nowait(frame)
                delivered += 1
        return delivered

    def reconnect(self) -> None:
        """Send ``session_reconnect`` to every session (the reconnect URL carries its id)."""
        for session in list(self.sessions.values()):
            session.reconnecting = True
            rid = base64.urlsafe_b64encode(session.id.encode()).decode().rstrip("=")
            payload = {
                "session": {
                    "id": session.id,
                    "status": "reconnecting",
                    "keepalive_timeout_seconds": None,
                    "reconnect_url": f"{self.url}?reconnect_id={rid}",
                    "connected_at": session.connected_at,
                }
            }
            session.outbox.put_nowait(self._frame("session_reconnect", payload))

    def revoke(self, kind: str, status: str = "authorization_revoked") -> None:
        """Revoke subscriptions of ``kind`` with a ``revocation`` message."""
        for session in list(self.sessions.values()):
            for sub in session.subscriptions:
                if sub["type"] == kind:
                    sub["status"] = status
                    frame = self._frame(
                        "revocation",
                        {"subscription": _as_delivered(sub)},
                        subscription_type=kind,
                        subscription_version=sub["version"],
                    )
                    session.outbox.put_nowait(frame)

    def close_all(self, code: int, *, abort: bool = False) -> None:
        """Close every session with ``code`` (4000-4007), or drop the TCP connection."""
        for session in list(self.sessions.values()):
            session.outbox.put_nowait(_Close(code, abort))

    def keepalive_now(self) -> int:
        """Send ``session_keepalive`` to every session now (tests drive keepalives instead of
        waiting for them); return how many sessions got one."""
        sessions = list(self.sessions.values())
        for session in sessions:
            session.outbox.put_nowait(self._frame("session_keepalive", {}))
        return len(sessions)

    def send_raw(self, text: str) -> None:
        """Send an arbitrary frame to every session (bad-input tests)."""
        for session in list(self.sessions.values()):
            session.outbox.put_nowait(text)

    def _frame(self, kind: str, payload: dict[str, Any], **extra: str) -> str:
        metadata = {
            "message_id": str(uuid.uuid4()),
            "message_type": kind,
            "message_timestamp": rfc3339(self.world.now()),
            **extra,
        }
        return json.dumps({"metadata": metadata, "payload": payload})

    # --- one connection ------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "/ws").query)
        if urlsplit(ws.request.path if ws.request else "/ws").path != "/ws":
            await ws.close(1008, "not found")
            return
        try:
            asked = float(query.get("keepalive_timeout_seconds", ["10"])[0])
        except ValueError:
            asked = 10.0
        keepalive = min(600.0, max(self.min_keepalive, asked))
        session = WsSession(id=f"AQoQ{uuid.uuid4().hex[:24]}", keepalive=keepalive, connected_at="")
        session.connected_at = rfc3339(self.world.now())
        old = self._take_over(query.get("reconnect_id", [""])[0], session)
        if old is False:
            await ws.close(4007, CLOSE_REASONS[4007])
            return
        self.sessions[session.id] = session
        self._idle.clear()
        self.connected.set()
        try:
            await self._serve(ws, session, old if isinstance(old, WsSession) else None)
        finally:
            self.sessions.pop(session.id, None)
            if not any(s["type"] == "channel.chat.message" for s in self.subscriptions()):
                self.subscribed.clear()
            if not self.sessions:
                self._idle.set()
                self.connected.clear()

    def _take_over(self, reconnect_id: str, session: WsSession) -> WsSession | bool | None:
        if not reconnect_id:
            return None
        try:
            old_id = base64.urlsafe_b64decode(reconnect_id + "=" * (-len(reconnect_id) % 4))
        except ValueError:
            return False
        old = self.sessions.get(old_id.decode("utf-8", "replace"))
        if old is None or not old.reconnecting:
            return False
        session.subscriptions, old.subscriptions = old.subscriptions, []
        for sub in session.subscriptions:
            sub["transport"]["session_id"] = session.id
        return old

    async def _serve(self, ws: ServerConnection, session: WsSession, old: WsSession | None) -> None:
        welcome = {
            "session": {
                "id": session.id,
                "status": "connected",
                "keepalive_timeout_seconds": int(session.keepalive)
                if session.keepalive >= 1
                else session.keepalive,
                "reconnect_url": None,
                "connected_at": session.connected_at,
            }
        }
        await ws.send(self._frame("session_welcome", welcome))
        inbound = asyncio.create_task(self._inbound(ws, session))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + session.keepalive
        grace_end = None
        try:
            while True:
                if session.reconnecting and grace_end is None:
                    grace_end = loop.time() + self.reconnect_grace
                wait = session.keepalive
                if self.subscribe_deadline and not session.subscriptions and old is None:
                    wait = max(0.0, deadline - loop.time())
                if grace_end is not None:
                    wait = min(wait, max(0.0, grace_end - loop.time()))
                try:
                    async with asyncio.timeout(wait):
                        item = await session.outbox.get()
                except TimeoutError:
                    if grace_end is not None and loop.time() >= grace_end:
                        item = _Close(4004)
                    elif (
                        self.subscribe_deadline
                        and not session.subscriptions
                        and old is None
                        and not session.reconnecting
                    ):
                        item = _Close(4003)
                    elif self.keepalive_paused:
                        continue
                    else:
                        item = self._frame("session_keepalive", {})
                if isinstance(item, _Close):
                    self.closed_codes.append(item.code)
                    if item.abort:
                        ws.transport.abort()
                    else:
                        await ws.close(item.code, CLOSE_REASONS.get(item.code, "closing"))
                    return
                await ws.send(item)
        except ConnectionClosed:
            return
        finally:
            inbound.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await inbound

    async def _inbound(self, ws: ServerConnection, session: WsSession) -> None:
        try:
            await ws.recv()
        except ConnectionClosed:
            session.outbox.put_nowait(_Close(1000))
            return
        session.outbox.put_nowait(_Close(4001))


def _as_delivered(sub: dict[str, Any]) -> dict[str, Any]:
    """A subscription as a notification or revocation carries it: its transport without the
    ``connected_at`` that Create EventSub Subscription's answer has (EventSub reference
    examples: ``transport {method, session_id}``)."""
    transport = {k: v for k, v in sub.get("transport", {}).items() if k != "connected_at"}
    return {**sub, "transport": transport}
