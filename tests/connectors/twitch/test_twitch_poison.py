"""Poison payloads cost one event: fuzz-found Twitch IRC and EventSub inputs (issue 15)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitch_support import connector_for

from connectors.events import ChatMessage, UserBanned
from connectors.twitch.irc import IrcParseError, format_line, parse_line
from connectors.twitch.translate import (
    BadPayload,
    eventsub_event,
    from_millis,
    irc_event,
    parse_timestamp,
)
from sandbox.twitch import TwitchEmulator
from tests.connectors.strategies import json_objects, json_values
from tests.fuzz import examples
from tests.support.reader import Reader

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
CHAN = "#shopstream_demo"


def irc(line: str) -> ChatMessage | UserBanned | None:
    event = irc_event(parse_line(line), received_at=NOW, fallback_id="f")
    assert event is None or isinstance(event, ChatMessage | UserBanned)
    return event


@pytest.mark.parametrize("duration", ["²", "٣", "1_0", "-5", "9" * 40, "1209601"])
def test_an_unusable_timeout_is_still_a_ban(duration: str) -> None:
    event = irc(f"@ban-duration={duration};target-user-id=42 :tmi.twitch.tv CLEARCHAT {CHAN} :ann")
    assert isinstance(event, UserBanned) and event.author_id == "42" and event.until is None


def test_a_readable_timeout_sets_its_end() -> None:
    event = irc(f"@ban-duration=600;target-user-id=42 :tmi.twitch.tv CLEARCHAT {CHAN} :ann")
    assert isinstance(event, UserBanned) and event.until == NOW + timedelta(minutes=10)


@pytest.mark.parametrize("stamp", ["²", "٣٣٣", "9" * 40, "-1", "253402300800000"])
def test_an_unusable_sent_time_falls_back_to_the_receive_time(stamp: str) -> None:
    assert from_millis(stamp) is None
    event = irc(f"@tmi-sent-ts={stamp};id=m1;user-id=7 :ann!ann@ann PRIVMSG {CHAN} :SOLD 101")
    assert isinstance(event, ChatMessage) and event.sent_at == NOW


@pytest.mark.parametrize(
    "stamp",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-13-01T00:00:00Z", "²"],
)
def test_an_unusable_eventsub_timestamp_is_a_bad_payload(stamp: str) -> None:
    with pytest.raises(BadPayload):
        parse_timestamp(stamp)


def notification(event: dict[str, Any], stamp: object = "2026-11-23T19:00:00Z") -> dict[str, Any]:
    return {
        "metadata": {
            "message_id": "n1",
            "message_type": "notification",
            "message_timestamp": stamp,
            "subscription_type": "channel.chat.message",
        },
        "payload": {"event": event},
    }


CHAT = {
    "broadcaster_user_login": "shopstream_demo",
    "message_id": "m1",
    "chatter_user_id": "7",
    "chatter_user_name": "Ann",
    "message": {"text": "@Bob SOLD 101"},
}


@pytest.mark.parametrize(
    ("fields", "check"),
    [
        ({"chatter_user_name": 5, "chatter_user_login": "ann"}, ("author_name", "ann")),
        ({"chatter_user_name": {"x": 1}, "chatter_user_login": None}, ("author_name", None)),
        ({"badges": 5}, ("roles", frozenset())),
        ({"badges": [{"set_id": ["moderator"]}, {"set_id": "vip"}]}, ("is_moderator", False)),
        ({"reply": {"parent_message_id": 9, "parent_user_login": 5}}, ("reply_to_id", None)),
        (
            {"reply": {"parent_message_id": "p1", "parent_user_name": ["Bob"]}},
            ("text", "@Bob SOLD 101"),
        ),
    ],
)
def test_odd_eventsub_field_types_still_give_the_message(
    fields: dict[str, Any], check: tuple[str, object]
) -> None:
    event = eventsub_event(notification({**CHAT, **fields}))
    assert isinstance(event, ChatMessage) and event.message_id == "m1"
    name, value = check
    assert getattr(event, name) == value


@pytest.fixture
async def emu() -> AsyncIterator[TwitchEmulator]:
    async with TwitchEmulator(
        irc_ping_interval=0.2, irc_ping_timeout=2.0, min_keepalive=0.3, tls=False
    ) as emulator:
        yield emulator


async def test_irc_poison_lines_cost_one_event_and_are_counted(emu: TwitchEmulator) -> None:
    assert emu.irc is not None
    async with connector_for(emu, transport="irc") as conn:
        reader = Reader(conn)
        async with asyncio.timeout(10):
            while not emu.irc.in_room():
                emu.irc.changed.clear()
                await emu.irc.changed.wait()
        emu.irc.send_raw(
            f"@slow=³ :tmi.twitch.tv ROOMSTATE {CHAN}\r\n"
            f"@ban-duration=²;target-user-id=42 :tmi.twitch.tv CLEARCHAT {CHAN} :ann\r\n"
            f"@id=;x :tmi.twitch.tv CLEARMSG {CHAN}\r\n".encode()
        )
        emu.inject_message("after the poison", author_id="16", author_name="Pat")
        banned = await reader.next()
        message = await reader.next()
        await reader.stop()
    assert isinstance(banned, UserBanned) and banned.author_id == "42" and banned.until is None
    assert isinstance(message, ChatMessage) and message.text == "after the poison"
    assert conn.limits.min_interval_seconds == 0  # slow=³ read as off, as an unreadable value
    assert conn.health.skipped == 1  # the CLEARMSG without a target
    assert "CLEARMSG" in (conn.health.last_skipped or "")


async def test_eventsub_poison_notifications_cost_one_event_and_are_counted(
    emu: TwitchEmulator,
) -> None:
    async with connector_for(emu) as conn:
        reader = Reader(conn)
        async with asyncio.timeout(10):
            await emu.eventsub.subscribed.wait()
        year_zero = notification({**CHAT, "message_id": "p1"}, stamp="0001-01-01T00:00:00+01:00")
        year_zero["metadata"]["message_id"] = "n-year-zero"
        odd = notification({**CHAT, "message_id": "p2", "chatter_user_name": 5, "badges": 7})
        odd["metadata"]["message_id"] = "n-odd"
        for frame in (year_zero, odd, "[" * 100_000 + "]" * 100_000):
            emu.eventsub.send_raw(frame if isinstance(frame, str) else json.dumps(frame))
        emu.inject_message("after the poison", author_id="2", author_name="B")
        kept = await reader.next()
        after = await reader.message("after the poison")
        await reader.stop()
    assert isinstance(kept, ChatMessage) and kept.message_id == "p2" and kept.author_name is None
    assert after.author_id == "2"
    assert conn.health.skipped == 2  # the year-zero stamp and the frame too deep to read
    assert "not JSON" in (conn.health.last_skipped or "")


_value = st.text(max_size=12) | st.sampled_from(["²", "³", "٣", "9" * 40, "-1", "600", ""])
_tags = st.dictionaries(
    st.sampled_from(
        [
            "ban-duration",
            "tmi-sent-ts",
            "id",
            "user-id",
            "display-name",
            "badges",
            "reply-parent-msg-id",
            "reply-parent-user-login",
            "target-msg-id",
            "target-user-id",
            "slow",
        ]
    ),
    _value,
)
_params = st.lists(st.text(max_size=10).filter(lambda p: "\r" not in p and "\n" not in p))


@st.composite
def _lines(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.text(max_size=60))
    command = draw(st.sampled_from(["PRIVMSG", "CLEARMSG", "CLEARCHAT", "ROOMSTATE", "NOTICE"]))
    channel = draw(st.sampled_from([CHAN, "nochannel", "#"]))
    params = [channel, *draw(_params)][: draw(st.integers(0, 3))]
    return format_line(command, params, tags=draw(_tags), source=draw(st.text(max_size=10)))


@settings(max_examples=examples(200))
@given(line=_lines())
def test_any_irc_line_gives_an_event_nothing_or_a_bad_payload(line: str) -> None:
    try:
        msg = parse_line(line)
    except IrcParseError:
        return  # the client skips these before any translation
    with suppress(BadPayload):  # the reader's counted skip
        irc_event(msg, received_at=NOW, fallback_id="f")


_kinds = st.sampled_from(
    [
        "channel.chat.message",
        "channel.chat.message_delete",
        "channel.chat.clear_user_messages",
        "stream.offline",
    ]
)


@st.composite
def _notifications(draw: st.DrawFn) -> dict[str, Any]:
    fields = st.dictionaries(st.sampled_from([*CHAT, "badges", "reply"]), json_values)
    event = {**CHAT, **draw(fields)}
    stamps = st.sampled_from(["2026-11-23T19:00:00Z", "0001-01-01T00:00:00+01:00"])
    stamp = draw(stamps | json_values)
    frame = notification(event, stamp=stamp)
    frame["metadata"]["subscription_type"] = draw(_kinds)
    return frame if draw(st.booleans()) else draw(json_objects())


@settings(max_examples=examples(200))
@given(frame=_notifications())
def test_any_notification_gives_an_event_nothing_or_a_bad_payload(frame: dict[str, Any]) -> None:
    with suppress(BadPayload):  # the connector's counted skip
        eventsub_event(frame)
