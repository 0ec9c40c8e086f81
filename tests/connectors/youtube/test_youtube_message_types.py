"""Every liveChatMessage type of YouTube's discovery document, translated by its table.

The list of types is read from the discovery document google-api-python-client ships
(``googleapiclient/discovery_cache/documents/youtube.v3.json``, schema
``LiveChatMessageSnippet.type``), not from our own code, so a type Google adds fails here.
The details objects follow the same document's ``LiveChat*Details`` schemas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import googleapiclient
import pytest

from connectors.events import ChatEnded, ChatMessage, MessageDeleted, UserBanned
from connectors.youtube.translate import KNOWN_TYPES, translate_item

_DISCOVERY = (
    Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "youtube.v3.json"
)
_SNIPPET = json.loads(_DISCOVERY.read_text())["schemas"]["LiveChatMessageSnippet"]
TYPES = tuple(_SNIPPET["properties"]["type"]["enum"])
AUTHOR = {"channelId": "UCviewer", "displayName": "Ana", "isChatSponsor": True}

# type -> (details field, details object) as the discovery document describes them
DETAILS: dict[str, tuple[str, dict[str, Any]] | None] = {
    "invalidType": None,
    "textMessageEvent": ("textMessageDetails", {"messageText": "sold 101 L"}),
    "tombstone": None,
    "fanFundingEvent": (
        "fanFundingEventDetails",
        {"amountMicros": "1000000", "currency": "USD", "userComment": "sold 101 M"},
    ),
    "chatEndedEvent": None,
    "sponsorOnlyModeStartedEvent": None,
    "sponsorOnlyModeEndedEvent": None,
    "newSponsorEvent": ("newSponsorDetails", {"memberLevelName": "Fan", "isUpgrade": False}),
    "memberMilestoneChatEvent": (
        "memberMilestoneChatDetails",
        {"memberLevelName": "Fan", "memberMonth": 12, "userComment": "one year! sold 102 XL"},
    ),
    "membershipGiftingEvent": (
        "membershipGiftingDetails",
        {"giftMembershipsCount": 5, "giftMembershipsLevelName": "Fan"},
    ),
    "giftMembershipReceivedEvent": (
        "giftMembershipReceivedDetails",
        {"memberLevelName": "Fan", "gifterChannelId": "UCgifter"},
    ),
    "messageDeletedEvent": ("messageDeletedDetails", {"deletedMessageId": "LCC.gone"}),
    "messageRetractedEvent": ("messageRetractedDetails", {"retractedMessageId": "LCC.back"}),
    "userBannedEvent": (
        "userBannedDetails",
        {"bannedUserDetails": {"channelId": "UCbad"}, "banType": "permanent"},
    ),
    "superChatEvent": (
        "superChatDetails",
        {"amountMicros": "5000000", "currency": "USD", "tier": 2, "userComment": "sold 103"},
    ),
    "superStickerEvent": (
        "superStickerDetails",
        {"amountMicros": "2000000", "currency": "USD", "superStickerMetadata": {"altText": "x"}},
    ),
    "pollEvent": ("pollDetails", {"status": "active", "metadata": {"questionText": "red?"}}),
    "giftEvent": ("giftDetails", {"giftName": "Rose", "jewelsAmount": 10, "comboCount": 1}),
}
# what each type becomes: a chat message of this kind with this text, another event, or None
EXPECT: dict[str, object] = {
    "textMessageEvent": ("chat", "sold 101 L"),
    "fanFundingEvent": ("fan_funding", "sold 101 M"),
    "memberMilestoneChatEvent": ("member_milestone", "one year! sold 102 XL"),
    "superChatEvent": ("super_chat", "sold 103"),
    "messageDeletedEvent": MessageDeleted,
    "messageRetractedEvent": MessageDeleted,
    "userBannedEvent": UserBanned,
    "chatEndedEvent": ChatEnded,
}


def _item(kind: str) -> dict[str, Any]:
    snippet: dict[str, Any] = {
        "type": kind,
        "liveChatId": "chat",
        "authorChannelId": "UCviewer",
        "publishedAt": "2026-12-03T20:00:00.123456+00:00",
        "hasDisplayContent": False,
    }
    found = DETAILS[kind]
    if found is not None:
        snippet[found[0]] = found[1]
    return {"kind": "youtube#liveChatMessage", "id": f"LCC.{kind}", "snippet": snippet,
            "authorDetails": AUTHOR}  # fmt: skip


def test_the_discovery_document_has_18_types_and_every_one_is_mapped() -> None:
    assert len(TYPES) == 18
    assert set(TYPES) == KNOWN_TYPES == set(DETAILS)


@pytest.mark.parametrize("kind", TYPES)
def test_each_type_translates_by_its_table(kind: str) -> None:
    event = translate_item(_item(kind), channel="c")
    expected = EXPECT.get(kind)
    if expected is None:
        assert event is None
    elif isinstance(expected, tuple):
        assert isinstance(event, ChatMessage)
        assert (event.kind, event.text, event.author_id) == (*expected, "UCviewer")
    else:
        assert type(event) is expected


def test_a_milestone_without_a_comment_is_not_chat() -> None:
    item = _item("memberMilestoneChatEvent")
    del item["snippet"]["memberMilestoneChatDetails"]["userComment"]
    assert translate_item(item, channel="c") is None
