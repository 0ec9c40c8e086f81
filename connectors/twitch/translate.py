"""Pure translation of Twitch wire payloads (EventSub JSON, parsed IRC lines) into chat events."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.events import (
    ChatEnded,
    ChatEvent,
    ChatMessage,
    MessageDeleted,
    Role,
    UserBanned,
)
from connectors.twitch.irc import IrcMessage, strip_action, strip_reply_prefix
from connectors.values import BadPayload as BadPayload  # raised here; callers import it here
from connectors.values import ascii_int, later, to_utc

_LOGGER = logging.getLogger(__name__)

PLATFORM = "twitch"
# Helix "Ban User": a timeout lasts at most 1,209,600 s (two weeks)
MAX_TIMEOUT_SECONDS = 1_209_600
_MAX_MILLIS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last time a datetime holds

_BADGE_ROLES = {
    "broadcaster": Role.BROADCASTER,
    "moderator": Role.MODERATOR,
    "lead_moderator": Role.MODERATOR,
    "subscriber": Role.MEMBER,
    "founder": Role.MEMBER,
    "vip": Role.VIP,
    "partner": Role.VERIFIED,
}


# Twitch's own senders, never a viewer: ``jtv`` (legacy host/system PRIVMSGs, e.g. tmi.js
# test/events.js "is now hosting you"), ``twitchnotify`` (legacy sub notices), the server.
SYSTEM_LOGINS = frozenset({"jtv", "twitchnotify", "tmi.twitch.tv"})
# A chat message's kind by how it was sent (EventSub ``message_type``; IRC PRIVMSG ``msg-id``,
# platforms.md §3.4 and the EventSub reference): ordinary text is "chat", the rest keep
# EventSub's names on both transports (power-ups keep theirs: ``power_ups_message_effect`` ...)
IRC_PRIVMSG_KINDS = {
    "user-intro": "user_intro",
    "highlighted-message": "channel_points_highlighted",
    "skip-subs-mode-message": "channel_points_sub_only",
}
# ``tmi-sent-ts`` outside [Twitch's launch, receipt + a day] is taken as unusable: real lines
# carry negative ones (dank-twitch-irc clearmsg.spec.ts: ``tmi-sent-ts=-6795364578871``).
EARLIEST_SENT = datetime(2011, 6, 6, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (``Z``, nanoseconds allowed) into an aware UTC datetime.

    Raises:
        BadPayload: the value is not such a timestamp.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    head, dot, frac = text.partition(".")
    if dot:
        cut = len(frac) - len(frac.lstrip("0123456789"))
        digits, zone = frac[:cut], frac[cut:]
        text = f"{head}.{(digits + '000000')[:6]}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    at = to_utc(parsed) if parsed is not None else None
    if at is None:
        raise BadPayload(f"bad timestamp {value[:40]!r}")
    return at


def from_millis(value: str | None) -> datetime | None:
    """Turn ``tmi-sent-ts`` (ms since the epoch) into a UTC datetime; None when unusable."""
    millis = ascii_int(value, hi=_MAX_MILLIS)
    if millis is None:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, UTC)
    except (ValueError, OverflowError, OSError):  # the platform's own range may be smaller
        return None


def sent_time(value: str | None, received_at: datetime) -> datetime:
    """``tmi-sent-ts`` as a UTC time; ``received_at`` when absent or out of a sane range."""
    if not value:
        return received_at
    stamp = from_millis(value)
    if stamp is None or not EARLIEST_SENT <= stamp <= received_at + MAX_AHEAD:
        _LOGGER.warning("irc: tmi-sent-ts %r is not a plausible time; using receipt time", value)
        return received_at
    return stamp


def irc_roles(tags: Mapping[str, str]) -> frozenset[Role]:
    """Roles from ``badges``, plus moderator when ``mod=1`` (sent even without the badge)."""
    roles = roles_from_badges(badge_names(tags.get("badges", "")))
    if tags.get("mod") == "1":
        roles |= {Role.MODERATOR}
    return roles


def roles_from_badges(set_ids: Iterable[object]) -> frozenset[Role]:
    """Map Twitch badge set ids (``moderator``, ``subscriber`` ...) to roles."""
    return frozenset(_BADGE_ROLES[s] for s in set_ids if isinstance(s, str) and s in _BADGE_ROLES)


def badge_names(badges_tag: str) -> list[str]:
    """Badge set names of an IRC ``badges`` tag (``moderator/1,subscriber/12``)."""
    return [b.partition("/")[0] for b in badges_tag.split(",") if b]


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise BadPayload(f"missing {key}")
    return value


def _opt_str(data: Mapping[str, Any], *keys: str) -> str | None:
    """The first of ``keys`` that holds a non-empty string (None if none does)."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def eventsub_event(message: Mapping[str, Any]) -> ChatEvent | None:
    """Translate one EventSub ``notification`` into an event; None for types we do not use.

    Raises:
        BadPayload: a field the event needs is missing or has the wrong type.
    """
    metadata = message.get("metadata")
    payload = message.get("payload")
    if not isinstance(metadata, Mapping) or not isinstance(payload, Mapping):
        raise BadPayload("missing metadata or payload")
    event = payload.get("event")
    if not isinstance(event, Mapping):
        raise BadPayload("missing event")
    kind = metadata.get("subscription_type")
    at = parse_timestamp(_str(metadata, "message_timestamp"))
    channel = str(event.get("broadcaster_user_login") or event.get("broadcaster_user_id") or "")
    if kind == "channel.chat.message":
        return _chat_message(event, channel, at)
    if kind == "channel.chat.message_delete":
        return MessageDeleted(
            platform=PLATFORM,
            channel=channel,
            message_id=_str(event, "message_id"),
            at=at,
            raw=event,
        )
    if kind == "channel.chat.clear_user_messages":
        return UserBanned(
            platform=PLATFORM,
            channel=channel,
            author_id=_str(event, "target_user_id"),
            at=at,
            raw=event,
        )
    if kind == "stream.offline":
        return ChatEnded(platform=PLATFORM, channel=channel, at=at, reason="stream_offline")
    _LOGGER.debug("eventsub type %s ignored", kind)
    return None


def _chat_message(event: Mapping[str, Any], channel: str, at: datetime) -> ChatMessage:
    body = event.get("message")
    if not isinstance(body, Mapping) or not isinstance(body.get("text"), str):
        raise BadPayload("missing message.text")
    badges = event.get("badges")
    set_ids = (
        [b.get("set_id") for b in badges if isinstance(b, Mapping)]
        if isinstance(badges, list)
        else []
    )
    reply = event.get("reply")
    text = str(body["text"])
    reply_to: str | None = None
    if isinstance(reply, Mapping):
        reply_to = _opt_str(reply, "parent_message_id")
        text = strip_reply_prefix(
            text, _opt_str(reply, "parent_user_login"), _opt_str(reply, "parent_user_name")
        )
    return ChatMessage(
        platform=PLATFORM,
        channel=channel,
        message_id=_str(event, "message_id"),
        author_id=_str(event, "chatter_user_id"),
        author_name=_opt_str(event, "chatter_user_name", "chatter_user_login"),
        text=text,
        sent_at=at,
        roles=roles_from_badges(set_ids),
        reply_to_id=reply_to,
        kind=_eventsub_kind(event.get("message_type")),
        channel_id=_opt_str(event, "broadcaster_user_id"),
        # Shared Chat: null when the message was typed in this channel (EventSub reference,
        # channel.chat.message); a partner's id when it was typed in theirs
        source_channel_id=_opt_str(event, "source_broadcaster_user_id"),
        raw=event,
    )


def irc_event(msg: IrcMessage, *, received_at: datetime, fallback_id: str) -> ChatEvent | None:
    """Translate a parsed IRC line into an event; None for lines that carry none.

    ``received_at`` stands in when ``tmi-sent-ts`` is missing (no tags capability) and
    ``fallback_id`` when the ``id`` tag is.

    Raises:
        BadPayload: a PRIVMSG/CLEARMSG/CLEARCHAT without the parameters it needs.
    """
    tags = msg.tags
    at = sent_time(tags.get("tmi-sent-ts"), received_at)
    channel = msg.channel
    if msg.command == "PRIVMSG":
        if channel is None or len(msg.params) < 2:
            raise BadPayload("PRIVMSG without channel or text")
        nick = msg.nick
        if msg.source is None or "!" not in msg.source or (nick or "") in SYSTEM_LOGINS:
            _LOGGER.debug("irc: PRIVMSG from Twitch itself (%s) skipped", msg.source)
            return None
        text, action = strip_action(msg.trailing)
        reply_to = tags.get("reply-parent-msg-id") or None
        if reply_to:
            text = strip_reply_prefix(
                text, tags.get("reply-parent-user-login"), tags.get("reply-parent-display-name")
            )
        return ChatMessage(
            platform=PLATFORM,
            channel=channel,
            message_id=tags.get("id") or fallback_id,
            author_id=tags.get("user-id") or nick,
            author_name=(tags.get("display-name") or "").strip() or nick,
            text=text,
            sent_at=at,
            roles=irc_roles(tags),
            reply_to_id=reply_to,
            kind=IRC_PRIVMSG_KINDS.get(tags.get("msg-id", ""), "chat"),
            action=action,
            channel_id=tags.get("room-id") or None,
            source_channel_id=tags.get("source-room-id") or None,
            raw={"tags": tags, "source": msg.source, "params": msg.params},
        )
    if msg.command == "USERNOTICE":
        return _usernotice(msg, channel, at, fallback_id)
    if msg.command == "CLEARMSG":
        target = tags.get("target-msg-id")
        if channel is None or not target:
            raise BadPayload("CLEARMSG without channel or target-msg-id")
        return MessageDeleted(
            platform=PLATFORM, channel=channel, message_id=target, at=at, raw={"tags": tags}
        )
    if msg.command == "CLEARCHAT":
        if channel is None:
            raise BadPayload("CLEARCHAT without channel")
        if len(msg.params) < 2:
            return None  # the whole chat was cleared: no single author to cancel
        author = tags.get("target-user-id") or msg.trailing
        duration = tags.get("ban-duration")
        seconds = ascii_int(duration, hi=MAX_TIMEOUT_SECONDS) if duration else None
        until = later(at, seconds) if seconds is not None else None
        if duration and until is None:  # still a ban: the claims go, only its end is unknown
            _LOGGER.warning("twitch: unusable ban-duration %.40r; read as a ban", duration)
        return UserBanned(
            platform=PLATFORM,
            channel=channel,
            author_id=author,
            at=at,
            until=until,
            raw={"tags": tags, "login": msg.trailing},
        )
    return None


def _usernotice(
    msg: IrcMessage, channel: str | None, at: datetime, fallback_id: str
) -> ChatMessage | None:
    """A USERNOTICE's viewer text (a resub message, an announcement ...) as chat; None when
    it carries none (the ``system-msg`` is Twitch's, not the viewer's)."""
    if channel is None:
        raise BadPayload("USERNOTICE without channel")
    if len(msg.params) < 2 or not msg.trailing.strip():
        return None
    tags = msg.tags
    login = tags.get("login") or None
    if not (login or tags.get("user-id")):
        raise BadPayload("USERNOTICE text without login or user-id")
    text, action = strip_action(msg.trailing)
    return ChatMessage(
        platform=PLATFORM,
        channel=channel,
        message_id=tags.get("id") or fallback_id,
        author_id=tags.get("user-id") or login,
        author_name=(tags.get("display-name") or "").strip() or login,
        text=text,
        sent_at=at,
        roles=irc_roles(tags),
        kind=_notice_kind(tags),
        action=action,
        channel_id=tags.get("room-id") or None,
        source_channel_id=tags.get("source-room-id") or None,
        raw={"tags": tags, "source": msg.source, "params": msg.params},
    )


def _eventsub_kind(message_type: object) -> str:
    """``message_type`` as a kind: ``text`` (or none, or not a short name) is plain chat."""
    if not isinstance(message_type, str) or message_type in ("", "text") or len(message_type) > 64:
        return "chat"
    return message_type


def _notice_kind(tags: Mapping[str, str]) -> str:
    """A USERNOTICE's kind; a Shared Chat one (``msg-id=sharedchatnotice``) by what it was
    in its own channel (``source-msg-id``, e.g. ``announcement``; Chatterino
    tests/snapshots/IrcMessageHandler/shared-chat-announcement.json)."""
    kind = tags.get("msg-id") or "usernotice"
    if kind == "sharedchatnotice":
        return tags.get("source-msg-id") or kind
    return kind
