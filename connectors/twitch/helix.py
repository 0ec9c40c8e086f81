"""A small Helix and OAuth client on requests, run in worker threads (never on the event loop).

python-twitch-client's ``TwitchHelix`` is not used: its base URL is a module constant (it cannot
be pointed at the emulator without patching), it has no chat, EventSub, validate or refresh calls,
and on HTTP 429 it ``time.sleep``s and retries unboundedly inside the call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import requests

from connectors.errors import AuthError, FatalError, RateLimited, TransientError
from connectors.twitch.wire import (
    HelixStream,
    HelixUser,
    SentMessage,
    Subscription,
    TokenResponse,
    ValidateResponse,
)
from connectors.values import JSON_ERRORS, ascii_int

_LOGGER = logging.getLogger(__name__)
PLATFORM = "twitch"


class Unauthorized(AuthError):
    """HTTP 401: the access token was refused (the caller may refresh and retry once)."""


@dataclass(frozen=True, slots=True)
class HelixReply:
    """Status, JSON body and rate-limit headers of one call."""

    status: int
    body: Any
    remaining: int | None
    reset_at: float | None


class HelixClient:
    """Helix (``/helix``) and OAuth (``/oauth2``) calls with errors mapped to the connector tree.

    ``token`` is read on every call, so a refresh takes effect at once.
    """

    def __init__(
        self,
        *,
        helix_url: str,
        oauth_url: str,
        client_id: str,
        token: Callable[[], str],
        timeout: float = 10.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.helix_url = helix_url.rstrip("/")
        self.oauth_url = oauth_url.rstrip("/")
        self.client_id = client_id
        self._token = token
        self._timeout = timeout
        self._wall_clock = wall_clock
        self._session = requests.Session()
        self.ratelimit_remaining: int | None = None

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def _call(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Any = None,
        json: Any = None,
        data: Any = None,
    ) -> HelixReply:
        try:
            resp = self._session.request(
                method,
                url,
                headers=dict(headers),
                params=params,
                json=json,
                data=data,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise TransientError(
                f"{method} {url}: {type(exc).__name__}", platform=PLATFORM
            ) from None
        try:
            body = resp.json() if resp.content else None
        except JSON_ERRORS:
            body = None
        remaining = _int_header(resp.headers.get("Ratelimit-Remaining"))
        reset_at = _int_header(resp.headers.get("Ratelimit-Reset"))
        if remaining is not None:
            self.ratelimit_remaining = remaining
        return HelixReply(
            resp.status_code, body, remaining, float(reset_at) if reset_at is not None else None
        )

    def _raise_for(self, what: str, reply: HelixReply) -> None:
        status = reply.status
        if status < 400:
            return
        message = reply.body.get("message", "") if isinstance(reply.body, dict) else ""
        text = f"{what}: HTTP {status} {message}".strip()
        if status == 401:
            raise Unauthorized(text, platform=PLATFORM)
        if status == 429:
            wait = None
            if reply.reset_at is not None:
                wait = max(0.0, reply.reset_at - self._wall_clock())
            raise RateLimited(text, retry_after=wait, platform=PLATFORM)
        if status >= 500:
            raise TransientError(text, platform=PLATFORM)
        if status == 403:
            raise AuthError(text, platform=PLATFORM)
        raise FatalError(text, platform=PLATFORM)

    def _helix_headers(self) -> dict[str, str]:
        return {"Client-Id": self.client_id, "Authorization": f"Bearer {self._token()}"}

    async def _helix(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        allow: tuple[int, ...] = (),
    ) -> HelixReply:
        reply = await asyncio.to_thread(
            self._call,
            method,
            f"{self.helix_url}/{path}",
            headers=self._helix_headers(),
            params=params,
            json=json,
        )
        if reply.status not in allow:
            self._raise_for(f"{method} /{path}", reply)
        return reply

    async def validate(self, token: str | None = None) -> ValidateResponse:
        """``GET /oauth2/validate``.

        Raises:
            Unauthorized: the token is invalid or expired.
            TransientError: network trouble or 5xx.
        """
        headers = {"Authorization": f"OAuth {token or self._token()}"}
        reply = await asyncio.to_thread(
            self._call, "GET", f"{self.oauth_url}/validate", headers=headers
        )
        self._raise_for("validate", reply)
        return cast(ValidateResponse, reply.body or {})

    async def refresh(self, refresh_token: str, client_secret: str) -> TokenResponse:
        """``POST /oauth2/token`` with ``grant_type=refresh_token``.

        Raises:
            AuthError: the refresh token was refused (HTTP 400/401).
            TransientError: network trouble or 5xx.
        """
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.client_id,
            "client_secret": client_secret,
        }
        reply = await asyncio.to_thread(
            self._call, "POST", f"{self.oauth_url}/token", headers={}, data=form
        )
        if reply.status in (400, 401, 403):
            raise AuthError(f"refresh refused: HTTP {reply.status}", platform=PLATFORM)
        self._raise_for("token", reply)
        body = cast(TokenResponse, reply.body or {})
        if not body.get("access_token"):
            raise AuthError("refresh returned no access_token", platform=PLATFORM)
        return body

    async def get_users(self, logins: list[str]) -> list[HelixUser]:
        """``GET /helix/users?login=...`` (login -> id)."""
        reply = await self._helix("GET", "users", params=[("login", x) for x in logins])
        return cast(list[HelixUser], (reply.body or {}).get("data", []))

    async def get_stream(self, user_id: str) -> HelixStream | None:
        """``GET /helix/streams?user_id=...``: the live stream, or None when offline."""
        reply = await self._helix("GET", "streams", params={"user_id": user_id})
        data = (reply.body or {}).get("data", [])
        return cast(HelixStream, data[0]) if data else None

    async def subscribe(
        self, kind: str, condition: Mapping[str, str], session_id: str, version: str = "1"
    ) -> Subscription | None:
        """``POST /helix/eventsub/subscriptions`` over the WebSocket transport.

        Returns None when the subscription already exists (HTTP 409).
        """
        body = {
            "type": kind,
            "version": version,
            "condition": dict(condition),
            "transport": {"method": "websocket", "session_id": session_id},
        }
        reply = await self._helix("POST", "eventsub/subscriptions", json=body, allow=(409,))
        if reply.status == 409:
            return None
        data = (reply.body or {}).get("data", [])
        return cast(Subscription, data[0]) if data else None

    async def send_chat_message(
        self, broadcaster_id: str, sender_id: str, message: str, reply_to: str | None
    ) -> SentMessage:
        """``POST /helix/chat/messages``; a 200 can still say ``is_sent: false``."""
        body: dict[str, str] = {
            "broadcaster_id": broadcaster_id,
            "sender_id": sender_id,
            "message": message,
        }
        if reply_to:
            body["reply_parent_message_id"] = reply_to
        reply = await self._helix("POST", "chat/messages", json=body)
        data = (reply.body or {}).get("data", [])
        if not data or not isinstance(data[0], dict):
            raise TransientError("chat/messages: empty data", platform=PLATFORM)
        return cast(SentMessage, data[0])


def _int_header(value: str | None) -> int | None:
    return ascii_int(value, hi=2**53)  # a header of 400 digits parses, but no float holds it
