"""The emulated Twitch world: accounts, tokens, one channel, and the chat rules for the bot."""

from __future__ import annotations

import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

MAX_CHARS = 500
WINDOW = 30.0
SILENCE_SECONDS = 30 * 60.0
DUPLICATE_SECONDS = 30.0

BOT_SCOPES = ["chat:read", "chat:edit", "user:read:chat", "user:write:chat", "user:bot"]


def rfc3339(at: datetime) -> str:
    """Format like Twitch: UTC with nanoseconds and ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


@dataclass(slots=True)
class Account:
    """A Twitch user."""

    id: str
    login: str
    display_name: str


@dataclass(slots=True)
class Token:
    """An access token and what it may do."""

    user_id: str
    login: str
    scopes: list[str]
    expires_in: int = 14_400


@dataclass(frozen=True, slots=True)
class SharedSource:
    """Where a Shared Chat message was typed: a partner's channel, its id and badges there."""

    channel: Account
    message_id: str
    badges: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class ChatLine:
    """One chat message as the emulated platform stores it."""

    id: str
    author: Account
    text: str
    sent_at: datetime
    badges: tuple[tuple[str, str], ...] = ()
    reply_to: str | None = None
    from_bot: bool = False
    source: SharedSource | None = None  # typed in a Shared Chat partner's channel
    message_type: str = "text"  # EventSub's: text, user_intro, channel_points_highlighted ...
    bits: int = 0  # cheered with the message (its text holds the cheermote, e.g. Cheer100)


@dataclass(frozen=True, slots=True)
class BotSend:
    """A message the bot asked to post, and what the platform did with it."""

    text: str
    reply_to_id: str | None
    sent: bool
    drop_code: str | None
    message_id: str | None


@dataclass(slots=True)
class BotLimiter:
    """Twitch's rules for the bot's own messages in one channel."""

    clock: Callable[[], float]
    moderator: bool = False
    slow_seconds: int = 0
    followers_only: bool = False  # the bot does not follow the channel
    subs_only: bool = False  # the bot is not a subscriber
    banned: bool = False
    silenced_until: float = 0.0
    sent_times: deque[float] = field(default_factory=deque)
    recent: deque[tuple[float, str]] = field(default_factory=deque)

    def check(self, text: str) -> str | None:
        """Return the drop code for ``text`` sent now, or None when it goes through."""
        now = self.clock()
        while self.sent_times and now - self.sent_times[0] >= WINDOW:
            self.sent_times.popleft()
        while self.recent and now - self.recent[0][0] >= DUPLICATE_SECONDS:
            self.recent.popleft()
        if self.banned:
            return "msg_banned"
        if now < self.silenced_until:
            return "msg_ratelimit"
        if len(self.sent_times) >= (100 if self.moderator else 20):
            self.silenced_until = now + SILENCE_SECONDS
            return "msg_ratelimit"
        if any(t == text for _, t in self.recent):
            return "msg_duplicate"
        if not self.moderator and self.subs_only:
            return "msg_subsonly"
        if not self.moderator and self.followers_only:
            return "msg_followersonly"
        if (
            not self.moderator
            and self.slow_seconds
            and self.sent_times
            and now - self.sent_times[-1] < self.slow_seconds
        ):
            return "msg_slowmode"
        self.sent_times.append(now)
        self.recent.append((now, text))
        return None


class TwitchWorld:
    """Accounts, tokens, the channel and the bot's sent messages; shared by every server."""

    def __init__(
        self,
        *,
        channel: str = "shopstream_demo",
        bot_login: str = "shopstream_bot",
        client_id: str = "sandbox-client-id",
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.clock = clock
        self.now = now
        self.client_id = client_id
        self.client_secret = "sandbox-client-secret"
        self.broadcaster = Account("100100", channel, channel.capitalize())
        self.bot = Account("200200", bot_login, bot_login)
        self.accounts: dict[str, Account] = {a.login: a for a in (self.broadcaster, self.bot)}
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> user id
        self.token = self.issue_token(self.bot)
        self.refresh_token = secrets.token_hex(16)
        self.refresh_tokens[self.refresh_token] = self.bot.id
        self.live = True
        self.limiter = BotLimiter(clock)
        self.lines: dict[str, ChatLine] = {}
        self.bot_sends: list[BotSend] = []
        # a Shared Chat session is on: IRC lines typed here carry source-room-id = room-id
        self.shared_session = False

    def issue_token(self, account: Account, scopes: list[str] | None = None) -> str:
        """Create a valid access token for ``account``."""
        value = secrets.token_hex(15)
        self.tokens[value] = Token(account.id, account.login, list(scopes or BOT_SCOPES))
        return value

    def revoke_all(self) -> None:
        """Make every access and refresh token invalid (an auth failure)."""
        self.tokens.clear()
        self.refresh_tokens.clear()

    def refresh(self, refresh_token: str) -> tuple[str, str] | None:
        """Exchange a refresh token for a new (access, refresh) pair; None when refused."""
        user_id = self.refresh_tokens.pop(refresh_token, None)
        if user_id is None:
            return None
        account = next(a for a in self.accounts.values() if a.id == user_id)
        access = self.issue_token(account)
        new_refresh = secrets.token_hex(16)
        self.refresh_tokens[new_refresh] = user_id
        return access, new_refresh

    def account(self, *, user_id: str, login: str | None = None) -> Account:
        """Find or create a viewer account."""
        for acc in self.accounts.values():
            if acc.id == user_id:
                return acc
        name = login or f"viewer{user_id}"
        acc = Account(user_id, name.lower().replace(" ", "_"), name)
        self.accounts[acc.login] = acc
        return acc

    def partner(self, login: str) -> Account:
        """A Shared Chat partner channel (its broadcaster's account)."""
        if login in self.accounts:
            return self.accounts[login]
        acc = Account(str(500_000 + len(self.accounts)), login.lower(), login)
        self.accounts[acc.login] = acc
        return acc

    def new_line(
        self,
        author: Account,
        text: str,
        *,
        badges: tuple[tuple[str, str], ...] = (),
        reply_to: str | None = None,
        from_bot: bool = False,
        source: SharedSource | None = None,
    ) -> ChatLine:
        """Store a new chat message with a fresh UUID."""
        line = ChatLine(
            str(uuid.uuid4()),
            author,
            text,
            self.now(),
            badges,
            reply_to,
            from_bot=from_bot,
            source=source,
        )
        self.lines[line.id] = line
        return line

    def bot_message(self, text: str, reply_to: str | None) -> tuple[ChatLine | None, str | None]:
        """Apply the chat rules to a message from the bot; return (line, drop code)."""
        code = self.limiter.check(text)
        line = None
        if code is None:
            badges = (("moderator", "1"),) if self.limiter.moderator else ()
            line = self.new_line(self.bot, text, badges=badges, reply_to=reply_to, from_bot=True)
        self.bot_sends.append(
            BotSend(text, reply_to, code is None, code, line.id if line else None)
        )
        return line, code
