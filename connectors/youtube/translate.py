"""Pure YouTube wire → :mod:`connectors.events` translation (no I/O, table-tested)."""

from __future__ import annotations

import logging
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.events import ChatEnded, ChatEvent, ChatMessage, MessageDeleted, Role, UserBanned

_LOGGER = logging.getLogger(__name__)

PLATFORM = "youtube"

_IGNORED_TYPES = frozenset(
    {
        "tombstone",
        "fanFundingEvent",
        "sponsorOnlyModeStartedEvent",
        "sponsorOnlyModeEndedEvent",
        "newSponsorEvent",
        "memberMilestoneChatEvent",
        "membershipGiftingEvent",
        "giftMembershipReceivedEvent",
        "superStickerEvent",
        "pollEvent",
        "giftEvent",
        "invalidType",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """What one ``liveChatMessages.list`` page means to the bot."""

    events: tuple[ChatEvent, ...]
    next_page_token: str | None
    polling_interval: float | None  # seconds, as the server suggests
    offline_at: datetime | None
    ended: bool
    item_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # the feed item id behind each event ("" if it had none)
    skipped: int = 0


def parse_time(value: object) -> datetime | None:
    """Parse an RFC 3339 timestamp into an aware UTC datetime (None if absent or bad)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def roles_of(author: Mapping[str, Any]) -> frozenset[Role]:
    """Return the roles the ``authorDetails`` flags grant."""
    flags = (
        ("isChatOwner", Role.BROADCASTER),
        ("isChatModerator", Role.MODERATOR),
        ("isChatSponsor", Role.MEMBER),
        ("isVerified", Role.VERIFIED),
    )
    return frozenset(role for key, role in flags if author.get(key) is True)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def author_channel_id(item: Mapping[str, Any]) -> str | None:
    """Return the author's channel id (``authorDetails`` first; the snippet is not always set)."""
    return _str(_mapping(item.get("authorDetails")).get("channelId")) or _str(
        _mapping(item.get("snippet")).get("authorChannelId")
    )


def _message_text(kind: str, snippet: Mapping[str, Any]) -> str | None:
    if kind == "textMessageEvent":
        details = _mapping(snippet.get("textMessageDetails"))
        return _str(details.get("messageText")) or _str(snippet.get("displayMessage"))
    details = _mapping(snippet.get("superChatDetails"))
    return _str(details.get("userComment"))


def translate_item(item: Mapping[str, Any], *, channel: str) -> ChatEvent | None:
    """Translate one ``liveChatMessage``; None for types the bot ignores or broken items."""
    snippet = _mapping(item.get("snippet"))
    kind = snippet.get("type")
    at = parse_time(snippet.get("publishedAt"))
    if not isinstance(kind, str) or at is None:
        _LOGGER.warning("youtube: skipping item without type or publishedAt: %r", item.get("id"))
        return None
    if kind in ("textMessageEvent", "superChatEvent"):
        return _chat_message(item, kind, snippet, at, channel)
    if kind in ("messageDeletedEvent", "messageRetractedEvent"):
        key = "deletedMessageId" if kind == "messageDeletedEvent" else "retractedMessageId"
        holder = (
            "messageDeletedDetails" if kind == "messageDeletedEvent" else "messageRetractedDetails"
        )
        target = _str(_mapping(snippet.get(holder)).get(key))
        if target is None:
            _LOGGER.warning("youtube: %s without a message id", kind)
            return None
        return MessageDeleted(
            platform=PLATFORM, channel=channel, message_id=target, at=at, raw=item
        )
    if kind == "userBannedEvent":
        return _ban(item, snippet, at, channel)
    if kind == "chatEndedEvent":
        return ChatEnded(platform=PLATFORM, channel=channel, at=at, reason="chat_ended")
    if kind not in _IGNORED_TYPES:
        _LOGGER.debug("youtube: unknown message type %r ignored", kind)
    return None


def _chat_message(
    item: Mapping[str, Any], kind: str, snippet: Mapping[str, Any], at: datetime, channel: str
) -> ChatMessage | None:
    message_id = _str(item.get("id"))
    author_id = author_channel_id(item)
    text = _message_text(kind, snippet)
    if message_id is None or author_id is None:
        _LOGGER.warning("youtube: skipping %s without id or author: %r", kind, message_id)
        return None
    if text is None:
        _LOGGER.debug("youtube: %s %s has no text", kind, message_id)
        return None
    author = _mapping(item.get("authorDetails"))
    return ChatMessage(
        platform=PLATFORM,
        channel=channel,
        message_id=message_id,
        author_id=author_id,
        author_name=_str(author.get("displayName")),
        text=text,
        sent_at=at,
        roles=roles_of(author),
        raw=item,
    )


def _ban(
    item: Mapping[str, Any], snippet: Mapping[str, Any], at: datetime, channel: str
) -> UserBanned | None:
    details = _mapping(snippet.get("userBannedDetails"))
    banned = _str(_mapping(details.get("bannedUserDetails")).get("channelId"))
    if banned is None:
        _LOGGER.warning("youtube: userBannedEvent without the banned channel id")
        return None
    until = None
    if details.get("banType") == "temporary":
        seconds = details.get("banDurationSeconds")
        try:
            until = at + timedelta(seconds=int(str(seconds)))
        except ValueError:
            _LOGGER.warning("youtube: bad banDurationSeconds %r", seconds)
    return UserBanned(
        platform=PLATFORM, channel=channel, author_id=banned, at=at, until=until, raw=item
    )


def translate_page(
    page: object,
    *,
    channel: str,
    not_before: datetime | None = None,
    skip_author: str | None = None,
    skip_ids: Container[str] = (),
    resume_after: str | None = None,
) -> Page:
    """Translate a ``liveChatMessageListResponse`` into events, filtering what the bot ignores.

    Args:
        page: the decoded JSON body (anything: malformed pages give an empty result).
        channel: the channel label put on every event.
        not_before: drop chat messages published earlier (the backlog before the show).
        skip_author: drop chat messages from this channel (the bot's own account).
        skip_ids: drop items with these ids (already seen, or sent by the bot).
        resume_after: drop every item up to and including this id, when the page has it
            (resuming a page that was handed over in part before a restart).

    Returns:
        The events in feed order plus paging hints; ``ended`` once the chat is over.
    """
    body = _mapping(page)
    raw_items = body.get("items")
    if not isinstance(raw_items, list):
        if body:
            _LOGGER.warning("youtube: page without an items list")
        raw_items = []
    if resume_after is not None:
        for index, raw in enumerate(raw_items):
            if isinstance(raw, Mapping) and raw.get("id") == resume_after:
                raw_items = raw_items[index + 1 :]
                break
    events: list[ChatEvent] = []
    sources: list[str] = []
    ids: list[str] = []
    skipped = 0
    for raw in raw_items:
        if not isinstance(raw, Mapping):
            skipped += 1
            continue
        item_id = _str(raw.get("id"))
        if item_id is not None:
            ids.append(item_id)
            if item_id in skip_ids:
                skipped += 1
                continue
        event = translate_item(raw, channel=channel)
        if event is None:
            skipped += 1
            continue
        if isinstance(event, ChatMessage) and (
            (skip_author is not None and event.author_id == skip_author)
            or (not_before is not None and event.sent_at < not_before)
        ):
            skipped += 1
            continue
        events.append(event)
        sources.append(item_id or "")
    offline_at = parse_time(body.get("offlineAt"))
    interval = body.get("pollingIntervalMillis")
    polling = interval / 1000 if isinstance(interval, int | float) and interval >= 0 else None
    return Page(
        events=tuple(events),
        next_page_token=_str(body.get("nextPageToken")),
        polling_interval=polling,
        offline_at=offline_at,
        ended=offline_at is not None or any(isinstance(e, ChatEnded) for e in events),
        item_ids=tuple(ids),
        sources=tuple(sources),
        skipped=skipped,
    )


def chat_id_from_video(body: object) -> str | None:
    """Return ``liveStreamingDetails.activeLiveChatId`` of the first video (None if not live)."""
    items = _mapping(body).get("items")
    if not isinstance(items, list) or not items:
        return None
    details = _mapping(_mapping(items[0]).get("liveStreamingDetails"))
    return _str(details.get("activeLiveChatId"))


def chat_from_broadcasts(body: object) -> tuple[str, str | None] | None:
    """Return ``(liveChatId, owner channel id)`` of the first live broadcast with a chat."""
    items = _mapping(body).get("items")
    if not isinstance(items, list):
        return None
    for raw in items:
        snippet = _mapping(_mapping(raw).get("snippet"))
        chat_id = _str(snippet.get("liveChatId"))
        if chat_id is not None:
            return chat_id, _str(snippet.get("channelId"))
    return None
