"""The YouTube live chat connector: chat pushed by streamList (gRPC) or read by quota-planned
polling, and 200-character replies."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Self

from connectors.errors import ConnectorError, RateLimited, StreamOffline
from connectors.events import ChatEnded, ChatEvent, ChatMessage, Reply, SendResult
from connectors.limits import PlatformLimits
from connectors.status import Health, Status, utc_now
from connectors.youtube.classify import PLATFORM, QUOTA_REASONS
from connectors.youtube.client import YouTubeApi
from connectors.youtube.config import YouTubeConfig, YouTubeSecrets
from connectors.youtube.cursor import (
    QUOTA_KEY,
    CursorStore,
    MemoryCursorStore,
    Progress,
    decode_progress,
    encode_progress,
    page_token_key,
)
from connectors.youtube.metered import ChatIsOver, MeteredApi, TextRefused
from connectors.youtube.quota import QuotaPlanner, Spend, stream_plan, stream_quota
from connectors.youtube.stream import StreamFailure, StreamListClient, StreamRefused
from connectors.youtube.stream_wire import error_of, reason_from_details
from connectors.youtube.text import YOUTUBE_TEXT, fit_message
from connectors.youtube.translate import Page, translate_page

_LOGGER = logging.getLogger(__name__)

# YouTube publishes no per-minute send limit; the daily quota is the hard one. These are a
# conservative pacing for one bot in one chat (`rateLimitExceeded` answers are still mapped).
YOUTUBE_LIMITS = PlatformLimits(
    max_messages=20,
    window_seconds=30.0,
    max_chars=YOUTUBE_TEXT.max_length,
    length_unit=YOUTUBE_TEXT.unit,
    min_interval_seconds=1.0,
    threads=False,
    coalesce=True,
)
_SEEN_MAX = 5_000

Sleep = Callable[[float], Awaitable[None]]


def _newest(page: Page) -> datetime | None:
    """The platform time of the newest event on a page (None for an empty page)."""
    times = [e.sent_at if isinstance(e, ChatMessage) else e.at for e in page.events]
    return max(times, default=None)


class YouTubeConnector:
    """Read one YouTube live chat and answer in it.

    Args:
        config: where the chat is and how to budget quota.
        secrets: OAuth credentials; read from ``SHOPSTREAM_YOUTUBE_*`` when omitted.
        cursor_store: keeps the page token (and today's spend) across restarts.
        clock: current aware UTC time (injected in tests).
        sleep: async sleep used between polls (injected in tests).
        name: unique connector name; defaults to ``youtube:<channel>``.
    """

    platform: ClassVar[str] = PLATFORM

    def __init__(
        self,
        config: YouTubeConfig,
        *,
        secrets: YouTubeSecrets | None = None,
        cursor_store: CursorStore | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Sleep = asyncio.sleep,
        name: str | None = None,
    ) -> None:
        self.config = config
        self._secrets = secrets if secrets is not None else YouTubeSecrets.from_env()
        self.cursor_store: CursorStore = cursor_store or MemoryCursorStore()
        self._clock = clock
        self._sleep = sleep
        self.channel: str = config.channel_id or config.video_id or config.live_chat_id or "mine"
        self.name = name or f"{PLATFORM}:{self.channel}"
        self._limits = replace(YOUTUBE_LIMITS, max_chars=config.max_chars)
        self.health = Health(self.name, clock=clock)
        target = config.resolved_stream_target()
        self.transport = config.transport if target else "poll"
        self._stream_target = target
        quota = stream_quota(config.quota) if self.transport == "stream" else config.quota
        self.quota = QuotaPlanner(quota, clock=clock)
        self._api: MeteredApi | None = None
        self._chat_id: str | None = None
        self._ended_chats: set[str] = set()
        self._bot_channel_id = config.bot_channel_id
        self._page_token: str | None = None
        self._resume_after: str | None = None
        self._cutoff: datetime | None = None
        self._token_chat: str | None = None
        self._server_hint: float | None = None
        self._last_read: datetime | None = None
        self._opened_at: datetime | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._stream_client: StreamListClient | None = None
        self._stream: AsyncIterator[dict[str, Any]] | None = None
        self._refresh_next = False

    def plan_note(self, show_minutes: float) -> str:
        """What the day's quota buys this show, for the host before it starts: both stream
        lifetimes when streaming (YouTube does not say how long a stream stays open)."""
        if self.transport != "stream":
            plan = QuotaPlanner(self.quota.settings, clock=self._clock)  # this show's, not ours
            plan.plan_show(show_minutes)
            interval = plan.read_interval()
            every = "paused" if interval is None else f"a read every {interval:.1f} s"
            return f"polling: {every} over {show_minutes:g} min"
        cases = (stream_plan(self.config.quota, show_minutes, life) for life in (None, 10.0))
        return "; ".join(case.note() for case in cases)

    @property
    def proof_interval(self) -> float | None:
        """Seconds between delivery proofs: the stream's quiet allowance while streaming, else
        the quota plan's poll interval (None while the plan pauses reading)."""
        if self.transport == "stream":
            return self.config.stream_allowance_seconds
        return self.quota.read_interval(self._server_hint)

    @property
    def limits(self) -> PlatformLimits:
        """Pacing limits, and ``sends_left``: the inserts the quota plan leaves for replies."""
        return replace(self._limits, sends_left=self.quota.sends_left())

    # --- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Build the API client offline; the chat is found lazily (no quota spent here)."""
        api = YouTubeApi(self.config, self._secrets)
        try:
            await api.open()
        except BaseException:
            await api.close()
            raise
        self._api = MeteredApi(
            api,
            self.quota,
            self.config.quota,
            on_spend=self._save_quota,
            on_skip=self.health.skip,
        )
        if self.transport == "stream" and self._stream_target:
            self._stream_client = StreamListClient(
                self._stream_target, insecure=self.config.stream_insecure
            )
        now = self._clock()
        self._opened_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self.quota.load(self.cursor_store.get(QUOTA_KEY))
        self.health.set(Status.STARTING, self._detail())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Save today's spend and close every connection."""
        metered, self._api = self._api, None
        self._save_quota()
        await self._close_stream()
        if self._stream_client is not None:
            await self._stream_client.close()
            self._stream_client = None
        if metered is not None:
            await metered.api.close()
        self.health.set(Status.STOPPED, self._detail())

    def _detail(self) -> str:
        """The health detail: quota left and the transport reading chat (stream or poll)."""
        return f"{self.quota.detail()} transport={self.transport}"

    def _require_api(self) -> MeteredApi:
        if self._api is None:
            raise RuntimeError("use 'async with YouTubeConnector(...)' before reading or sending")
        return self._api

    def _save_quota(self) -> None:
        self.cursor_store.set(QUOTA_KEY, self.quota.dump())

    # --- health -------------------------------------------------------------------------

    def _report(self, error: ConnectorError) -> None:
        if isinstance(error, StreamOffline):
            self._chat_id = None  # look the chat up again next time
        self.health.last_error = str(error)
        self.health.set(Status(error.key), self._detail())

    def _healthy(self) -> None:
        """Mark the session ok; a changed quota figure alone is updated without a log line."""
        if self.health.status is Status.OK:
            self.health.detail = self._detail()
        else:
            self.health.set(Status.OK, self._detail())

    def _quota_paused(self) -> RateLimited:
        wait = self.quota.seconds_until_reset()
        return RateLimited("youtube quota kept for replies", retry_after=wait, platform=PLATFORM)

    # --- finding the chat ---------------------------------------------------------------

    async def _lookup_chat(self) -> str:
        if self.config.live_chat_id:
            chat_id: str | None = self.config.live_chat_id
        else:
            chat_id, owner = await self._require_api().find_chat(self.config.video_id)
            if owner and self._bot_channel_id is None:
                self._bot_channel_id = owner  # the authorised channel owns the broadcast
        if chat_id is None or chat_id in self._ended_chats:
            raise StreamOffline("youtube: no live chat right now", platform=PLATFORM)
        return chat_id

    async def _ensure_chat(self) -> str:
        if self._chat_id is None:
            self._chat_id = await self._lookup_chat()
        return self._chat_id

    # --- reading ------------------------------------------------------------------------

    def _remember(self, message_id: str) -> None:
        self._seen[message_id] = None
        self._seen.move_to_end(message_id)
        while len(self._seen) > _SEEN_MAX:
            self._seen.popitem(last=False)

    async def _wait_turn(self) -> None:
        interval = self.quota.read_interval(self._server_hint)
        if interval is None:
            raise self._quota_paused()
        if self._last_read is not None:
            elapsed = (self._clock() - self._last_read).total_seconds()
            if interval > elapsed:
                await self._sleep(interval - elapsed)
        self._last_read = self._clock()

    async def events(self) -> AsyncGenerator[ChatEvent, None]:
        """Yield chat events until the chat ends; raise a ConnectorError when reading fails.

        Progress (page token and the last item handed over) is saved in the cursor store after
        every page and whenever the session stops, so a restart resumes where it left off.

        Raises:
            RateLimited: ``rateLimitExceeded``, or the quota is spent (waits until the reset).
            StreamOffline: no live chat, or it was disabled.
            AuthError: the token was refused and could not be refreshed.
            TransientError: connection failures, 5xx answers, repeated malformed pages.
        """
        try:
            async with aclosing(self._read()) as stream:
                async for event in stream:
                    yield event
        except ConnectorError as error:
            self._report(error)
            raise

    async def _read(self) -> AsyncGenerator[ChatEvent, None]:
        api = self._require_api()
        chat_id = await self._ensure_chat()
        key = page_token_key(chat_id)
        if self._token_chat != chat_id:
            saved = decode_progress(self.cursor_store.get(key))
            self._page_token = saved.token if saved else None
            self._resume_after = saved.after if saved else None
            self._cutoff = self._opened_at if saved is None and self.config.skip_backlog else None
            self._token_chat = chat_id
        try:
            while True:
                token = self._page_token
                asked = self._clock()  # a full answer holds all that was sent before this
                try:
                    body = await self._next_body(api, chat_id, token)
                except ChatIsOver:
                    if chat_id in self._ended_chats:
                        raise
                    yield self._end(
                        chat_id,
                        ChatEnded(
                            platform=PLATFORM,
                            channel=self.channel,
                            at=self._clock(),
                            reason="chat_ended",
                        ),
                    )
                    return
                if body is None:
                    continue
                page = translate_page(
                    body,
                    channel=self.channel,
                    not_before=self._cutoff if token is None else None,
                    skip_author=self._bot_channel_id if self.config.skip_own_channel else None,
                    skip_ids=self._seen,
                    resume_after=self._resume_after,
                )
                for bad in page.rejected:  # each costs itself; the page still moves on
                    self.health.skip(bad.raw, bad.reason)
                self._server_hint = page.polling_interval
                self._healthy()
                last = len(page.events) - 1
                for index, (event, source) in enumerate(
                    zip(page.events, page.sources, strict=True)
                ):
                    if isinstance(event, ChatEnded):
                        yield self._end(chat_id, event)
                        return
                    if isinstance(event, ChatMessage):
                        self.health.saw_message()
                    if source:  # handed over from here on: never again, even after a restart
                        self._remember(source)
                        self._resume_after = source
                    if index == last:
                        self._finish_page(page, token)
                    yield event
                self._finish_page(page, token)
                self._save_progress(key)
                if self.transport == "stream":
                    # pushed in order, oldest first: the newest item proves all before it
                    self.health.pushed()
                    newest = _newest(page)
                    if newest is not None:
                        self.health.delivered(newest)
                elif len(page.item_ids) < self.config.max_results:  # else more is waiting
                    self.health.delivered(asked)
                if page.ended:
                    at = page.offline_at or self._clock()
                    ended = ChatEnded(platform=PLATFORM, channel=self.channel, at=at)
                    yield self._end(chat_id, ended)
                    return
        finally:
            await self._close_stream()
            if self._token_chat == chat_id:
                self._save_progress(key)

    # --- the two transports -------------------------------------------------------------

    async def _next_body(self, api: MeteredApi, chat_id: str, token: str | None) -> Any:
        """The next page: pushed by the open stream, else read by a paced poll."""
        if self.transport == "stream":
            try:
                return await self._stream_next(api, chat_id, token)
            except StreamRefused as refused:
                _LOGGER.warning("youtube: streamList refused (%s); reading by polling", refused)
                self.transport = "poll"
                self.health.live(None)
                self.health.detail = self._detail()
        await self._wait_turn()
        return await api.read(chat_id, token)

    async def _stream_next(self, api: MeteredApi, chat_id: str, token: str | None) -> Any:
        """Pull the next response of the open stream, opening one (paced by the quota plan,
        resumed from ``token``) when none is open or the server ended the last one."""
        client = self._stream_client
        if client is None:
            raise StreamRefused("no stream client")
        while True:
            if self._stream is None:
                await self._wait_turn()  # each connection is one read of the quota plan
                access = await api.api.access_token(refresh=self._refresh_next)
                self._refresh_next = False
                self._stream = client.pages(chat_id, token, access_token=access)
                fresh = True
            else:
                fresh = False
            stream = self._stream
            try:
                body = await anext(stream)
            except StopAsyncIteration:  # the server closed it: resume from the last token
                await self._close_stream()
                token = self._page_token
                continue
            except StreamFailure as failure:
                await self._close_stream()
                if failure.answered:
                    self._charge_stream()
                error = self._stream_error(failure)
                if failure.code == "UNAUTHENTICATED" and fresh and not self._refresh_next:
                    self._refresh_next = True  # refresh the token once, then open again
                    continue
                raise error from None
            if fresh:
                self._charge_stream()
            self.health.live(self.config.stream_allowance_seconds)
            return body

    def _charge_stream(self) -> None:
        # streamList costs what a list costs: 5 units a call (its reference page)
        self.quota.charge(Spend.READ, self.config.quota.cost_list)
        self._save_quota()

    def _stream_error(self, failure: StreamFailure) -> ConnectorError:
        reason = reason_from_details(failure.details)
        if reason in QUOTA_REASONS:
            self.quota.mark_exhausted()
        if reason == "liveChatEnded":
            return ChatIsOver("youtube stream liveChatEnded", platform=PLATFORM)
        return error_of(
            failure.code,
            failure.details,
            message=failure.message,
            quota_reset_in=self.quota.seconds_until_reset(),
        )

    async def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        self.health.live(None)
        if isinstance(stream, AsyncGenerator):
            await stream.aclose()

    def _finish_page(self, page: Page, token: str | None) -> None:
        """Move past a page whose events are all handed over (idempotent)."""
        for item_id in page.item_ids:
            self._remember(item_id)
        if page.next_page_token and page.next_page_token != token:
            self._page_token = page.next_page_token
            self._resume_after = None

    def _save_progress(self, key: str) -> None:
        progress = Progress(token=self._page_token, after=self._resume_after)
        self.cursor_store.set(key, encode_progress(progress))

    def _end(self, chat_id: str, event: ChatEnded) -> ChatEnded:
        _LOGGER.info("youtube: live chat %s ended", chat_id)
        self._ended_chats.add(chat_id)
        self._chat_id = None
        self._save_progress(page_token_key(chat_id))
        self._page_token = None
        self._resume_after = None
        self._token_chat = None
        self.health.set(Status.STREAM_OFFLINE, self._detail())
        return event

    # --- sending ------------------------------------------------------------------------

    async def send(self, reply: Reply) -> SendResult:
        """Send one reply (split at word boundaries when it exceeds 200 characters).

        Raises:
            RateLimited: ``rateLimitExceeded``, or not enough quota left today.
            StreamOffline: the chat ended, was disabled or is not found.
            AuthError: no permission to post, or the token could not be refreshed.
            TransientError: connection failures and 5xx answers.
        """
        parts = fit_message(
            reply.text,
            mention=reply.mention,
            short=reply.short,
            rule=self._limits.length_rule,
            max_parts=self.config.max_parts,
        )
        if not parts:
            _LOGGER.warning("youtube: reply %s cannot fit in chat messages; dropped", reply.key)
            return SendResult(sent=False, drop_reason="too_long")
        try:
            if not self.quota.can_send(len(parts)):
                raise self._quota_paused()
            return await self._send_parts(reply.key, parts)
        except ConnectorError as error:
            self._report(error)
            raise

    async def _send_parts(self, key: str, parts: list[str]) -> SendResult:
        api = self._require_api()
        chat_id = await self._ensure_chat()
        first_id: str | None = None
        for index, part in enumerate(parts):
            try:
                body = await api.insert(chat_id, part)
            except TextRefused:
                if index == 0:
                    return SendResult(sent=False, drop_reason="messageTextInvalid")
                return SendResult(sent=True, platform_message_id=first_id, drop_reason="partial")
            except ConnectorError:
                if index == 0:
                    raise
                _LOGGER.warning("youtube: reply %s sent %s of %s parts", key, index, len(parts))
                return SendResult(sent=True, platform_message_id=first_id, drop_reason="partial")
            message_id = self._learn_own(body)
            first_id = first_id or message_id
        if self.health.status is Status.OK:
            self.health.detail = self._detail()
        return SendResult(sent=True, platform_message_id=first_id)

    def _learn_own(self, body: Any) -> str | None:
        """Remember the id of a message the bot sent (and the channel it posts as)."""
        message_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(message_id, str):
            return None
        self._remember(message_id)
        # ``part=snippet`` answers carry ``snippet.authorChannelId`` (the discovery document's
        # LiveChatMessageSnippet); ``authorDetails`` only when that part was asked for
        snippet = body.get("snippet")
        author = body.get("authorDetails")
        own = snippet.get("authorChannelId") if isinstance(snippet, dict) else None
        if not isinstance(own, str) and isinstance(author, dict):
            own = author.get("channelId")
        if isinstance(own, str) and own and self._bot_channel_id is None:
            self._bot_channel_id = own
        return message_id

    def plan_show(self, minutes: float) -> None:
        """Spread reads over a show of ``minutes`` starting now (overrides the settings)."""
        self.quota.plan_show(minutes)

    # --- checking -----------------------------------------------------------------------

    async def check(self) -> str:
        """Make one read-only call (a 1-unit lookup where possible); return a status key."""
        try:
            chat_id = await self._lookup_chat()
            if self.config.live_chat_id:
                await self._require_api().read(chat_id, self._page_token)
        except ConnectorError as error:
            self._report(error)
            return error.key
        self._healthy()
        return str(Status.OK)
