"""The YouTube live chat connector: quota-planned polling and 200-character replies."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Self

from connectors.errors import (
    ConnectorError,
    RateLimited,
    StreamOffline,
    TransientError,
)
from connectors.events import ChatEnded, ChatEvent, ChatMessage, Reply, SendResult
from connectors.limits import PlatformLimits
from connectors.status import Health, Status, utc_now
from connectors.youtube.classify import PLATFORM, classify
from connectors.youtube.client import ApiFailure, MalformedResponse, YouTubeApi
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
from connectors.youtube.quota import QuotaPlanner, Spend
from connectors.youtube.text import fit_message
from connectors.youtube.translate import (
    Page,
    chat_from_broadcasts,
    chat_id_from_video,
    translate_page,
)

_LOGGER = logging.getLogger(__name__)

# YouTube publishes no per-minute send limit; the daily quota is the hard one. These are a
# conservative pacing for one bot in one chat (`rateLimitExceeded` answers are still mapped).
YOUTUBE_LIMITS = PlatformLimits(
    max_messages=20,
    window_seconds=30.0,
    max_chars=200,
    min_interval_seconds=1.0,
    threads=False,
    coalesce=True,
)
_SEEN_MAX = 5_000
_MALFORMED_MAX = 3

Sleep = Callable[[float], Awaitable[None]]


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
        self.limits = YOUTUBE_LIMITS
        self.health = Health(self.name, clock=clock)
        self.quota = QuotaPlanner(config.quota, clock=clock)
        self._api: YouTubeApi | None = None
        self._chat_id: str | None = None
        self._ended_chats: set[str] = set()
        self._bot_channel_id = config.bot_channel_id
        self._page_token: str | None = None
        self._resume_after: str | None = None
        self._cutoff: datetime | None = None
        self._token_chat: str | None = None
        self._malformed = 0
        self._server_hint: float | None = None
        self._last_read: datetime | None = None
        self._opened_at: datetime | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()

    # --- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Build the API client offline; the chat is found lazily (no quota spent here)."""
        api = YouTubeApi(self.config, self._secrets)
        try:
            await api.open()
        except BaseException:
            await api.close()
            raise
        self._api = api
        now = self._clock()
        self._opened_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self.quota.load(self.cursor_store.get(QUOTA_KEY))
        self.health.set(Status.STARTING, self.quota.detail())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Save today's spend and close every connection."""
        api, self._api = self._api, None
        self._save_quota()
        if api is not None:
            await api.close()
        self.health.set(Status.STOPPED, self.quota.detail())

    def _require_api(self) -> YouTubeApi:
        if self._api is None:
            raise RuntimeError("use 'async with YouTubeConnector(...)' before reading or sending")
        return self._api

    def _save_quota(self) -> None:
        self.cursor_store.set(QUOTA_KEY, self.quota.dump())

    # --- errors and health --------------------------------------------------------------

    def _fail(self, failure: ApiFailure, spend: Spend, cost: int) -> ConnectorError:
        self.quota.charge(spend, cost)
        if failure.reason in ("quotaExceeded", "dailyLimitExceeded"):
            self.quota.mark_exhausted()
        if failure.reason == "liveChatNotFound" or failure.status == 404:
            self._chat_id = None
        self._save_quota()
        error = classify(
            failure.status,
            failure.reason,
            quota_reset_in=self.quota.seconds_until_reset(),
            retry_after=failure.retry_after,
        )
        return self._report(error)

    def _report(self, error: ConnectorError) -> ConnectorError:
        self.health.last_error = str(error)
        self.health.set(Status(error.key), self.quota.detail())
        return error

    def _healthy(self) -> None:
        """Mark the session ok; a changed quota figure alone is updated without a log line."""
        if self.health.status is Status.OK:
            self.health.detail = self.quota.detail()
        else:
            self.health.set(Status.OK, self.quota.detail())

    def _quota_paused(self) -> RateLimited:
        wait = self.quota.seconds_until_reset()
        error = RateLimited(
            "youtube quota reserved for replies", retry_after=wait, platform=PLATFORM
        )
        self._report(error)
        return error

    # --- finding the chat ---------------------------------------------------------------

    async def _ensure_chat(self) -> str:
        if self._chat_id is not None:
            return self._chat_id
        api = self._require_api()
        chat_id: str | None
        if self.config.live_chat_id:
            chat_id = self.config.live_chat_id
        elif self.config.video_id:
            cost = self.config.quota.cost_videos_list
            body = await self._lookup(api.video(self.config.video_id), cost)
            chat_id = chat_id_from_video(body)
        else:
            cost = self.config.quota.cost_broadcasts_list
            found = chat_from_broadcasts(await self._lookup(api.active_broadcasts(), cost))
            chat_id = found[0] if found else None
            if found and found[1] and self._bot_channel_id is None:
                self._bot_channel_id = found[1]  # the authorised channel owns the broadcast
        if chat_id is None or chat_id in self._ended_chats:
            raise self._report(StreamOffline("youtube: no live chat right now", platform=PLATFORM))
        self._chat_id = chat_id
        return chat_id

    async def _lookup(self, call: Awaitable[Any], cost: int) -> Any:
        try:
            body = await call
        except ApiFailure as failure:
            raise self._fail(failure, Spend.LOOKUP, cost) from None
        except MalformedResponse:
            self.quota.charge(Spend.LOOKUP, cost)
            raise self._report(
                TransientError("youtube: malformed lookup", platform=PLATFORM)
            ) from None
        except ConnectorError as error:
            raise self._report(error) from None
        self.quota.charge(Spend.LOOKUP, cost)
        return body

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
        if self._last_read is None:
            return
        elapsed = (self._clock() - self._last_read).total_seconds()
        if interval > elapsed:
            await self._sleep(interval - elapsed)

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
                await self._wait_turn()
                token = self._page_token
                body = await self._fetch(api, chat_id, token)
                if body is None:
                    continue
                if isinstance(body, ChatEnded):
                    yield self._end(chat_id, body)
                    return
                page = translate_page(
                    body,
                    channel=self.channel,
                    not_before=self._cutoff if token is None else None,
                    skip_author=self._bot_channel_id if self.config.skip_own_channel else None,
                    skip_ids=self._seen,
                    resume_after=self._resume_after,
                )
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
                if page.ended:
                    at = page.offline_at or self._clock()
                    ended = ChatEnded(platform=PLATFORM, channel=self.channel, at=at)
                    yield self._end(chat_id, ended)
                    return
        finally:
            if self._token_chat == chat_id:
                self._save_progress(key)

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

    async def _fetch(self, api: YouTubeApi, chat_id: str, token: str | None) -> Any:
        """Read one page; None for a malformed page to skip, a ChatEnded when the chat is over."""
        cost = self.config.quota.cost_list
        self._last_read = self._clock()
        try:
            body = await api.list_messages(chat_id, token)
        except ApiFailure as failure:
            if failure.reason == "liveChatEnded" and chat_id not in self._ended_chats:
                self.quota.charge(Spend.READ, cost)
                return ChatEnded(
                    platform=PLATFORM, channel=self.channel, at=self._clock(), reason="chat_ended"
                )
            raise self._fail(failure, Spend.READ, cost) from None
        except MalformedResponse:
            self.quota.charge(Spend.READ, cost)
            self._malformed += 1
            _LOGGER.warning("youtube: malformed chat page skipped (%s in a row)", self._malformed)
            if self._malformed >= _MALFORMED_MAX:
                self._malformed = 0
                raise self._report(
                    TransientError("youtube: malformed pages", platform=PLATFORM)
                ) from None
            return None
        except ConnectorError as error:
            raise self._report(error) from None
        self._malformed = 0
        self.quota.charge(Spend.READ, cost)
        return body

    def _end(self, chat_id: str, event: ChatEnded) -> ChatEnded:
        _LOGGER.info("youtube: live chat %s ended", chat_id)
        self._ended_chats.add(chat_id)
        self._chat_id = None
        self._save_progress(page_token_key(chat_id))
        self._page_token = None
        self._resume_after = None
        self._token_chat = None
        self._save_quota()
        self.health.set(Status.STREAM_OFFLINE, self.quota.detail())
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
        api = self._require_api()
        parts = fit_message(
            reply.text,
            mention=reply.mention,
            short=reply.short,
            max_chars=min(self.config.max_chars, self.limits.max_chars),
            max_parts=self.config.max_parts,
        )
        if not parts:
            _LOGGER.warning("youtube: reply %s cannot fit in chat messages; dropped", reply.key)
            return SendResult(sent=False, drop_reason="too_long")
        if not self.quota.can_send(len(parts)):
            raise self._quota_paused()
        chat_id = await self._ensure_chat()
        cost = self.config.quota.cost_insert
        first_id: str | None = None
        for index, part in enumerate(parts):
            try:
                body = await api.insert_message(chat_id, part)
            except ApiFailure as failure:
                if failure.reason == "messageTextInvalid" and first_id is None:
                    self.quota.charge(Spend.REPLY, cost)
                    return SendResult(sent=False, drop_reason="messageTextInvalid")
                error = self._fail(failure, Spend.REPLY, cost)
                if first_id is None:
                    raise error from None
                _LOGGER.warning(
                    "youtube: reply %s sent %s of %s parts", reply.key, index, len(parts)
                )
                return SendResult(sent=True, platform_message_id=first_id, drop_reason="partial")
            except ConnectorError as error:
                if first_id is None:
                    raise self._report(error) from None
                return SendResult(sent=True, platform_message_id=first_id, drop_reason="partial")
            except MalformedResponse:
                body = {}
            self.quota.charge(Spend.REPLY, cost)
            message_id = self._learn_own(body)
            first_id = first_id or message_id or ""
        self._save_quota()
        if self.health.status is Status.OK:
            self.health.detail = self.quota.detail()
        return SendResult(sent=True, platform_message_id=first_id or None)

    def _learn_own(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return None
        message_id = body.get("id")
        if isinstance(message_id, str):
            self._remember(message_id)
        author = body.get("authorDetails") or {}
        snippet = body.get("snippet") or {}
        own = (author if isinstance(author, dict) else {}).get("channelId") or (
            snippet if isinstance(snippet, dict) else {}
        ).get("authorChannelId")
        if isinstance(own, str) and self._bot_channel_id is None:
            self._bot_channel_id = own
        return message_id if isinstance(message_id, str) else None

    # --- checking -----------------------------------------------------------------------

    async def check(self) -> str:
        """Make one read-only lookup (1 unit where possible) and return a status key."""
        try:
            chat_id = await self._ensure_chat()
            if self.config.live_chat_id and not self.config.video_id:
                api = self._require_api()
                try:
                    await api.list_messages(chat_id, self._page_token)
                except ApiFailure as failure:
                    raise self._fail(failure, Spend.READ, self.config.quota.cost_list) from None
                self.quota.charge(Spend.READ, self.config.quota.cost_list)
        except ConnectorError as error:
            return error.key
        self._healthy()
        return str(Status.OK)
