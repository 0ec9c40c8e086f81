"""Emulated Helix and id.twitch.tv routes (Starlette), with Twitch's shapes, limits and errors."""

from __future__ import annotations

import json
import math
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.twitch.device import DEVICE_GRANT, DeviceFlow
from sandbox.twitch.state import MAX_CHARS, ChatLine, Token, TwitchWorld, rfc3339

BUCKET_POINTS = 800

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_DROP_TEXT = {
    "msg_subsonly": "This room is in subscribers only mode.",
    "msg_followersonly": "This room is in followers-only mode.",
    "msg_banned": "You are permanently banned from talking in this channel.",
    "msg_ratelimit": "Your message was not sent because you are sending messages too quickly.",
    "msg_duplicate": "Your message was not sent because it is identical to the previous one "
    "you sent, less than 30 seconds ago.",
    "msg_slowmode": "This room is in slow mode and you are sending messages too quickly.",
}


class SubscriptionSink(Protocol):
    """The EventSub server: attaches a subscription to a live WebSocket session."""

    def add_subscription(self, session_id: str, sub: dict[str, Any]) -> int | None:
        """Attach; return None on success or an HTTP status for the error."""
        ...

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription, enabled or not."""
        ...


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Twitch's error envelope."""
    body = {"error": _REASONS.get(status, "Error"), "status": status, "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


class HelixRoutes:
    """The routes plus fault injection (``fail_next``) and a per-token point bucket."""

    def __init__(
        self,
        world: TwitchWorld,
        sink: SubscriptionSink,
        *,
        on_bot_line: Callable[[ChatLine], None],
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.world = world
        self.sink = sink
        self.on_bot_line = on_bot_line
        self.wall_clock = wall_clock
        self.failures: dict[str, deque[tuple[int, dict[str, str]]]] = {}
        self._buckets: dict[str, tuple[float, int]] = {}
        self.calls: list[tuple[str, str]] = []
        self.device = DeviceFlow(world, world.clock)  # sandbox/twitch/device.py

    def fail_next(self, route: str, status: int, headers: dict[str, str] | None = None) -> None:
        """Make the next call to ``route`` (e.g. ``chat/messages``) answer ``status``."""
        self.failures.setdefault(route, deque()).append((status, headers or {}))

    def app(self) -> Starlette:
        """Build the ASGI app."""
        return Starlette(
            routes=[
                Route("/helix/users", self.users, methods=["GET"]),
                Route("/helix/streams", self.streams, methods=["GET"]),
                Route("/helix/eventsub/subscriptions", self.create_sub, methods=["POST"]),
                Route("/helix/eventsub/subscriptions", self.list_subs, methods=["GET"]),
                Route("/helix/chat/messages", self.chat_message, methods=["POST"]),
                Route("/oauth2/validate", self.validate, methods=["GET"]),
                Route("/oauth2/token", self.token, methods=["POST"]),
                *self.device.routes(),
            ]
        )

    # --- plumbing ------------------------------------------------------------------------

    def _injected(self, route: str) -> Response | None:
        queue = self.failures.get(route)
        if not queue:
            return None
        status, headers = queue.popleft()
        if status == 429 and "Ratelimit-Reset" not in headers:
            headers = {
                **headers,
                "Ratelimit-Limit": str(BUCKET_POINTS),
                "Ratelimit-Remaining": "0",
                "Ratelimit-Reset": str(math.ceil(self.wall_clock()) + 1),
            }
        return error(status, f"injected {status}", headers)

    def _auth(self, request: Request) -> Token | Response:
        self.calls.append((request.method, request.url.path))
        if request.headers.get("client-id") != self.world.client_id:
            return error(401, "invalid client id")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        token = self.world.tokens.get(value) if scheme.lower() == "bearer" else None
        if token is None:
            return error(401, "Invalid OAuth token")
        return token

    def _bucket(self, token: Token) -> tuple[dict[str, str], bool]:
        now = self.wall_clock()
        start, used = self._buckets.get(token.user_id, (now, 0))
        if now - start >= 60:
            start, used = now, 0
        ok = used < BUCKET_POINTS
        used += 1 if ok else 0
        self._buckets[token.user_id] = (start, used)
        headers = {
            "Ratelimit-Limit": str(BUCKET_POINTS),
            "Ratelimit-Remaining": str(BUCKET_POINTS - used),
            "Ratelimit-Reset": str(math.ceil(start + 60)),
        }
        return headers, ok

    async def _guard(self, request: Request, route: str) -> tuple[Token, dict[str, str]] | Response:
        auth = self._auth(request)
        if isinstance(auth, Response):
            return auth
        injected = self._injected(route)
        if injected is not None:
            return injected
        headers, ok = self._bucket(auth)
        if not ok:
            return error(429, "Too Many Requests", headers)
        return auth, headers

    # --- routes --------------------------------------------------------------------------

    async def users(self, request: Request) -> Response:
        guard = await self._guard(request, "users")
        if isinstance(guard, Response):
            return guard
        token, headers = guard
        logins = request.query_params.getlist("login")
        ids = request.query_params.getlist("id")
        found = [
            a
            for a in self.world.accounts.values()
            if a.login in logins
            or a.id in ids
            or (not logins and not ids and a.id == token.user_id)
        ]
        data = [
            {
                "id": a.id,
                "login": a.login,
                "display_name": a.display_name,
                "type": "",
                "broadcaster_type": "",
                "description": "",
                "profile_image_url": "",
                "offline_image_url": "",
                "view_count": 0,
                "created_at": "2016-12-14T20:32:28Z",
            }
            for a in found
        ]
        return JSONResponse({"data": data}, headers=headers)

    async def streams(self, request: Request) -> Response:
        guard = await self._guard(request, "streams")
        if isinstance(guard, Response):
            return guard
        _, headers = guard
        b = self.world.broadcaster
        wanted = request.query_params.getlist("user_id") + request.query_params.getlist(
            "user_login"
        )
        data = []
        if self.world.live and (b.id in wanted or b.login in wanted):
            data.append(
                {
                    "id": "40952121085",
                    "user_id": b.id,
                    "user_login": b.login,
                    "user_name": b.display_name,
                    "game_id": "509658",
                    "game_name": "Just Chatting",
                    "type": "live",
                    "title": "Live shopping",
                    "viewer_count": 42,
                    "started_at": "2026-11-23T19:00:00Z",
                    "language": "en",
                    "tags": ["English"],
                    "is_mature": False,
                }
            )
        return JSONResponse({"data": data, "pagination": {}}, headers=headers)

    async def create_sub(self, request: Request) -> Response:
        guard = await self._guard(request, "eventsub/subscriptions")
        if isinstance(guard, Response):
            return guard
        token, headers = guard
        body = await _json(request)
        if not isinstance(body, dict):
            return error(400, "malformed body")
        transport = body.get("transport") or {}
        condition = body.get("condition") or {}
        if transport.get("method") != "websocket" or not transport.get("session_id"):
            return error(400, "transport.session_id is required")
        if not isinstance(condition, dict) or not condition.get("broadcaster_user_id"):
            return error(400, "condition.broadcaster_user_id is required")
        if condition.get("user_id", token.user_id) != token.user_id:
            return error(403, "user_id must match the token")
        if "user:read:chat" not in token.scopes:
            return error(403, "subscription missing proper authorization")
        sub = {
            "id": str(uuid.uuid4()),
            "status": "enabled",
            "type": body.get("type"),
            "version": body.get("version", "1"),
            "condition": condition,
            "created_at": rfc3339(self.world.now()),
            "transport": {
                "method": "websocket",
                "session_id": transport["session_id"],
                "connected_at": rfc3339(self.world.now()),
            },
            "cost": 0,
        }
        status = self.sink.add_subscription(transport["session_id"], sub)
        if status is not None:
            return error(status, "subscription refused")
        total = len(self.sink.subscriptions())
        payload = {"data": [sub], "total": total, "total_cost": 0, "max_total_cost": 10}
        return JSONResponse(payload, status_code=202, headers=headers)

    async def list_subs(self, request: Request) -> Response:
        guard = await self._guard(request, "eventsub/subscriptions")
        if isinstance(guard, Response):
            return guard
        _, headers = guard
        subs = self.sink.subscriptions()
        body = {"data": subs, "total": len(subs), "total_cost": 0, "max_total_cost": 10}
        return JSONResponse({**body, "pagination": {}}, headers=headers)

    async def chat_message(self, request: Request) -> Response:
        guard = await self._guard(request, "chat/messages")
        if isinstance(guard, Response):
            return guard
        token, headers = guard
        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            return error(400, "message is required")
        if body.get("broadcaster_id") != self.world.broadcaster.id:
            return error(400, "invalid broadcaster_id")
        if body.get("sender_id") != token.user_id:
            return error(403, "sender_id must match the token")
        if "user:write:chat" not in token.scopes:
            return error(401, "missing scope user:write:chat")
        text = body["message"]
        if len(text) > MAX_CHARS:
            return error(422, "message is too large")
        line, code = self.world.bot_message(text, body.get("reply_parent_message_id") or None)
        if line is None:
            drop = {"code": code, "message": _DROP_TEXT.get(code or "", "dropped")}
            data = {"message_id": "", "is_sent": False, "drop_reason": drop}
        else:
            self.on_bot_line(line)
            data = {"message_id": line.id, "is_sent": True, "drop_reason": None}
        return JSONResponse({"data": [data]}, headers=headers)

    async def validate(self, request: Request) -> Response:
        self.calls.append((request.method, request.url.path))
        injected = self._injected("validate")
        if injected is not None:
            return injected
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        token = self.world.tokens.get(value) if scheme.lower() in ("oauth", "bearer") else None
        if token is None:
            return JSONResponse({"status": 401, "message": "invalid access token"}, 401)
        return JSONResponse(
            {
                "client_id": self.world.client_id,
                "login": token.login,
                "scopes": token.scopes,
                "user_id": token.user_id,
                "expires_in": token.expires_in,
            }
        )

    async def token(self, request: Request) -> Response:
        self.calls.append((request.method, request.url.path))
        injected = self._injected("token")
        if injected is not None:
            return injected
        form = {
            k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()
        }
        if form.get("grant_type") == DEVICE_GRANT:
            return self.device.token(form)
        if form.get("grant_type") != "refresh_token":
            return JSONResponse({"status": 400, "message": "unsupported grant_type"}, 400)
        if (
            form.get("client_id") != self.world.client_id
            or form.get("client_secret") != self.world.client_secret
        ):
            return JSONResponse({"status": 403, "message": "invalid client secret"}, 403)
        pair = self.world.refresh(str(form.get("refresh_token", "")))
        if pair is None:
            return JSONResponse({"status": 400, "message": "Invalid refresh token"}, 400)
        access, refresh = pair
        return JSONResponse(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": 14_400,
                "scope": self.world.tokens[access].scopes,
                "token_type": "bearer",
            }
        )


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return None
