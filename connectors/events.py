"""Frozen events shared by every connector and the application core."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

Platform = str  # "youtube" | "facebook" | "twitch" | "console" | "replay" | third-party name


class Role(StrEnum):
    """A viewer's standing in a channel, as the platform reports it."""

    BROADCASTER = "broadcaster"
    MODERATOR = "moderator"
    MEMBER = "member"  # YouTube member, Twitch subscriber, Facebook top fan
    VERIFIED = "verified"
    VIP = "vip"


_TEXT_FIELDS = ("channel", "message_id", "author_id", "author_name", "text", "reply_to_id")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessage:
    """One viewer message, normalised from any platform.

    Ids are the platform's own strings; ``sent_at`` is the platform's timestamp in UTC.
    Buyers across platforms are ordered by :attr:`order_time` (first come, first served):
    ``sent_at`` itself, or, where the platform's clock counts whole seconds
    (``sent_at_precision`` 1.0, Facebook), the middle of that second: a comment stamped
    12:00:05 was written at some moment of that second, and counting it at 12:00:05.000
    would let it win every tie against a platform with millisecond timestamps.

    A NUL character in any text field becomes U+FFFD: PostgreSQL text cannot hold NUL, and
    one such message would otherwise fail the write of its whole batch.

    ``kind`` is ``"chat"`` for an ordinary message, or the platform's name for the event
    that carried the viewer's text (Twitch ``resub``, ``announcement`` ...); it is chat all
    the same. ``action`` marks a ``/me`` message (its text is given without the marker).

    ``channel_id`` is the platform's id of the channel the message arrived in, and
    ``source_channel_id`` the id of the channel it was typed in, where the platform says
    (Twitch Shared Chat: ``source-room-id`` / ``source_broadcaster_user_id``). A message
    typed in a partner's channel is :attr:`shared`: it is shown in ours, but its viewer is
    the partner's, so it never claims our stock, cancels or commands our show.
    """

    platform: Platform
    channel: str
    message_id: str
    author_id: str | None
    author_name: str | None
    text: str
    sent_at: datetime
    roles: frozenset[Role] = frozenset()
    reply_to_id: str | None = None
    sent_at_precision: float = 0.0  # seconds the platform's clock rounds down to
    kind: str = "chat"
    action: bool = False
    channel_id: str | None = None
    source_channel_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.sent_at.tzinfo is None or self.sent_at.utcoffset() is None:
            raise ValueError("ChatMessage.sent_at must be timezone-aware (UTC)")
        for name in _TEXT_FIELDS:  # untrusted text: a NUL would fail every PostgreSQL write
            value = getattr(self, name)
            if value is not None and "\x00" in value:
                object.__setattr__(self, name, value.replace("\x00", "\ufffd"))
        if not self.sent_at_precision >= 0:
            raise ValueError("ChatMessage.sent_at_precision must be >= 0 seconds")

    @property
    def order_time(self) -> datetime:
        """Where the message stands in first come, first served (see the class docstring)."""
        if not self.sent_at_precision:
            return self.sent_at
        return self.sent_at + timedelta(seconds=self.sent_at_precision / 2)

    @property
    def shared(self) -> bool:
        """Whether the message was typed in another channel (a Shared Chat partner's)."""
        return self.source_channel_id is not None and self.source_channel_id != self.channel_id

    @property
    def is_moderator(self) -> bool:
        """Whether the author may run show-control commands by platform role."""
        return bool(self.roles & {Role.BROADCASTER, Role.MODERATOR})


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDeleted:
    """A moderator removed one message; a claim made by it is cancelled."""

    platform: Platform
    channel: str
    message_id: str
    at: datetime
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserBanned:
    """A viewer was banned or timed out (``until`` set if timed out); their claims are cancelled."""

    platform: Platform
    channel: str
    author_id: str
    at: datetime
    until: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatEnded:
    """The live chat ended (stream offline or chat closed); the show ends cleanly there."""

    platform: Platform
    channel: str
    at: datetime
    reason: str = "ended"


ChatEvent = ChatMessage | MessageDeleted | UserBanned | ChatEnded


class Priority(IntEnum):
    """Outbox order: claim outcomes before answers before announcements."""

    CLAIM = 0
    ANSWER = 1
    ANNOUNCEMENT = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """A message the bot wants to send to one channel.

    ``key`` is the idempotency key (usually derived from the triggering message id):
    the outbox never sends two replies with the same key. ``reply_to_id`` threads the
    reply where the platform supports threads; ``mention`` names the viewer where it
    does not. ``private`` asks for a private route (Facebook private reply) when the
    connector supports one.
    """

    platform: Platform
    channel: str
    text: str
    key: str
    reply_to_id: str | None = None
    mention: str | None = None
    recipient_id: str | None = None
    private: bool = False
    priority: Priority = Priority.ANSWER
    short: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """What the platform said about one sent reply."""

    sent: bool
    platform_message_id: str | None = None
    drop_reason: str | None = None
