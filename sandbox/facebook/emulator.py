"""A local Facebook Graph + streaming-graph emulator on 127.0.0.1 (ephemeral port).

One Starlette app served by ``uvicorn.Server`` inside the running loop answers both the Graph
REST routes (with or without a ``/vNN.0`` segment; a ``facebook-api-version`` header says which
version served the call) and the Server-Sent Events route ``/{live-video-id}/live_comments``.
Control methods inject viewer comments (one or many), end the live, drop streams (cleanly or
abruptly) and queue Graph error envelopes with usage headers.

    async with FacebookEmulator() as emu:
        config = FacebookConfig(graph_url=emu.graph_url, streaming_url=emu.streaming_url)
        emu.inject_message("SOLD 101 M", author_id="100001", author_name="Alice")
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.status import utc_now
from sandbox.facebook.graph_routes import handle, route_kind
from sandbox.facebook.oauth import FacebookOAuth
from sandbox.facebook.sse_hub import SseHub
from sandbox.facebook.state import ROUTES, GraphFailure, PageState, SentReply
from sandbox.inloop import InLoopServer

_LOGGER = logging.getLogger(__name__)

_VERSION = re.compile(r"^v(\d+)\.(\d+)$")
CURRENT_VERSION = (26, 0)
OLDEST_USABLE = (21, 0)  # v20.0 ended 2026-09-24; older calls are served by the next usable


class FacebookEmulator:
    """The emulated Graph API for one Page with one live video (more can be added)."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = utc_now,
        live: bool = True,
        keepalive_seconds: float | None = 15.0,
        page_token: str = "emu-page-token",
        user_token: str = "emu-user-token",
        engaged_users: int = 100,
        app_users: int = 100,
    ) -> None:
        self.state = PageState(clock=clock, page_token=page_token, user_token=user_token)
        # Graph's budgets scale with them (sandbox/facebook/usage.py): by default a Page with
        # 100 engaged users (480,000 Pages calls a day) and an app with 100 daily users
        self.state.meter.engaged_users = engaged_users
        self.state.meter.app_users = app_users
        self.live_video_id = "911936075671494"
        self.video_id = "911936075671500"
        self.state.add_video(
            live_video_id=self.live_video_id,
            video_id=self.video_id,
            title="Friday drop",
            status="LIVE" if live else "SCHEDULED_UNPUBLISHED",
        )
        self.hub = SseHub(keepalive_seconds=keepalive_seconds)
        self.oauth = FacebookOAuth(self.state)  # sandbox/facebook/oauth.py
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._port = 0

    # ------------------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))  # 0 the first time; a restart keeps its port
        sock.listen(128)
        self._port = sock.getsockname()[1]
        app = Starlette(
            routes=[Route("/{path:path}", self._endpoint, methods=["GET", "POST", "DELETE"])]
        )
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2
        )
        self._server = InLoopServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="fb-emulator")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.hub.close_all(clean=True)
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._server = self._task = None

    async def restart(self, down_seconds: float = 0.0) -> None:
        """Stop serving (every stream cut), stay down ``down_seconds``, serve again on the
        same port with the same page state, as a platform's front end restarting."""
        await self.__aexit__(None, None, None)
        await asyncio.sleep(down_seconds)
        await self.__aenter__()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/`` (Graph and streaming share it)."""
        return f"http://127.0.0.1:{self._port}/"

    @property
    def graph_url(self) -> str:
        """Base URL for Graph calls."""
        return self.base_url

    @property
    def streaming_url(self) -> str:
        """Base URL for the SSE stream."""
        return self.base_url

    @property
    def page_id(self) -> str:
        """The Page's id."""
        return self.state.page_id

    @property
    def page_token(self) -> str:
        """A Page access token (``from`` is returned with it)."""
        return self.state.page_token

    @property
    def user_token(self) -> str:
        """A User access token (``from`` is stripped with it)."""
        return self.state.user_token

    # ------------------------------------------------------------------------------- controls

    def inject_message(
        self,
        text: str,
        *,
        author_id: str | None = "100001000000001",
        author_name: str | None = "Viewer",
        parent_id: str | None = None,
        created: datetime | None = None,
        live_video_id: str | None = None,
    ) -> str:
        """A viewer comments ``text`` (``author_id=None``: Facebook withholds the author).

        The comment is stored (``/comments`` sees it) and offered to every open stream, which
        drops it when over its ``comment_rate``. Returns the comment id.
        """
        video_id = live_video_id or self.live_video_id
        comment = self.state.add_comment(
            video_id,
            text,
            author_id=author_id,
            author_name=author_name,
            parent_id=parent_id,
            created=created,
        )
        self.hub.publish(video_id, comment)
        return comment.id

    def inject_many(self, messages: Iterable[tuple[str, str | None, str | None]]) -> list[str]:
        """Inject ``(text, author_id, author_name)`` comments in one go (a flash-drop burst)."""
        return [self.inject_message(t, author_id=a, author_name=n) for t, a, n in messages]

    def end_live(self) -> None:
        """The host ends the broadcast: status LIVE_STOPPED and streams close cleanly."""
        video = self.state.videos[self.live_video_id]
        if video.status == "LIVE":
            video.status = "LIVE_STOPPED"
        self.hub.close_all(clean=True)

    def new_live(self, title: str = "Next drop") -> str:
        """End the current live (if any) and start another; return its live video id."""
        self.end_live()
        self.live_video_id = str(int(self.live_video_id) + 1000)
        self.video_id = str(int(self.video_id) + 1000)
        self.state.add_video(
            live_video_id=self.live_video_id, video_id=self.video_id, title=title, status="LIVE"
        )
        return self.live_video_id

    def disconnect_streams(self, *, clean: bool = True) -> int:
        """Close every open SSE stream (abruptly when ``clean`` is false); return how many."""
        return self.hub.close_all(clean=clean)

    def fail_next(
        self,
        route: str,
        *,
        code: int,
        status: int = 400,
        message: str | None = None,
        subcode: int | None = None,
        is_transient: bool | None = None,
        regain_minutes: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer ``times`` calls of ``route`` (see ``state.ROUTES``, or ``any``) with a Graph
        error envelope, after letting ``after`` calls through; rate-limit codes also carry full
        usage headers."""
        if route not in (*ROUTES, "any"):
            raise ValueError(f"unknown route {route!r}")
        headers: dict[str, str] = {}
        if code in (4, 17, 32, 613, 80001):
            regain = self.state.regain_minutes if regain_minutes is None else regain_minutes
            headers = self.state.usage_headers(100, "page", regain)
        failure = GraphFailure.graph(
            status,
            code,
            message or f"(#{code}) emulated failure",
            subcode=subcode,
            is_transient=is_transient,
            headers=headers,
        )
        queue = self.state.faults.setdefault(route, deque())
        queue.extend([failure] * times)
        self.state.fault_skips[route] = after

    def limit_usage(self, calls: int, *, regain_minutes: int | None = None) -> None:
        """Shrink every budget to ``calls`` per its window (the Page's and Messenger's 24 h,
        the app's hour); past it, Page tokens get (#80001) (the Send API (#80006)), other
        tokens (#4). ``regain_minutes`` replaces the computed
        ``estimated_time_to_regain_access``."""
        for name in ("pages", "platform", "messenger"):
            self.state.meter.budgets[name] = calls
        self.state.meter.regain_override = regain_minutes

    def delete_comment(self, comment_id: str) -> None:
        """A moderator removes a comment: it disappears from ``/comments`` and ``GET /{id}``.

        Facebook pushes no deletion on ``live_comments`` or ``/comments`` (only Page webhooks
        would say it), so connectors reading these routes cannot report it.
        """
        comment = self.state.by_id.pop(comment_id)
        self.state.comments[comment.live_video_id].remove(comment)

    def fail_raw(self, route: str, *, status: int, body: str, times: int = 1) -> None:
        """Answer the next calls of ``route`` with a non-JSON body (an HTML 502 page, say)."""
        queue = self.state.faults.setdefault(route, deque())
        queue.extend([GraphFailure(status, body)] * times)

    @property
    def replies(self) -> list[SentReply]:
        """Every reply the Page made, oldest first."""
        return list(self.state.replies)

    # ------------------------------------------------------------------------------------ HTTP

    async def _endpoint(self, request: Request) -> Response:
        parts = [p for p in request.path_params["path"].split("/") if p]
        version = f"v{CURRENT_VERSION[0]}.{CURRENT_VERSION[1]}"
        if parts and (match := _VERSION.match(parts[0])):
            asked = (int(match[1]), int(match[2]))
            served = max(min(asked, CURRENT_VERSION), OLDEST_USABLE)
            version = f"v{served[0]}.{served[1]}"
            parts = parts[1:]
        params = await _params(request)
        headers = {"facebook-api-version": version}
        kind = route_kind(request.method, parts) if parts else "unknown"
        oauth = self.oauth.answer(request.method, parts, params, _token(request, params))
        if oauth is not None:
            return Response(
                json.dumps(oauth[1]), oauth[0], headers=headers, media_type="application/json"
            )
        try:
            token_kind = self.state.token_kind(_token(request, params))
            now = self.state.clock()
            refusal = self.state.meter.charge(kind, token_kind, now)
            headers.update(self.state.meter.headers(kind, token_kind, self.state.page_id, now))
            fault = self.state.take_fault(kind)
            if fault is not None:
                raise fault
            if refusal is not None:
                raise GraphFailure.graph(
                    400, refusal.code, refusal.message, is_transient=refusal.is_transient
                )
            if kind == "live_comments":
                return self.hub.response(self.state, parts[0], params, token_kind, headers)
            base = f"{self.base_url}{version}/"
            body = handle(self.state, request.method, parts, params, token_kind, base)
        except GraphFailure as failure:
            headers.update(failure.headers)
            return _failure_response(failure, headers)
        return Response(json.dumps(body), media_type="application/json", headers=headers)


def _failure_response(failure: GraphFailure, headers: dict[str, str]) -> Response:
    if isinstance(failure.body, str):
        return Response(failure.body, status_code=failure.status, media_type="text/html")
    return Response(
        json.dumps(failure.body),
        status_code=failure.status,
        media_type="application/json",
        headers=headers,
    )


async def _params(request: Request) -> dict[str, str]:
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            try:
                body = json.loads(await request.body())
            except ValueError:
                body = {}
            if isinstance(body, dict):
                params.update(
                    {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
                )
        else:  # application/x-www-form-urlencoded, as facebook-sdk sends
            body_text = (await request.body()).decode("utf-8", errors="replace")
            params.update(dict(parse_qsl(body_text, keep_blank_values=True)))
    return params


def _token(request: Request, params: dict[str, str]) -> str | None:
    auth = request.headers.get("authorization", "")
    for prefix in ("Bearer ", "OAuth "):
        if auth.startswith(prefix):
            return auth[len(prefix) :].strip()
    return params.get("access_token")
