"""Table tests of the pure YouTube wire → event translation, on fixtures in the real shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.events import ChatEnded, ChatMessage, MessageDeleted, Role, UserBanned
from connectors.youtube.translate import (
    chat_from_broadcasts,
    chat_id_from_video,
    parse_time,
    roles_of,
    translate_item,
    translate_page,
)

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T19:02:11.482Z", datetime(2026, 11, 23, 19, 2, 11, 482000, tzinfo=UTC)),
        ("2026-11-23T19:02:13.007123+00:00", datetime(2026, 11, 23, 19, 2, 13, 7123, tzinfo=UTC)),
        ("2026-11-23T11:00:00-08:00", datetime(2026, 11, 23, 19, 0, tzinfo=UTC)),
        ("2026-11-23T19:00:00", None),  # naive: refused
        ("yesterday", None),
        ("", None),
        (None, None),
        (12, None),
    ],
)
def test_parse_time(text: object, expected: datetime | None) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("flags", "roles"),
    [
        ({}, frozenset()),
        ({"isChatOwner": True}, {Role.BROADCASTER}),
        ({"isChatModerator": True, "isVerified": True}, {Role.MODERATOR, Role.VERIFIED}),
        ({"isChatSponsor": True}, {Role.MEMBER}),
        ({"isChatModerator": "true"}, frozenset()),  # only real booleans count
    ],
)
def test_roles(flags: dict[str, Any], roles: set[Role]) -> None:
    assert roles_of(flags) == roles


def test_text_page() -> None:
    page = translate_page(load("text_page.json"), channel="chan")
    assert page.next_page_token == "GPbk8tTcmuUCIKW93vjcmuUC"
    assert page.polling_interval == pytest.approx(7.3)
    assert not page.ended and page.offline_at is None
    first, second = page.events
    assert isinstance(first, ChatMessage) and isinstance(second, ChatMessage)
    assert (first.platform, first.channel, first.text) == ("youtube", "chan", "!buy 101 M navy")
    assert first.message_id.startswith("LCC.CjkKGkNPN1F6")
    assert (first.author_id, first.author_name) == ("UCq9R2m1Lr0nXo4vJ6bT8cKw", "Mia Chen")
    assert first.roles == {Role.MEMBER}
    assert first.sent_at == datetime(2026, 11, 23, 19, 2, 11, 482000, tzinfo=UTC)
    assert second.is_moderator and Role.VERIFIED in second.roles
    assert first.raw["snippet"]["type"] == "textMessageEvent"


def test_events_page() -> None:
    page = translate_page(load("events_page.json"), channel="chan")
    kinds = [type(e).__name__ for e in page.events]
    assert kinds == ["ChatMessage", "MessageDeleted", "UserBanned", "MessageDeleted", "UserBanned"]
    superchat, deleted, timeout, retracted, banned = page.events
    assert isinstance(superchat, ChatMessage) and superchat.text == "!buy 103 L"
    assert superchat.raw["snippet"]["superChatDetails"]["amountMicros"] == "200000000"
    assert isinstance(deleted, MessageDeleted) and deleted.message_id == "LCC.victim"
    assert isinstance(retracted, MessageDeleted) and retracted.message_id == "LCC.retracted"
    assert isinstance(timeout, UserBanned) and timeout.author_id == "UCsp4mmerXXXXXXXXXXXXXXX"
    assert timeout.until == timeout.at + timedelta(seconds=300)
    assert isinstance(banned, UserBanned) and banned.until is None
    assert banned.author_id == "UCtr0llXXXXXXXXXXXXXXXXX"  # not the moderator's id
    assert page.skipped == 3  # sponsor, tombstone, unknown future type
    assert len(page.item_ids) == 8


def test_ended_page() -> None:
    page = translate_page(load("ended_page.json"), channel="chan")
    assert page.ended
    assert page.offline_at == datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
    (event,) = page.events
    assert isinstance(event, ChatEnded) and event.reason == "chat_ended"


def test_malformed_page_keeps_what_is_usable() -> None:
    page = translate_page(load("malformed_page.json"), channel="chan")
    assert page.polling_interval is None
    assert page.next_page_token == "GPmalformed0"
    texts = [(e.message_id, e.author_id, e.text) for e in page.events if isinstance(e, ChatMessage)]
    assert texts == [
        ("LCC.snippet-author-only", "UCsnippetOnlyXXXXXXXXXXX", "!buy 102"),
        ("LCC.display-only", "UCy", "from display"),
    ]
    display_only = page.events[1]
    assert isinstance(display_only, ChatMessage) and display_only.author_name is None
    bans = [e for e in page.events if isinstance(e, UserBanned)]
    assert [(b.author_id, b.until) for b in bans] == [("UCz", None)]
    assert page.skipped == 9


@pytest.mark.parametrize("body", [None, [], "text", 5, {"items": "x"}, {"items": None}, {}])
def test_garbage_pages_give_nothing(body: object) -> None:
    page = translate_page(body, channel="chan")
    assert page.events == () and page.next_page_token is None and not page.ended


def test_filters_backlog_own_channel_and_seen_ids() -> None:
    body = load("text_page.json")
    cutoff = datetime(2026, 11, 23, 19, 2, 12, tzinfo=UTC)
    only_new = translate_page(body, channel="c", not_before=cutoff)
    assert [e.text for e in only_new.events if isinstance(e, ChatMessage)] == ["!feature 101"]
    not_mine = translate_page(body, channel="c", skip_author="UCm0dEr4t0rXyZ12abcdEFGH")
    assert [e.text for e in not_mine.events if isinstance(e, ChatMessage)] == ["!buy 101 M navy"]
    first_id = body["items"][0]["id"]
    unseen = translate_page(body, channel="c", skip_ids={first_id})
    assert [e.text for e in unseen.events if isinstance(e, ChatMessage)] == ["!feature 101"]
    assert unseen.skipped == 1


def test_backlog_cutoff_never_drops_moderation_events() -> None:
    body = load("events_page.json")
    page = translate_page(body, channel="c", not_before=datetime(2030, 1, 1, tzinfo=UTC))
    assert [type(e).__name__ for e in page.events] == [
        "MessageDeleted",
        "UserBanned",
        "MessageDeleted",
        "UserBanned",
    ]


@pytest.mark.parametrize(
    ("body", "chat_id"),
    [
        ({"items": [{"liveStreamingDetails": {"activeLiveChatId": "CHAT"}}]}, "CHAT"),
        ({"items": [{"liveStreamingDetails": {"actualEndTime": "2026-11-23T21:00:00Z"}}]}, None),
        ({"items": []}, None),
        ({"items": [None]}, None),
        (None, None),
    ],
)
def test_chat_id_from_video(body: object, chat_id: str | None) -> None:
    assert chat_id_from_video(body) == chat_id


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ({"items": [{"snippet": {"liveChatId": "C1", "channelId": "UC1"}}]}, ("C1", "UC1")),
        ({"items": [{"snippet": {}}, {"snippet": {"liveChatId": "C2"}}]}, ("C2", None)),
        ({"items": []}, None),
        ({}, None),
    ],
)
def test_chat_from_broadcasts(body: object, found: tuple[str, str | None] | None) -> None:
    assert chat_from_broadcasts(body) == found


def test_translate_item_ignores_unknown_without_raising() -> None:
    item = {"id": "x", "snippet": {"type": "brandNewEvent", "publishedAt": "2026-11-23T19:00:00Z"}}
    assert translate_item(item, channel="c") is None


def test_resume_after_skips_what_was_handed_over() -> None:
    body = load("text_page.json")
    first_id, second_id = (i["id"] for i in body["items"])
    page = translate_page(body, channel="c", resume_after=first_id)
    assert [e.text for e in page.events if isinstance(e, ChatMessage)] == ["!feature 101"]
    assert page.sources == (second_id,)
    nothing = translate_page(body, channel="c", resume_after=second_id)
    assert nothing.events == ()
    unknown = translate_page(body, channel="c", resume_after="LCC.gone")
    assert len(unknown.events) == 2  # the id is not on this page: keep everything
