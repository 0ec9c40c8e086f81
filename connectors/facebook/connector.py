"""Facebook Live connector: real-time comments (SSE) plus gap backfill, public and private replies.

Lifecycle: ``async with`` builds the Graph client (facebook-sdk in worker threads, see
:mod:`connectors.facebook.graph`) and the httpx client for the stream, resolves the Page id
(``GET /me`` when not given) and the live video (``/{page-id}/live_videos?broadcast_status=
["LIVE"]`` when not configured). :meth:`FacebookConnector.events` is one session of
:class:`connectors.facebook.session.CommentSession`; :meth:`FacebookConnector.send` chooses the
public reply (``POST /{comment-id}/comments``) or the private reply (Send API with a
``comment_id`` recipient, once per comment, within 7 days).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import ClassVar, Self

import httpx

from connectors.backoff import Backoff
from connectors.errors import ConnectorError, FatalError, RateLimited, StreamOffline
from connectors.events import ChatEnded, ChatEvent, Reply, SendResult
from connectors.facebook import redact
from connectors.facebook.config import FacebookConfig, FacebookCredentials, credentials_from_env
from connectors.facebook.dedupe import RecentIds
from connectors.facebook.graph import GraphClient
from connectors.facebook.graph_errors import PostingBlocked, PrivateReplyRefused
from connectors.facebook.pacing import plan_of, usage_percent
from connectors.facebook.session import CommentSession, SessionState
from connectors.facebook.translate import PLATFORM
from connectors.limits import PlatformLimits, SlidingWindow
from connectors.status import Health, Status, utc_now
from connectors.text import LengthRule, LengthUnit

_LOGGER = logging.getLogger(__name__)

PRIVATE_REPLY_WINDOW = timedelta(days=7)
POSTING_BLOCK_SECONDS = 3600.0

# Facebook publishes no per-minute cap for Page replies; 60/min is our conservative default
# (``replies_per_minute``). Private replies go through the Send API, whose own limit is 300
# text messages a second per Page (developers.facebook.com/documentation/business-messaging/
# messenger-platform/overview/rate-limiting); we send at most ``private_replies_per_second``.
# Length: platforms.md §0 gives comments no bot-relevant limit ("long"); 2000 is the Messenger
# Send API's text limit (private replies; comments allow 8000), so one limit fits both routes.
# Counted in UTF-16 units, which are never fewer than code points, since Facebook does not say
# what it counts. Identical text to one comment within minutes is refused (506). A reply
# threads to one comment, so buyers are never combined in one reply (no @-tag reaches them
# from the API); a sold-out notice many share goes as one comment on the live video (digest).
FACEBOOK_LIMITS = PlatformLimits(
    max_messages=60,
    window_seconds=60.0,
    max_chars=2000,
    length_unit=LengthUnit.UTF16,
    duplicate_window_seconds=600.0,
    threads=True,
    coalesce=False,
    private_replies=True,
    private_max_messages=100,
    private_window_seconds=1.0,
    digest=True,
)


class FacebookConnector:
    """Comments of one Facebook Live video, and replies to them, for one Page."""

    platform: ClassVar[str] = PLATFORM

    def __init__(
        self,
        config: FacebookConfig,
        *,
        credentials: FacebookCredentials | None = None,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        """Build a connector; nothing connects before ``async with``.

        Args:
            config: the ``[connectors.facebook]`` settings.
            credentials: Page token and id; default: read now from the environment
                (``SHOPSTREAM_FACEBOOK_PAGE_TOKEN``, ``SHOPSTREAM_FACEBOOK_PAGE_ID``).
            clock: wall clock (UTC) for timestamps and the backfill cursor.
            monotonic: clock for send pacing.
            sleep: async sleep between in-session stream reconnects (tests pass a fast one).
            backoff: delays between in-session stream reconnects.
        """
        self.config = config
        self._credentials = credentials or credentials_from_env()
        self._clock = clock
        self._monotonic = monotonic
        self.limits = replace(
            FACEBOOK_LIMITS,
            max_messages=config.replies_per_minute,
            private_replies=config.private_replies,
            private_max_messages=config.private_replies_per_second,
        )
        self.page_id = self._credentials.page_id if self._credentials else None
        self.live_video_id: str | None = config.live_video_id
        self.channel = self.page_id or config.live_video_id or "facebook"
        self.name = f"facebook:{self.channel}"
        self.health = Health(self.name, clock=clock)
        self._graph: GraphClient | None = None
        self._http: httpx.AsyncClient | None = None
        self._state = SessionState(backoff=backoff or Backoff(base=0.5, cap=30.0))
        self._sleep = sleep
        self._window = SlidingWindow(self.limits.max_messages, self.limits.window_seconds)
        self._private_window = SlidingWindow(
            config.private_replies_per_second, self.limits.private_window_seconds
        )
        self._private_done: RecentIds[str, bool] = RecentIds()
        self._blocked_until: float | None = None

    @property
    def proof_interval(self) -> float:
        """Seconds between delivery proofs: only a completed backfill round proves delivery,
        one a second by default, fewer as Graph's usage headers climb (``pacing.py``)."""
        usage = usage_percent(self._graph.usage) if self._graph is not None else None
        return plan_of(self.config).period(usage)

    # ----------------------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Self:
        """Open the clients, resolve the Page and the live video (read-only calls).

        Raises:
            FatalError: base URLs or the token are not configured.
            AuthError: the token was refused.
            TransientError: Facebook could not be reached.
        """
        creds = self._credentials
        if creds is None:
            raise FatalError("SHOPSTREAM_FACEBOOK_PAGE_TOKEN is not set", platform=PLATFORM)
        if not self.config.graph_url or not self.config.streaming_url:
            raise FatalError("facebook graph_url/streaming_url are not set", platform=PLATFORM)
        redact.install()
        self._graph = GraphClient(
            base_url=self.config.graph_url,
            version=self.config.api_version,
            token=creds.page_token.get_secret_value(),
            timeout=self.config.request_timeout_seconds,
            rate_limit_wait=self.config.rate_limit_wait_seconds,
        )
        timeout = httpx.Timeout(
            self.config.request_timeout_seconds, read=self.config.stream_idle_seconds
        )
        self._http = httpx.AsyncClient(timeout=timeout)
        try:
            if self.page_id is None:
                me = await self._graph.get_object("me", fields="id,name")
                self.page_id = str(me.get("id") or "") or None
            if self.page_id is None:
                raise FatalError("could not learn the Page id", platform=PLATFORM)
            self.channel = self.page_id
            self.name = self.health.name = f"facebook:{self.channel}"
            try:
                await self._resolve_video()
            except StreamOffline:
                self.health.set(Status.STREAM_OFFLINE)
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the stream client and the Graph session."""
        await self._close()
        self.health.set(Status.STOPPED)

    async def _close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        if self._graph is not None:
            self._graph.close()
            self._graph = None

    def _require(self) -> tuple[GraphClient, httpx.AsyncClient]:
        if self._graph is None or self._http is None:
            raise FatalError("the connector is not open (use 'async with')", platform=PLATFORM)
        return self._graph, self._http

    async def _resolve_video(self) -> str:
        if self.live_video_id:
            return self.live_video_id
        graph, _ = self._require()
        page = await graph.get_connections(
            str(self.page_id),
            "live_videos",
            broadcast_status='["LIVE"]',
            fields="id,status,title,video,permalink_url,creation_time",
        )
        for video in page.get("data") or []:
            if isinstance(video, dict) and video.get("id") and video.get("status") == "LIVE":
                self.live_video_id = str(video["id"])
                _LOGGER.info("facebook: live video %s on page %s", self.live_video_id, self.page_id)
                return self.live_video_id
        raise StreamOffline("the Page has no LIVE video", platform=PLATFORM)

    # ------------------------------------------------------------------------------- reading

    async def check(self) -> str:
        """One read-only call: the configured video's status, or the Page's live videos."""
        try:
            graph, _ = self._require()
            if self.live_video_id:
                video = await graph.get_object(self.live_video_id, fields="id,status")
                return "ok" if video.get("status") == "LIVE" else "stream_offline"
            await self._resolve_video()
        except ConnectorError as exc:
            return exc.key
        return "ok"

    async def events(self) -> AsyncIterator[ChatEvent]:
        """Yield comments of the live video from one session.

        Raises:
            StreamOffline: no live video right now.
            TransientError, RateLimited: the stream dropped or Facebook throttled us.
            AuthError: the token was refused; FatalError: retrying cannot help.
        """
        graph, http = self._require()
        try:
            video_id = await self._resolve_video()
        except ConnectorError as exc:
            self.health.set(_status_of(exc))
            raise
        session = CommentSession(
            config=self.config,
            graph=graph,
            http=http,
            token=self._token(),
            video_id=video_id,
            channel=self.channel,
            page_id=self.page_id,
            health=self.health,
            state=self._state,
            clock=self._clock,
            sleep=self._sleep,
        )
        try:
            async for event in session.run():
                if isinstance(event, ChatEnded) and not self.config.live_video_id:
                    self.live_video_id = None  # the next session looks for the next live
                yield event
        except ConnectorError as exc:
            self.health.last_error = type(exc).__name__
            self.health.set(_status_of(exc))
            raise

    def _token(self) -> str:
        assert self._credentials is not None
        return self._credentials.page_token.get_secret_value()

    # ------------------------------------------------------------------------------- sending

    async def send(self, reply: Reply) -> SendResult:
        """Send one reply: privately (Send API) when ``reply.private`` and enabled, else publicly.

        Raises:
            RateLimited: our pacing or Facebook's rate-limit codes (4, 17, 32, 613, 80001).
            DuplicateContent: Facebook refused the text as a duplicate (vary it and resend).
            PostingBlocked: the Page may not post for now (code 368).
            AuthError, TransientError, FatalError: as Facebook says.
        """
        graph, _ = self._require()
        now = self._monotonic()
        if self._blocked_until is not None and now < self._blocked_until:
            raise PostingBlocked("posting is blocked (code 368 earlier)", platform=PLATFORM)
        text = _fit(reply, self.limits.length_rule)
        if text is None:
            return SendResult(sent=False, drop_reason="too_long")
        private = reply.private and self.config.private_replies
        wait = (self._private_window if private else self._window).wait_time(now)
        if wait > 0:
            raise RateLimited("facebook reply pacing", retry_after=wait, platform=PLATFORM)
        try:
            if private:
                return await self._send_private(graph, reply, text)
            return await self._send_public(graph, reply, text)
        except PostingBlocked:
            self._blocked_until = now + POSTING_BLOCK_SECONDS
            raise
        except RateLimited:
            self.health.set(Status.RATE_LIMITED)
            raise

    async def find_sent(self, reply: Reply) -> str | None:
        """Our public comment that is ``reply``, among the live video's newest comments.

        After a crash between Facebook accepting a send and the outbox marking it, this
        tells whether it went out. ``/{video}/comments`` with ``filter=stream`` lists
        replies to comments too, and ``order=reverse_chronological`` the newest first
        (Graph API reference, Object /comments edge). Returns the comment id, or None when
        the newest page reaches back past it without it.

        Raises:
            FatalError: a private reply (the Send API has no lookup), no live video, or
                more comments since than one page holds (cannot tell).
        """
        graph, _ = self._require()
        if reply.private and self.config.private_replies:
            raise FatalError("a private reply cannot be looked up", platform=PLATFORM)
        text = _fit(reply, self.limits.length_rule)
        if text is None:
            return None  # never sendable: it was not sent
        if not self.live_video_id or not self.page_id:
            raise FatalError("no live video to look the reply up in", platform=PLATFORM)
        body = await graph.get_connections(
            self.live_video_id,
            "comments",
            filter="stream",
            live_filter="no_filter",
            order="reverse_chronological",
            fields="id,message,from",
            limit=100,
        )
        data = body.get("data")
        rows = [c for c in data if isinstance(c, dict)] if isinstance(data, list) else []
        for comment in rows:
            author = comment.get("from")
            author_id = author.get("id") if isinstance(author, dict) else None
            if comment.get("message") == text and str(author_id) == self.page_id:
                return str(comment.get("id") or "") or None
        if len(rows) >= 100:
            raise FatalError("too many comments since to tell", platform=PLATFORM)
        return None

    async def _send_public(self, graph: GraphClient, reply: Reply, text: str) -> SendResult:
        target = reply.reply_to_id or self.live_video_id
        if not target:
            return SendResult(sent=False, drop_reason="no_live_video")
        self._window.record(self._monotonic())
        self._state.own_texts.add(text, True)
        body = await graph.put_object(target, "comments", message=text)
        created = body.get("id")
        if isinstance(created, str | int):
            self._state.own_ids.add(str(created), True)
        return SendResult(sent=True, platform_message_id=str(created) if created else None)

    async def _send_private(self, graph: GraphClient, reply: Reply, text: str) -> SendResult:
        comment_id = reply.reply_to_id
        if not comment_id:
            return SendResult(sent=False, drop_reason="private_reply_needs_comment")
        if comment_id in self._private_done:
            return SendResult(sent=False, drop_reason="private_reply_already_sent")
        written = self._state.comment_times.get(comment_id)
        if written is not None and self._clock() - written > PRIVATE_REPLY_WINDOW:
            return SendResult(sent=False, drop_reason="private_reply_window_closed")
        self._private_window.record(self._monotonic())
        try:
            body = await graph.put_object(
                str(self.page_id),
                "messages",
                recipient=json.dumps({"comment_id": comment_id}),
                message=json.dumps({"text": text}),
                messaging_type="RESPONSE",
            )
        except PrivateReplyRefused:
            # Facebook keeps the once-per-comment rule itself, so a retry after an unclear
            # failure (timeout) is safe: it lands here when the first attempt went through.
            self._private_done.add(comment_id, True)
            return SendResult(sent=False, drop_reason="private_reply_refused")
        self._private_done.add(comment_id, True)
        message_id = body.get("message_id")
        return SendResult(sent=True, platform_message_id=str(message_id) if message_id else None)


def _fit(reply: Reply, rule: LengthRule) -> str | None:
    """The reply's text, or its short form, whichever fits one comment (the outbox splits)."""
    if rule.fits(reply.text):
        return reply.text
    if reply.short and rule.fits(reply.short):
        return reply.short
    return None


def _status_of(exc: ConnectorError) -> Status:
    try:
        return Status(exc.key)
    except ValueError:
        return Status.CANNOT_CONNECT
