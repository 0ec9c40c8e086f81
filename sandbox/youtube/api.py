"""Request handling of the emulated YouTube Data API: auth, quota meter, faults and routes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.youtube import envelopes
from sandbox.youtube.state import ChatState, etag, rfc3339

Answer = tuple[int, dict[str, Any] | str | None]

# Costs in the bundled discovery document (rev 20261104); videos/broadcasts lists are 1.
DEFAULT_COSTS: dict[str, int] = {
    "list": 5,
    "insert": 20,
    "delete": 20,
    "videos": 1,
    "broadcasts": 1,
    "stream": 5,  # liveChatMessages.streamList: 5 units a call (its reference page)
}
ROUTES = ("list", "insert", "delete", "videos", "broadcasts", "token", "stream")


@dataclass(slots=True)
class Fault:
    """An injected answer for the next calls of one route."""

    status: int
    body: dict[str, Any] | str | None
    count: int = 1
    skip: int = 0  # calls let through before the fault


@dataclass(slots=True)
class AuthState:
    """The OAuth client the emulator knows and the access tokens it honours."""

    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    refresh_token: str = "sandbox-refresh-token"
    accept_any_token: bool = True
    refresh_valid: bool = True
    issued: set[str] = field(default_factory=set)
    refreshes: int = 0

    def valid(self, token: str | None) -> bool:
        """Whether a bearer token is accepted."""
        if not token:
            return False
        return self.accept_any_token or token in self.issued

    def expire_tokens(self) -> None:
        """Make every access token handed out so far invalid (refresh gets a new one)."""
        self.accept_any_token = False
        self.issued.clear()

    def refresh(self, form: Mapping[str, str]) -> Answer:
        """Answer ``POST /token`` (grant_type=refresh_token) like Google's token endpoint."""
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        if not self.refresh_valid or form.get("refresh_token") != self.refresh_token:
            return 400, {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
        self.refreshes += 1
        token = f"ya29.emulator-{self.refreshes}-{etag()[:12]}"
        self.issued.add(token)
        body: dict[str, Any] = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        if form.get("scope"):
            body["scope"] = form["scope"]
        return 200, body


class YouTubeApiState:
    """Everything behind the routes: the chat, auth, quota meter and injected faults."""

    def __init__(
        self,
        chat: ChatState,
        *,
        polling_interval_ms: int = 2000,
        backlog: int = 20,
        daily_quota: int = 10_000,
        costs: Mapping[str, int] | None = None,
        strict_polling: bool = False,
    ) -> None:
        self.chat = chat
        self.auth = AuthState()
        self.polling_interval_ms = polling_interval_ms
        self.backlog = backlog
        self.daily_quota = daily_quota
        self.costs = {**DEFAULT_COSTS, **(costs or {})}
        self.strict_polling = strict_polling
        self.quota_used = 0
        self.calls: Counter[str] = Counter()
        self.faults: dict[str, deque[Fault]] = {route: deque() for route in ROUTES}
        self._last_list: datetime | None = None
        self._salt = hashlib.sha256(chat.live_chat_id.encode()).digest()[:4]

    # --- page tokens --------------------------------------------------------------------

    def token_for(self, position: int) -> str:
        """Encode a feed position as an opaque page token."""
        raw = b"\x1a" + struct.pack(">Q", position) + self._salt
        return "GP" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def position_of(self, token: str) -> int | None:
        """Decode a page token (None if it is not one of ours)."""
        if not token.startswith("GP"):
            return None
        body = token[2:]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(raw) != 13 or raw[0] != 0x1A or raw[9:] != self._salt:
            return None
        position = int(struct.unpack(">Q", raw[1:9])[0])
        return position if position <= len(self.chat.items) else None

    # --- cross-cutting ------------------------------------------------------------------

    def fail_next(
        self, route: str, reason: str, *, status: int | None = None, count: int = 1, skip: int = 0
    ) -> None:
        """Answer ``count`` calls of ``route`` (after letting ``skip`` through) with ``reason``."""
        if route not in self.faults:
            raise ValueError(f"unknown route {route!r}; one of {ROUTES}")
        code = status or envelopes.status_of(reason)
        body = envelopes.unauthorized() if code == 401 else envelopes.error(reason, status=code)
        self.faults[route].append(Fault(code, body, count, skip))

    def serve_raw(self, route: str, body: str, *, status: int = 200, count: int = 1) -> None:
        """Answer the next ``count`` calls of ``route`` with ``body`` as it is (not JSON)."""
        if route not in self.faults:
            raise ValueError(f"unknown route {route!r}; one of {ROUTES}")
        self.faults[route].append(Fault(status, body, count))

    def _fault(self, route: str) -> Answer | None:
        queue = self.faults[route]
        if not queue:
            return None
        fault = queue[0]
        if fault.skip > 0:
            fault.skip -= 1
            return None
        fault.count -= 1
        if fault.count <= 0:
            queue.popleft()
        return fault.status, fault.body

    def admit(self, route: str, bearer: str | None, key: str | None) -> Answer | None:
        """Count a call of ``route`` and answer its fault, auth or quota refusal, if any."""
        return self._gate(route, bearer, key)

    def _gate(self, route: str, bearer: str | None, key: str | None) -> Answer | None:
        """Count the call, then apply faults, auth and the quota meter (in that order)."""
        self.calls[route] += 1
        fault = self._fault(route)
        if fault is not None:
            return fault
        api_key_ok = route in ("videos", "stream") and bool(key)  # the guide: key or OAuth
        if not api_key_ok and not self.auth.valid(bearer):
            return 401, envelopes.unauthorized()
        cost = self.costs[route]
        if self.quota_used + cost > self.daily_quota:
            return 403, envelopes.error("quotaExceeded")
        self.quota_used += cost
        return None

    # --- routes -------------------------------------------------------------------------

    def list_messages(self, params: Mapping[str, str], bearer: str | None) -> Answer:
        """``GET /youtube/v3/liveChat/messages``."""
        denied = self._gate("list", bearer, params.get("key"))
        if denied:
            return denied
        chat = self.chat
        if params.get("liveChatId") != chat.live_chat_id:
            return 404, envelopes.error("liveChatNotFound")
        if chat.disabled:
            return 403, envelopes.error("liveChatDisabled")
        if chat.end_delivered:
            return 403, envelopes.error("liveChatEnded")
        now = chat.clock()
        if (
            self.strict_polling
            and self._last_list is not None
            and (now - self._last_list).total_seconds() * 1000 < self.polling_interval_ms
        ):
            return 403, envelopes.error("rateLimitExceeded")
        self._last_list = now
        token = params.get("pageToken")
        if token:
            start = self.position_of(token)
            if start is None:
                return 400, envelopes.error("invalidPageToken")
        else:
            start = max(0, len(chat.items) - self.backlog)
        limit = _int(params.get("maxResults"), 500)
        window = chat.items[start : start + max(1, limit)]
        parts = set((params.get("part") or "").split(","))
        items = [_shape(i, parts) for i in window if _id(i) not in chat.deleted]
        if any(_type(i) == "chatEndedEvent" for i in window):
            chat.end_delivered = True
        body: dict[str, Any] = {
            "kind": "youtube#liveChatMessageListResponse",
            "etag": etag(),
            "pollingIntervalMillis": self.polling_interval_ms,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
            "nextPageToken": self.token_for(start + len(window)),
            "items": items,
        }
        if chat.offline_at is not None:
            body["offlineAt"] = rfc3339(chat.offline_at)
        return 200, body

    def insert_message(self, params: Mapping[str, str], body: Any, bearer: str | None) -> Answer:
        """``POST /youtube/v3/liveChat/messages?part=snippet``."""
        denied = self._gate("insert", bearer, None)
        if denied:
            return denied
        if "snippet" not in (params.get("part") or "").split(","):
            return 400, envelopes.error("missingRequiredParameter", message="part=snippet")
        snippet = body.get("snippet") if isinstance(body, dict) else None
        if not isinstance(snippet, dict) or not snippet.get("liveChatId"):
            return 400, envelopes.error("liveChatIdRequired")
        if snippet.get("type") != "textMessageEvent":
            return 400, envelopes.error("typeRequired")
        details = snippet.get("textMessageDetails")
        text = details.get("messageText") if isinstance(details, dict) else None
        if not isinstance(text, str) or not text:
            return 400, envelopes.error("messageTextRequired")
        if len(text) > 200:
            return 400, envelopes.error("messageTextInvalid")
        chat = self.chat
        if snippet["liveChatId"] != chat.live_chat_id:
            return 404, envelopes.error("liveChatNotFound")
        if chat.disabled:
            return 403, envelopes.error("liveChatDisabled")
        if not chat.live:
            return 403, envelopes.error("liveChatEnded")
        # the answer carries only the parts asked for, like a list (``part=snippet``: no
        # ``authorDetails``; https://developers.google.com/youtube/v3/live/docs/liveChatMessages/insert)
        parts = set((params.get("part") or "").split(","))
        return 200, _shape(chat.bot_message(text), parts)

    def delete_message(self, params: Mapping[str, str], bearer: str | None) -> Answer:
        """``DELETE /youtube/v3/liveChat/messages?id=…`` (204 with no body)."""
        denied = self._gate("delete", bearer, None)
        if denied:
            return denied
        if not self.chat.delete(params.get("id") or ""):
            return 404, envelopes.error("liveChatMessageNotFound")
        return 204, None

    def list_videos(self, params: Mapping[str, str], bearer: str | None) -> Answer:
        """``GET /youtube/v3/videos`` (``activeLiveChatId`` only while live)."""
        denied = self._gate("videos", bearer, params.get("key"))
        if denied:
            return denied
        ids = [v for v in (params.get("id") or "").split(",") if v]
        parts = set((params.get("part") or "").split(","))
        chat = self.chat
        items = []
        if chat.video_id in ids:
            video: dict[str, Any] = {"kind": "youtube#video", "etag": etag(), "id": chat.video_id}
            if "liveStreamingDetails" in parts:
                details: dict[str, Any] = {
                    "actualStartTime": rfc3339(chat.started_at),
                    "concurrentViewers": str(len(chat.authors)),
                }
                if chat.live:
                    details["activeLiveChatId"] = chat.live_chat_id
                else:
                    assert chat.offline_at is not None
                    details["actualEndTime"] = rfc3339(chat.offline_at)
                video["liveStreamingDetails"] = details
            if "snippet" in parts:
                video["snippet"] = {
                    "publishedAt": rfc3339(chat.started_at),
                    "channelId": chat.owner.channel_id,
                    "title": chat.title,
                    "liveBroadcastContent": "live" if chat.live else "none",
                }
            items.append(video)
        return 200, _list_body("youtube#videoListResponse", items)

    def list_broadcasts(self, params: Mapping[str, str], bearer: str | None) -> Answer:
        """``GET /youtube/v3/liveBroadcasts`` (OAuth; ``broadcastType`` defaults to ``event``)."""
        denied = self._gate("broadcasts", bearer, None)
        if denied:
            return denied
        status = params.get("broadcastStatus")
        if not (status or params.get("id") or params.get("mine")):
            return 400, envelopes.error("missingRequiredParameter")
        chat = self.chat
        kind = params.get("broadcastType") or "event"
        lifecycle = "live" if chat.live else "complete"
        wanted = {"active": "live", "completed": "complete", "all": lifecycle}.get(status or "all")
        type_ok = kind == "all" or kind == chat.broadcast_type
        id_ok = not params.get("id") or chat.video_id in params["id"].split(",")
        items = []
        if type_ok and id_ok and wanted == lifecycle:
            snippet: dict[str, Any] = {
                "publishedAt": rfc3339(chat.started_at),
                "channelId": chat.owner.channel_id,
                "title": chat.title,
                "actualStartTime": rfc3339(chat.started_at),
                "liveChatId": chat.live_chat_id,
                "isDefaultBroadcast": chat.broadcast_type == "persistent",
            }
            if chat.offline_at is not None:
                snippet["actualEndTime"] = rfc3339(chat.offline_at)
            items.append(
                {
                    "kind": "youtube#liveBroadcast",
                    "etag": etag(),
                    "id": chat.video_id,
                    "snippet": snippet,
                    "status": {"lifeCycleStatus": lifecycle, "privacyStatus": "public"},
                }
            )
        return 200, _list_body("youtube#liveBroadcastListResponse", items)

    def token(self, form: Mapping[str, str]) -> Answer:
        """``POST /token``: refresh an access token."""
        self.calls["token"] += 1
        fault = self._fault("token")
        return fault if fault is not None else self.auth.refresh(form)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _id(item: Any) -> Any:
    return item.get("id") if isinstance(item, dict) else None


def _type(item: Any) -> Any:
    snippet = item.get("snippet") if isinstance(item, dict) else None
    return snippet.get("type") if isinstance(snippet, dict) else None


def _shape(item: Any, parts: set[str]) -> Any:
    """Keep only the requested parts (``id`` and ``kind``/``etag`` are always there)."""
    if not isinstance(item, dict):
        return item
    return {k: v for k, v in item.items() if k not in ("snippet", "authorDetails") or k in parts}


def _list_body(kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": kind,
        "etag": etag(),
        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        "items": items,
    }
