"""Pure YouTube wire → :mod:`connectors.events` translation (no I/O, table-tested)."""

from __future__ import annotations

import logging
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.events import ChatEnded, ChatEvent, ChatMessage, MessageDeleted, Role, UserBanned
from connectors.values import BadPayload, ascii_int, later, to_utc

_LOGGER = logging.getLogger(__name__)

PLATFORM = "youtube"

# Every ``snippet.type`` of the discovery document (youtube.v3.json, LiveChatMessageSnippet,
# revision 20261104: 18 values). Types whose details hold text the viewer typed are chat: the
# detail object and its field. (``fanFundingEvent`` is deprecated but still in the enum.)
TEXT_TYPES: Mapping[str, tuple[str, str]] = {
    "textMessageEvent": ("textMessageDetails", "messageText"),
    "superChatEvent": ("superChatDetails", "userComment"),
    "memberMilestoneChatEvent": ("memberMilestoneChatDetails", "userComment"),
    "fanFundingEvent": ("fanFundingEventDetails", "userComment"),
}
# What ``ChatMessage.kind`` says for each (``chat`` for an ordinary message).
TEXT_KINDS: Mapping[str, str] = {
    "textMessageEvent": "chat",
    "superChatEvent": "super_chat",
    "memberMilestoneChatEvent": "member_milestone",
    "fanFundingEvent": "fan_funding",
}
CONTROL_TYPES = frozenset(
    {"messageDeletedEvent", "messageRetractedEvent", "userBannedEvent", "chatEndedEvent"}
)
# Types that carry nothing a viewer typed and change nothing the bot keeps.
_IGNORED_TYPES = frozenset(
    {
        "invalidType",
        "tombstone",  # a message that was deleted: its deletion event does the work
        "sponsorOnlyModeStartedEvent",
        "sponsorOnlyModeEndedEvent",
        "newSponsorEvent",
        "membershipGiftingEvent",
        "giftMembershipReceivedEvent",
        "superStickerEvent",  # a sticker: no text
        "pollEvent",
        "giftEvent",  # a virtual gift: its name, never the viewer's words
    }
)
KNOWN_TYPES = frozenset(TEXT_TYPES) | CONTROL_TYPES | _IGNORED_TYPES
# banDurationSeconds is a uint64 string [platforms.md §YouTube]; YouTube publishes no maximum,
# and a "timeout" past ten years is read as a ban without an end.
_MAX_BAN_SECONDS = 10 * 366 * 86_400
_MAX_POLL_MILLIS = 3_600_000  # a suggested pause past an hour is not a pause we follow


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    """One feed item that could not be translated: kept raw for the merchant, with why."""

    raw: object
    reason: str


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
    skipped: int = 0  # items that gave no event: ignored types, filtered, and rejected ones
    rejected: tuple[Rejected, ...] = ()  # the broken items among them


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
    return to_utc(parsed)


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
    holder, field_name = TEXT_TYPES[kind]
    text = _str(_mapping(snippet.get(holder)).get(field_name))
    if text is None and kind == "textMessageEvent":
        return _str(snippet.get("displayMessage"))
    return text  # a Super Chat or milestone without a comment has no text of the viewer's


def translate_item(item: Mapping[str, Any], *, channel: str) -> ChatEvent | None:
    """Translate one ``liveChatMessage``; None for types the bot ignores.

    Raises:
        BadPayload: the item lacks a field its type needs.
    """
    snippet = _mapping(item.get("snippet"))
    kind = snippet.get("type")
    at = parse_time(snippet.get("publishedAt"))
    if not isinstance(kind, str) or at is None:
        raise BadPayload("item without type or publishedAt")
    if kind in TEXT_TYPES:
        return _chat_message(item, kind, snippet, at, channel)
    if kind in ("messageDeletedEvent", "messageRetractedEvent"):
        key = "deletedMessageId" if kind == "messageDeletedEvent" else "retractedMessageId"
        holder = (
            "messageDeletedDetails" if kind == "messageDeletedEvent" else "messageRetractedDetails"
        )
        target = _str(_mapping(snippet.get(holder)).get(key))
        if target is None:
            raise BadPayload(f"{kind} without a message id")
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
        raise BadPayload(f"{kind} without id or author")
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
        kind=TEXT_KINDS[kind],
        raw=item,
    )


def _ban(
    item: Mapping[str, Any], snippet: Mapping[str, Any], at: datetime, channel: str
) -> UserBanned | None:
    details = _mapping(snippet.get("userBannedDetails"))
    banned = _str(_mapping(details.get("bannedUserDetails")).get("channelId"))
    if banned is None:
        raise BadPayload("userBannedEvent without the banned channel id")
    until = None
    if details.get("banType") == "temporary":
        raw = details.get("banDurationSeconds")
        seconds = ascii_int(raw, hi=_MAX_BAN_SECONDS)
        until = later(at, seconds) if seconds is not None else None
        if until is None:  # still a ban: the claims go, only its end is unknown
            _LOGGER.warning("youtube: unusable banDurationSeconds %.40r; read as a ban", raw)
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
    rejected: list[Rejected] = []
    skipped = 0
    for raw in raw_items:
        if not isinstance(raw, Mapping):
            skipped += 1
            rejected.append(Rejected(raw=raw, reason="item is not an object"))
            continue
        item_id = _str(raw.get("id"))
        if item_id is not None:
            ids.append(item_id)
            if item_id in skip_ids:
                skipped += 1
                continue
        try:
            event = translate_item(raw, channel=channel)
        except Exception as exc:  # any failure costs this one item, never the connector
            skipped += 1
            rejected.append(Rejected(raw=raw, reason=f"{type(exc).__name__}: {exc}"))
            continue
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
    return Page(
        events=tuple(events),
        next_page_token=_str(body.get("nextPageToken")),
        polling_interval=_polling(body.get("pollingIntervalMillis")),
        offline_at=offline_at,
        ended=offline_at is not None or any(isinstance(e, ChatEnded) for e in events),
        item_ids=tuple(ids),
        sources=tuple(sources),
        skipped=skipped,
        rejected=tuple(rejected),
    )


def _polling(millis: object) -> float | None:
    """``pollingIntervalMillis`` in seconds; None when absent, negative, NaN or absurd."""
    if isinstance(millis, bool) or not isinstance(millis, int | float):
        return None
    return millis / 1000 if 0 <= millis <= _MAX_POLL_MILLIS else None


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
