"""The emulated live chat: one broadcast, its messages in feed order, and control methods."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def rfc3339(at: datetime) -> str:
    """Format like the API: UTC with milliseconds and ``Z``."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def channel_id_for(name: str) -> str:
    """A stable ``UC…`` channel id (24 chars) for a viewer name."""
    return "UC" + _b64(hashlib.sha256(name.encode()).digest())[:22]


def etag() -> str:
    """A random etag shaped like YouTube's."""
    return _b64(secrets.token_bytes(20))


@dataclass(slots=True)
class Author:
    """A chat participant as ``authorDetails`` shows them."""

    channel_id: str
    name: str
    owner: bool = False
    moderator: bool = False
    member: bool = False
    verified: bool = False

    def details(self) -> dict[str, Any]:
        """Return the ``authorDetails`` object."""
        return {
            "channelId": self.channel_id,
            "channelUrl": f"http://www.youtube.com/channel/{self.channel_id}",
            "displayName": self.name,
            "profileImageUrl": f"https://yt3.ggpht.com/emulator/{self.channel_id}/photo.jpg",
            "isVerified": self.verified,
            "isChatOwner": self.owner,
            "isChatSponsor": self.member,
            "isChatModerator": self.moderator,
        }


@dataclass(slots=True)
class ChatState:
    """One live broadcast with its chat; everything the routes read and the tests drive."""

    clock: Callable[[], datetime] = utc_now
    owner: Author = field(
        default_factory=lambda: Author(channel_id_for("shopstream-host"), "Host", owner=True)
    )
    video_id: str = field(default_factory=lambda: _b64(secrets.token_bytes(9))[:11])
    live_chat_id: str = field(default_factory=lambda: "Cg0KC" + _b64(secrets.token_bytes(12)))
    broadcast_type: str = "persistent"  # "persistent" ("Stream now") or "event"
    title: str = "Live shopping"
    started_at: datetime = field(default_factory=utc_now)
    items: list[dict[str, Any]] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    authors: dict[str, Author] = field(default_factory=dict)
    offline_at: datetime | None = None
    end_delivered: bool = False
    disabled: bool = False
    #: Called after every change to the feed (the streamList server wakes its streams).
    listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def changed(self) -> None:
        """Tell every listener the feed changed."""
        for listener in self.listeners:
            listener()

    # --- building items -----------------------------------------------------------------

    def author(
        self,
        name: str,
        channel_id: str | None = None,
        *,
        moderator: bool = False,
        member: bool = False,
        verified: bool = False,
    ) -> Author:
        """Return (and remember) a viewer."""
        cid = channel_id or channel_id_for(name)
        found = Author(cid, name, moderator=moderator, member=member, verified=verified)
        self.authors[cid] = found
        return found

    def _item(
        self,
        kind: str,
        author: Author,
        *,
        display: str | None,
        details: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "type": kind,
            "liveChatId": self.live_chat_id,
            "authorChannelId": author.channel_id,
            "publishedAt": rfc3339(at or self.clock()),
            "hasDisplayContent": display is not None,
        }
        if display is not None:
            snippet["displayMessage"] = display
        if details:
            snippet.update(details)
        item = {
            "kind": "youtube#liveChatMessage",
            "etag": etag(),
            "id": "LCC." + _b64(secrets.token_bytes(36)),
            "snippet": snippet,
            "authorDetails": author.details(),
        }
        self.items.append(item)
        self.changed()
        return item

    # --- viewer and moderator actions ---------------------------------------------------

    def add_text(self, text: str, author: Author, *, at: datetime | None = None) -> str:
        """Append a ``textMessageEvent``; return its id."""
        details = {"textMessageDetails": {"messageText": text}}
        return str(
            self._item("textMessageEvent", author, display=text, details=details, at=at)["id"]
        )

    def add_super_chat(
        self, text: str, author: Author, *, amount_micros: int, currency: str, display_amount: str
    ) -> str:
        """Append a ``superChatEvent`` (``amountMicros`` is a JSON string, as in REST)."""
        details = {
            "superChatDetails": {
                "amountMicros": str(amount_micros),
                "currency": currency,
                "amountDisplayString": display_amount,
                "userComment": text,
                "tier": 2,
            }
        }
        shown = f'{display_amount} from {author.name}: "{text}"'
        return str(self._item("superChatEvent", author, display=shown, details=details)["id"])

    def add_member_milestone(self, text: str | None, author: Author, *, months: int) -> str:
        """Append a ``memberMilestoneChatEvent`` (``userComment`` only when the member wrote
        one; discovery document, LiveChatMemberMilestoneChatDetails)."""
        details: dict[str, Any] = {"memberMonth": months, "memberLevelName": "Member"}
        if text:
            details["userComment"] = text
        shown = text if text else f"{author.name} has been a member for {months} months"
        item = self._item(
            "memberMilestoneChatEvent",
            author,
            display=shown,
            details={"memberMilestoneChatDetails": details},
        )
        return str(item["id"])

    def delete(self, message_id: str, *, by: Author | None = None) -> bool:
        """Delete a message as a moderator; a ``messageDeletedEvent`` joins the feed."""
        if message_id in self.deleted or not any(i.get("id") == message_id for i in self.items):
            return False
        self.deleted.add(message_id)
        self._item(
            "messageDeletedEvent",
            by or self.owner,
            display="A message was deleted.",
            details={"messageDeletedDetails": {"deletedMessageId": message_id}},
        )
        return True

    def ban(self, channel_id: str, *, duration_seconds: int | None = None) -> None:
        """Ban (or time out) a viewer; ``authorChannelId`` of the event is the moderator."""
        banned = self.authors.get(channel_id) or Author(channel_id, channel_id)
        details: dict[str, Any] = {
            "bannedUserDetails": {
                "channelId": banned.channel_id,
                "channelUrl": f"http://www.youtube.com/channel/{banned.channel_id}",
                "displayName": banned.name,
                "profileImageUrl": f"https://yt3.ggpht.com/emulator/{banned.channel_id}/photo.jpg",
            },
            "banType": "temporary" if duration_seconds else "permanent",
        }
        if duration_seconds:
            details["banDurationSeconds"] = str(duration_seconds)
        self._item(
            "userBannedEvent",
            self.owner,
            display=f"{banned.name} has been removed from the chat.",
            details={"userBannedDetails": details},
        )

    def end(self) -> None:
        """End the stream: a silent ``chatEndedEvent``, then ``offlineAt`` on every page."""
        if self.offline_at is None:
            self.offline_at = self.clock()
            self._item("chatEndedEvent", self.owner, display=None)

    def insert_raw(self, items: Iterable[Any]) -> None:
        """Append raw (possibly malformed) items for bad-input tests."""
        self.items.extend(items)
        self.changed()

    def bot_message(self, text: str) -> dict[str, Any]:
        """Append a message the bot inserted (authored by the channel owner)."""
        details = {"textMessageDetails": {"messageText": text}}
        item = self._item("textMessageEvent", self.owner, display=text, details=details)
        self.sent.append(item)
        return item

    @property
    def live(self) -> bool:
        """Whether the broadcast is still live."""
        return self.offline_at is None
