"""Poison items cost one event: fuzz-found YouTube payloads (issue 15) as our own cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.events import ChatMessage, UserBanned
from connectors.youtube.classify import reason_from_content
from connectors.youtube.cursor import MemoryCursorStore
from connectors.youtube.translate import Page, translate_page
from sandbox.youtube import YouTubeEmulator
from tests.connectors.strategies import json_objects, json_values
from tests.connectors.youtube.youtube_helpers import ConnectorFactory, take
from tests.fuzz import examples
from tests.support.clock import FakeClock

AT = "2026-11-23T20:00:01Z"


def good(item_id: str = "LCC.good", text: str = "SOLD 101 M") -> dict[str, Any]:
    return {
        "id": item_id,
        "snippet": {
            "type": "textMessageEvent",
            "publishedAt": AT,
            "textMessageDetails": {"messageText": text},
        },
        "authorDetails": {"channelId": "UCviewer", "displayName": "Ana"},
    }


def ban(duration: object, item_id: str = "LCC.ban") -> dict[str, Any]:
    return {
        "id": item_id,
        "snippet": {
            "type": "userBannedEvent",
            "publishedAt": AT,
            "userBannedDetails": {
                "bannedUserDetails": {"channelId": "UCbanned"},
                "banType": "temporary",
                "banDurationSeconds": duration,
            },
        },
    }


def page_of(*items: object, **fields: object) -> Page:
    return translate_page({"items": list(items), **fields}, channel="c")


@pytest.mark.parametrize("duration", [10**12, "1000000000000", "²", "٣", "-5", 1.5, None, [1]])
def test_an_unusable_ban_duration_is_still_a_ban(duration: object) -> None:
    page = page_of(ban(duration), good())
    banned, message = page.events
    assert isinstance(banned, UserBanned) and banned.author_id == "UCbanned"
    assert banned.until is None  # its end is unknown; the claims still go
    assert isinstance(message, ChatMessage) and message.text == "SOLD 101 M"
    assert page.rejected == ()


def test_a_readable_ban_duration_sets_its_end() -> None:
    (banned,) = page_of(ban("300")).events
    assert isinstance(banned, UserBanned)
    assert banned.until == datetime(2026, 11, 23, 20, 5, 1, tzinfo=UTC)


def _with(item: dict[str, Any], **snippet: object) -> dict[str, Any]:
    return {**item, "snippet": {**item["snippet"], **snippet}}


@pytest.mark.parametrize(
    ("poison", "reason"),
    [
        (_with(good("LCC.p"), publishedAt="0001-01-01T00:00:00+01:00"), "publishedAt"),
        (_with(good("LCC.p"), publishedAt="9999-12-31T23:00:00-02:00"), "publishedAt"),
        (_with(good("LCC.p"), type=["textMessageEvent"]), "type"),
        ({**good("LCC.p"), "authorDetails": {"channelId": 7}}, "author"),
        (_with(ban(5, "LCC.p"), userBannedDetails={"bannedUserDetails": "UCx"}), "channel id"),
        (_with(good("LCC.p"), type="messageDeletedEvent"), "message id"),
        ("not an item", "not an object"),
    ],
)
def test_a_poison_item_costs_itself_and_the_next_one_arrives(poison: object, reason: str) -> None:
    page = page_of(good("LCC.before", "first"), poison, good("LCC.after", "next"))
    assert [e.text for e in page.events if isinstance(e, ChatMessage)] == ["first", "next"]
    (rejected,) = page.rejected
    assert rejected.raw is poison and reason in rejected.reason
    assert page.skipped == 1


@pytest.mark.parametrize(
    "millis",
    [10**400, float("inf"), float("nan"), -1, 3_600_001, True, "2000"],
    ids=["10**400", "inf", "nan", "-1", "3600001", "True", "str"],
)
def test_an_absurd_polling_interval_is_ignored(millis: object) -> None:
    page = page_of(good(), pollingIntervalMillis=millis)
    assert page.polling_interval is None and len(page.events) == 1


def test_page_fields_that_are_no_times_do_not_end_the_chat() -> None:
    page = page_of(good(), offlineAt="0001-01-01T00:00:00+01:00")
    assert page.offline_at is None and not page.ended and len(page.events) == 1


@pytest.mark.parametrize(
    "content", ["[" * 100_000, b"\xff\xfe", '{"error": ' * 50_000], ids=["deep", "bytes", "nest"]
)
def test_error_bodies_too_deep_or_not_text_give_no_reason(content: str | bytes) -> None:
    assert reason_from_content(content) is None


async def test_the_connector_skips_poison_counts_it_and_moves_past_the_page(
    emu: YouTubeEmulator, make_connector: ConnectorFactory, clock: FakeClock
) -> None:
    at = (clock.now + timedelta(seconds=1)).isoformat()
    poison = _with(good("LCC.poison"), publishedAt="0001-01-01T00:00:00+01:00")
    store = MemoryCursorStore()
    async with make_connector(store=store) as conn:
        emu.inject_raw(_with(ban(10**12, "LCC.ban"), publishedAt=at), poison)
        emu.inject_message("SOLD 101 M", author_name="Ana")
        banned, message = await take(conn, 2)
        assert isinstance(banned, UserBanned) and banned.until is None
        assert isinstance(message, ChatMessage) and message.text == "SOLD 101 M"
        assert conn.health.skipped == 1
        snap = conn.health.snapshot()
        assert snap["skipped"] == "1" and "LCC.poison" in (snap["last_skipped"] or "")
    async with make_connector(store=store) as again:  # a restart does not read that page again
        emu.inject_message("after the restart")
        (after,) = await take(again, 1)
    assert isinstance(after, ChatMessage) and after.text == "after the restart"
    assert again.health.skipped == 0


_types = st.sampled_from(
    [
        "textMessageEvent",
        "superChatEvent",
        "messageDeletedEvent",
        "messageRetractedEvent",
        "userBannedEvent",
        "chatEndedEvent",
        "tombstone",
    ]
)
_times = st.sampled_from([AT, "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", ""])


@st.composite
def _items(draw: st.DrawFn) -> object:
    """Items near the real shape (so the translator gets past its first checks) or anything."""
    if draw(st.booleans()):
        return draw(json_values)
    snippet = draw(json_objects())
    snippet |= {"type": draw(_types), "publishedAt": draw(_times)}
    for key in ("textMessageDetails", "userBannedDetails", "messageDeletedDetails"):
        if draw(st.booleans()):
            snippet[key] = draw(json_objects())
    return {"id": draw(st.text(max_size=8)), "snippet": snippet, "authorDetails": draw(json_values)}


@settings(max_examples=examples(200))
@given(items=st.lists(_items(), max_size=4), fields=json_objects())
def test_any_page_gives_events_or_counted_skips_never_an_exception(
    items: list[object], fields: dict[str, object]
) -> None:
    page = translate_page({**fields, "items": [*items, good()]}, channel="c")
    assert isinstance(page.events[-1], ChatMessage) and page.events[-1].text == "SOLD 101 M"
    assert len(page.events) + page.skipped == len(items) + 1
