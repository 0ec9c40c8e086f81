"""Wire -> event translation tables, on fixtures written from real Twitch payload shapes."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.events import ChatEnded, ChatMessage, MessageDeleted, Role, UserBanned
from connectors.twitch.irc import parse_line
from connectors.twitch.translate import (
    BadPayload,
    eventsub_event,
    from_millis,
    irc_event,
    parse_timestamp,
    roles_from_badges,
    sent_time,
)

HERE = Path(__file__).parent / "fixtures"
IRC = json.loads((HERE / "irc_lines.json").read_text("utf-8"))
# real lines from public Twitch client test suites (each case names its source)
IRC += json.loads((HERE / "irc_viewer_text.json").read_text("utf-8"))
IRC += json.loads((HERE / "irc_real_lines.json").read_text("utf-8"))["cases"]
EVENTSUB = json.loads((HERE / "eventsub_messages.json").read_text("utf-8"))
RECEIVED = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize("case", IRC, ids=[c["name"] for c in IRC])
def test_irc_lines_to_events(case: dict[str, Any]) -> None:
    event = irc_event(parse_line(case["line"]), received_at=RECEIVED, fallback_id="FALLBACK")
    want = case["event"]
    if want is None:
        assert event is None
        return
    assert type(event).__name__ == want["type"]
    assert event is not None
    assert event.platform == "twitch" and event.channel == want["channel"]
    at = event.sent_at if isinstance(event, ChatMessage) else event.at
    expected_at = from_millis(str(want["sent_at_ms"])) if want["sent_at_ms"] else RECEIVED
    assert at == expected_at
    if isinstance(event, ChatMessage):
        assert event.message_id == want["message_id"]
        assert event.author_id == want["author_id"]
        assert event.author_name == want["author_name"]
        assert event.text == want["text"]
        assert event.reply_to_id == want["reply_to_id"]
        assert event.roles == frozenset(Role(r) for r in want["roles"])
        assert event.kind == want.get("kind", "chat")
        assert event.action is want.get("action", False)
        assert event.shared is want.get("shared", False)
    elif isinstance(event, UserBanned):
        assert event.author_id == want["author_id"]
        secs = want["until_seconds"]
        assert event.until == (None if secs is None else at + timedelta(seconds=secs))
    else:
        assert isinstance(event, MessageDeleted)
        assert event.message_id == want["message_id"]


@pytest.mark.parametrize(
    "line",
    [
        ":u!u@u.tmi.twitch.tv PRIVMSG",
        ":u!u@u.tmi.twitch.tv PRIVMSG notachannel :hi",
        "@login=x :tmi.twitch.tv CLEARMSG #chan :gone",
        ":tmi.twitch.tv CLEARCHAT",
    ],
)
def test_irc_lines_missing_parts_raise_bad_payload(line: str) -> None:
    with pytest.raises(BadPayload):
        irc_event(parse_line(line), received_at=RECEIVED, fallback_id="x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1594555275886", datetime(2020, 7, 12, 12, 1, 15, 886000, tzinfo=UTC)),
        ("-6795364578871", RECEIVED),  # real (dank-twitch-irc); would be the year 1754
        ("1300000000000", RECEIVED),  # 2011-03-13: before Twitch existed
        (str(int((RECEIVED + timedelta(days=2)).timestamp() * 1000)), RECEIVED),
        ("99999999999999999999", RECEIVED),  # past datetime's range
        ("soon", RECEIVED),
        ("", RECEIVED),
    ],
)
def test_sent_time_falls_back_to_receipt_outside_a_sane_range(
    value: str, expected: datetime
) -> None:
    assert sent_time(value, RECEIVED) == expected


def test_an_implausible_sent_time_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="connectors.twitch.translate"):
        sent_time("-6795364578871", RECEIVED)
    assert "-6795364578871" in caplog.text


def test_eventsub_chat_message() -> None:
    event = eventsub_event(EVENTSUB["chat_message"])
    assert isinstance(event, ChatMessage)
    assert event.message_id == "cc106a89-1814-919d-454c-f4f2f970aae7"
    assert event.author_id == "4145994" and event.author_name == "viewer32"
    assert event.channel == "streamer" and event.text == "Hi chat"
    assert event.roles == {Role.MODERATOR, Role.MEMBER}
    assert event.sent_at == datetime(2023, 11, 6, 18, 11, 47, 492253, tzinfo=UTC)
    assert event.reply_to_id is None


def test_eventsub_reply_strips_the_parent_mention() -> None:
    event = eventsub_event(EVENTSUB["chat_reply"])
    assert isinstance(event, ChatMessage)
    assert event.text == "!buy hoodie M"
    assert event.reply_to_id == "cc106a89-1814-919d-454c-f4f2f970aae7"


def test_eventsub_delete_and_clear() -> None:
    deleted = eventsub_event(EVENTSUB["message_delete"])
    assert deleted == MessageDeleted(
        platform="twitch",
        channel="streamer",
        message_id="cc106a89-1814-919d-454c-f4f2f970aae7",
        at=datetime(2023, 11, 6, 18, 12, 1, tzinfo=UTC),
    )
    banned = eventsub_event(EVENTSUB["clear_user_messages"])
    assert isinstance(banned, UserBanned) and banned.author_id == "4145994"


def test_eventsub_stream_offline_ends_the_chat() -> None:
    msg = copy.deepcopy(EVENTSUB["clear_user_messages"])
    msg["metadata"]["subscription_type"] = "stream.offline"
    msg["payload"]["event"] = {
        "broadcaster_user_id": "1971641",
        "broadcaster_user_login": "streamer",
        "broadcaster_user_name": "Streamer",
    }
    assert eventsub_event(msg) == ChatEnded(
        platform="twitch",
        channel="streamer",
        at=datetime(2023, 11, 6, 18, 12, 5, tzinfo=UTC),
        reason="stream_offline",
    )


def test_eventsub_unknown_type_is_ignored() -> None:
    assert eventsub_event(EVENTSUB["unknown_type"]) is None


def _broken(path: list[str], value: Any) -> dict[str, Any]:
    msg = copy.deepcopy(EVENTSUB["chat_message"])
    target = msg
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return msg


@pytest.mark.parametrize(
    "msg",
    [
        {},
        {"metadata": [], "payload": {}},
        _broken(["payload", "event"], KeyError),
        _broken(["payload", "event", "message"], "text"),
        _broken(["payload", "event", "message_id"], KeyError),
        _broken(["payload", "event", "chatter_user_id"], 42),
        _broken(["metadata", "message_timestamp"], "yesterday"),
    ],
)
def test_eventsub_bad_payloads_raise_bad_payload(msg: dict[str, Any]) -> None:
    with pytest.raises(BadPayload):
        eventsub_event(msg)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-07-19T14:56:51.634234626Z", datetime(2023, 7, 19, 14, 56, 51, 634234, tzinfo=UTC)),
        ("2019-11-16T10:11:12.123Z", datetime(2019, 11, 16, 10, 11, 12, 123000, tzinfo=UTC)),
        ("2019-11-16T10:11:12Z", datetime(2019, 11, 16, 10, 11, 12, tzinfo=UTC)),
        ("2019-11-16T12:11:12.5+02:00", datetime(2019, 11, 16, 10, 11, 12, 500000, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(("value", "ok"), [("1594554085753", True), ("", False), ("x", False)])
def test_from_millis(value: str, ok: bool) -> None:
    assert (from_millis(value) is not None) is ok


def test_roles_from_badges() -> None:
    assert roles_from_badges(["broadcaster", "vip", "founder", "partner", "glhf-pledge"]) == {
        Role.BROADCASTER,
        Role.VIP,
        Role.MEMBER,
        Role.VERIFIED,
    }
