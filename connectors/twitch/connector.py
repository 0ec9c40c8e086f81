"""Twitch connector: EventSub (or IRC) in, Helix (or IRC) out, tokens validated and refreshed."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing, suppress
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from connectors.errors import AuthError, ConnectorError, FatalError, RateLimited
from connectors.events import ChatEvent, ChatMessage, Reply, SendResult
from connectors.limits import PlatformLimits
from connectors.status import Health, Status, utc_now
from connectors.text import TextTooLong, split_text
from connectors.twitch.config import TwitchConfig, TwitchSecrets
from connectors.twitch.eventsub import EventSubReader
from connectors.twitch.helix import HelixClient, Unauthorized
from connectors.twitch.ircclient import IrcConnection, IrcEndpoint
from connectors.twitch.ircsession import IrcLink, IrcReader, IrcSender
from connectors.twitch.sendlimits import WINDOW_SECONDS, SendLimits
from connectors.twitch.translate import BadPayload, eventsub_event, parse_timestamp

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

# chat.message last: once it is live, deletions and bans of what we read are covered too
CHAT_TYPES = (
    "stream.offline",
    "channel.chat.message_delete",
    "channel.chat.clear_user_messages",
    "channel.chat.message",
)
_SEEN_MAX = 20_000
_ELEVATED_BADGES = frozenset({"moderator", "broadcaster", "lead_moderator"})


class TwitchConnector:
    """Reads one channel's chat and answers in it, within Twitch's limits."""

    platform: ClassVar[str] = "twitch"

    def __init__(
        self,
        config: TwitchConfig,
        *,
        secrets: TwitchSecrets | None = None,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.channel = config.channel.lower().lstrip("#")
        self.name = f"twitch:{self.channel}"
        self.health = Health(self.name, clock=clock)
        self._secrets = secrets or TwitchSecrets.from_env()
        self._token = self._secrets.token
        self._refresh_token = self._secrets.refresh_token
        self._clock = clock
        self._monotonic = monotonic
        self._guard = SendLimits(elevated=config.assume_moderator)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._helix: HelixClient | None = None
        self._validated_at = float("-inf")
        self.bot_id = ""
        self.bot_login = ""
        self.broadcaster_id = ""
        self._irc_link: IrcLink | None = None
        self._irc_sender: IrcSender | None = None
        self._refresh_lock = asyncio.Lock()
        self.shared_chat = 0  # messages from Shared Chat partners' channels read so far

    @property
    def proof_interval(self) -> float:
        """Seconds behind now that a connected push stream counts as delivered."""
        return self.config.delivery_allowance_seconds

    @property
    def limits(self) -> PlatformLimits:
        """Twitch's limits for this bot in this channel right now (tier learned at runtime)."""
        return self._guard.limits

    # --- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        cfg = self.config
        helix = bool(cfg.helix_url and cfg.oauth_url)
        if cfg.transport == "eventsub" and not (helix and cfg.eventsub_url):
            raise FatalError(
                "eventsub_url, helix_url and oauth_url must be set", platform=self.platform
            )
        if not helix and not cfg.irc_nick:
            raise FatalError("IRC without Helix needs irc_nick", platform=self.platform)
        if not self._token:
            self.health.set(Status.INVALID_AUTH, "no token")
            raise AuthError("SHOPSTREAM_TWITCH_TOKEN is not set", platform=self.platform)
        if not helix:  # IRC reads and writes chat without Helix; the login checks the token
            self.bot_login = (cfg.irc_nick or "").lower()
            self.health.set(Status.OK)
            return self
        self._helix = HelixClient(
            helix_url=cfg.helix_url or "",
            oauth_url=cfg.oauth_url or "",
            client_id=self._secrets.client_id,
            token=lambda: self._token,
            timeout=cfg.http_timeout_seconds,
        )
        try:
            await self._validate()
            users = await self._authed(lambda h: h.get_users([self.channel]))
            if not users:
                raise FatalError(f"no Twitch user {self.channel!r}", platform=self.platform)
            self.broadcaster_id = str(users[0].get("id", ""))
            if self.broadcaster_id == self.bot_id:
                self._guard.set_elevated(True)
        except ConnectorError as exc:
            self._fail(exc)
            await self._close_clients()
            raise
        self.health.set(Status.OK)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close_clients()
        self.health.set(Status.STOPPED)

    async def _close_clients(self) -> None:
        self._irc_sender = None
        if self._irc_link is not None:
            await self._irc_link.close()
            self._irc_link = None
        if self._helix is not None:
            await asyncio.to_thread(self._helix.close)
            self._helix = None

    # --- auth ----------------------------------------------------------------------------

    @property
    def helix(self) -> HelixClient:
        """The Helix client (only while open).

        Raises:
            FatalError: the connector is not open.
        """
        if self._helix is None:
            raise FatalError("Helix is not configured or not open", platform=self.platform)
        return self._helix

    async def _validate(self) -> None:
        before = self._token
        try:
            info = await self.helix.validate()
        except Unauthorized:
            await self._refresh(before)
            info = await self.helix.validate()
        self.bot_id = str(info.get("user_id") or "")
        self.bot_login = str(info.get("login") or "")
        if not self.bot_id:
            raise AuthError("an app token cannot chat; use a user token", platform=self.platform)
        self._validated_at = self._monotonic()

    async def _refresh(self, refused: str) -> None:
        """Exchange the refresh token once, however many calls saw ``refused`` fail at once."""
        async with self._refresh_lock:
            if self._token != refused:
                return  # another call already refreshed it
            if not self._refresh_token or not self._secrets.client_secret:
                raise AuthError("token refused and no refresh token", platform=self.platform)
            body = await self.helix.refresh(self._refresh_token, self._secrets.client_secret)
            self._token = body["access_token"]
            self._refresh_token = body.get("refresh_token") or self._refresh_token
            _LOGGER.info("%s: access token refreshed", self.name)

    async def _authed(self, call: Callable[[HelixClient], Awaitable[T]]) -> T:
        """Run a Helix call; on 401 refresh once and retry."""
        before = self._token
        try:
            return await call(self.helix)
        except Unauthorized:
            await self._refresh(before)
            return await call(self.helix)

    async def _maybe_revalidate(self) -> None:
        if self._helix is None:
            return  # IRC without Helix: the server checks the token at each login
        if self._monotonic() - self._validated_at >= self.config.validate_interval_seconds:
            await self._validate()

    def _fail(self, exc: ConnectorError) -> None:
        self.health.last_error = str(exc)
        try:
            status = Status(exc.key)
        except ValueError:
            status = Status.CANNOT_CONNECT
        self.health.set(status)

    # --- reading -------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[ChatEvent]:
        """Yield chat events from one session; raise a ConnectorError when it ends.

        Delivery watermark: both transports are in-order push streams, so while the session
        is open everything Twitch stamped up to the newest timestamp seen is delivered, and
        (``live``) so is whatever was sent before now minus ``delivery_allowance_seconds``.
        """
        source = (
            self._eventsub_events() if self.config.transport == "eventsub" else self._irc_events()
        )
        try:
            async with aclosing(source) as stream:
                async for event in stream:
                    if isinstance(event, ChatMessage):
                        self.health.saw_message(event.sent_at)
                        if event.shared:
                            self._count_shared()
                    yield event
        except ConnectorError as exc:
            self._fail(exc)
            raise
        finally:
            self.health.live(None)

    def _count_shared(self) -> None:
        """One more Shared Chat message (typed in a partner's channel) in the status."""
        self.shared_chat += 1
        self.health.extra["shared_chat"] = str(self.shared_chat)

    def _went_live(self) -> None:
        self.health.set(Status.OK)
        self.health.live(self.config.delivery_allowance_seconds)

    def _stamped(self, frame: Mapping[str, Any]) -> None:
        """An EventSub frame was handed over: Twitch delivered all up to its timestamp."""
        metadata = frame.get("metadata")
        stamp = metadata.get("message_timestamp") if isinstance(metadata, Mapping) else None
        # While frames keep coming, "now - allowance" is no proof: a burst may still be
        # waiting unread in the socket when this process runs behind (a busy event loop),
        # so the watermark stays at the newest stamp handed over until the stream is quiet.
        self.health.pushed()
        if isinstance(stamp, str):
            with suppress(BadPayload):
                self.health.delivered(parse_timestamp(stamp))

    def _fresh(self, key: str) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > _SEEN_MAX:
            self._seen.popitem(last=False)
        return True

    async def _subscribe(self, session_id: str) -> None:
        for kind in CHAT_TYPES:
            condition = {"broadcaster_user_id": self.broadcaster_id}
            if kind != "stream.offline":
                condition["user_id"] = self.bot_id
            await self._subscribe_one(kind, condition, session_id)
        self._went_live()

    async def _subscribe_one(self, kind: str, condition: dict[str, str], session_id: str) -> None:
        async def call(helix: HelixClient) -> None:
            await helix.subscribe(kind, condition, session_id)

        await self._authed(call)

    async def _eventsub_events(self) -> AsyncGenerator[ChatEvent, None]:
        await self._maybe_revalidate()
        reader = EventSubReader(
            self.config.eventsub_url or "",
            keepalive=self.config.keepalive_timeout_seconds,
            grace=self.config.keepalive_grace_seconds,
            subscribe=self._subscribe,
            tick=self._maybe_revalidate,
            on_keepalive=self._stamped,
            on_skip=self.health.skip,
        )
        async with aclosing(reader.messages()) as frames:
            async for msg in frames:
                await self._maybe_revalidate()
                event = self._notification(msg)
                if event is not None:
                    yield event
                self._stamped(msg)  # after the hand-over: the event is queued by now

    def _notification(self, msg: Mapping[str, Any]) -> ChatEvent | None:
        """The event a notification carries, unless it is a duplicate, ours, or unusable.

        A notification that fails in any way is a counted skip that costs only itself.
        """
        try:
            return self._event_of(msg)
        except Exception as exc:
            self.health.skip(msg, f"notification: {type(exc).__name__}: {exc}")
            return None

    def _event_of(self, msg: Mapping[str, Any]) -> ChatEvent | None:
        frame_id = msg["metadata"].get("message_id")
        # at least once: a redelivery has the same metadata.message_id (EventSub reference);
        # a frame without one is not deduped by it (the chat message id still is)
        if isinstance(frame_id, str) and frame_id and not self._fresh(f"m:{frame_id}"):
            return None
        event = eventsub_event(msg)
        if isinstance(event, ChatMessage):
            if event.author_id == self.bot_id:
                self._learn_tier(event)
                return None
            if not self._fresh(f"c:{event.message_id}"):
                return None
        return event

    def _learn_tier(self, own: ChatMessage) -> None:
        listed = own.raw.get("badges")
        badges = {
            b["set_id"]
            for b in (listed if isinstance(listed, list) else [])
            if isinstance(b, dict) and isinstance(b.get("set_id"), str)
        }
        elevated = bool(badges & _ELEVATED_BADGES) or self.broadcaster_id == self.bot_id
        self._guard.set_elevated(elevated or self.config.assume_moderator)

    def _irc_endpoint(self) -> IrcEndpoint:
        cfg = self.config
        return IrcEndpoint(
            host=cfg.irc_host,
            port=cfg.irc_port,
            tls=cfg.irc_tls,
            ca_file=cfg.irc_ca_file,
            timeout=cfg.http_timeout_seconds,
        )

    def _irc_connection(self) -> IrcConnection:
        return IrcConnection(
            self._irc_endpoint(),
            nick=self.bot_login,
            token=self._token,
            channel=self.channel,
            on_skip=self.health.skip,
        )

    def _link(self) -> IrcLink:
        """The one IRC connection reads and sends share (a second one under the same nick
        is refused by standard servers with 433)."""
        if self._irc_link is None:
            self._irc_link = IrcLink(
                self._irc_connection,
                ping_interval=self.config.irc_ping_interval_seconds,
                on_userstate=self._guard.set_elevated,
                on_slow=self._guard.set_slow,
                tick=self._maybe_revalidate,
            )
        return self._irc_link

    async def _irc_events(self) -> AsyncGenerator[ChatEvent, None]:
        await self._maybe_revalidate()
        reader = IrcReader(
            self._link(),
            clock=self._clock,
            bot_id=self.bot_id,
            bot_login=self.bot_login,
            on_ok=self._went_live,
            on_skip=self.health.skip,
        )
        async with aclosing(reader.events()) as stream:
            async for event in stream:
                key = event.message_id if isinstance(event, ChatMessage) else None
                if key is None or self._fresh(f"c:{key}"):
                    yield event
                # tmi-sent-ts, once handed over (or the receive time when Twitch sent none);
                # a line just read keeps "now - allowance" from counting (see _stamped)
                self.health.pushed()
                self.health.delivered(event.sent_at if isinstance(event, ChatMessage) else event.at)

    # --- writing -------------------------------------------------------------------------

    async def check(self) -> str:
        """Validate the token once (read-only) and return a status key."""
        try:
            if self._helix is None and self.config.transport == "irc":
                await self._link().connection()  # no Helix: an IRC login is the check
            else:
                await self._validate()
        except ConnectorError as exc:
            return exc.key
        return str(Status.OK)

    async def is_live(self) -> bool:
        """Whether the channel is streaming now (``GET /helix/streams``; needs Helix)."""
        return await self._authed(lambda h: h.get_stream(self.broadcaster_id)) is not None

    async def send(self, reply: Reply) -> SendResult:
        """Send one reply (split at 500 characters), never past Twitch's limits.

        Raises:
            RateLimited: sending now would exceed the rate tier or slow mode, or Twitch said so.
            TransientError: network trouble or 5xx.
            AuthError: the token was refused and could not be refreshed.
        """
        await self._maybe_revalidate()
        try:
            parts = split_text(reply.text, self.limits.length_rule)
        except TextTooLong as exc:
            _LOGGER.warning("twitch: reply %s cannot be split to fit (%s); dropped", reply.key, exc)
            return SendResult(sent=False, drop_reason="too_long")
        if not parts:
            return SendResult(sent=False, drop_reason="empty")
        now = self._monotonic()
        if any(self._guard.is_duplicate(p, now) for p in parts):
            return SendResult(sent=False, drop_reason="msg_duplicate")
        wait = self._guard.wait_time(now, len(parts))
        if wait > 0:
            raise RateLimited("rate tier or slow mode", retry_after=wait, platform=self.platform)
        first_id: str | None = None
        try:
            for part in parts:
                message_id, code = await self._send_one(part, reply.reply_to_id)
                if code is not None:
                    return self._dropped(code)
                self._guard.record(part, self._monotonic())
                first_id = first_id or message_id
        except ConnectorError as exc:
            self._fail(exc)
            raise
        finally:
            self._note_budget()
        return SendResult(sent=True, platform_message_id=first_id)

    def _note_budget(self) -> None:
        limits = self._guard.limits
        self.health.extra["tier"] = f"{limits.max_messages}/{limits.window_seconds:g}s"
        if self._helix is not None and self._helix.ratelimit_remaining is not None:
            self.health.extra["helix_points_left"] = str(self._helix.ratelimit_remaining)

    def _dropped(self, code: str) -> SendResult:
        if code == "msg_ratelimit":
            self.health.set(Status.RATE_LIMITED, "msg_ratelimit")
            raise RateLimited(
                "Twitch dropped: msg_ratelimit", retry_after=WINDOW_SECONDS, platform=self.platform
            )
        if code in ("msg_banned", "msg_channel_suspended", "msg_suspended"):
            raise FatalError(f"cannot post: {code}", platform=self.platform)
        return SendResult(sent=False, drop_reason=code)

    async def _send_one(self, text: str, reply_to: str | None) -> tuple[str | None, str | None]:
        if self.config.transport == "irc":
            if self._irc_sender is None:
                self._irc_sender = IrcSender(
                    self._link(), confirm_seconds=self.config.send_confirm_seconds
                )
            return await self._irc_sender.send(text, reply_to)
        sent = await self._authed(
            lambda h: h.send_chat_message(self.broadcaster_id, self.bot_id, text, reply_to)
        )
        if sent.get("is_sent"):
            return sent.get("message_id") or None, None
        drop = sent.get("drop_reason") or {}
        return None, str(drop.get("code") or "dropped")


def new_fallback_id() -> str:
    """An id for a message that arrived without one (IRC without the tags capability)."""
    return f"irc-{uuid.uuid4()}"
