"""The IRC line parser on real captured Twitch lines, IRCv3 escapes and bad input."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.twitch.irc import (
    IrcParseError,
    escape_tag_value,
    format_line,
    parse_line,
    parse_tags,
    strip_action,
    strip_reply_prefix,
    unescape_tag_value,
)

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "irc_lines.json").read_text("utf-8"))


@pytest.mark.parametrize("case", FIXTURES, ids=[c["name"] for c in FIXTURES])
def test_real_lines(case: dict[str, Any]) -> None:
    msg = parse_line(case["line"] + "\r\n")
    assert msg.command == case["command"]
    assert msg.params == case["params"]
    assert msg.nick == case["nick"]
    for key, value in case["tags"].items():
        assert msg.tags[key] == value


TAGGED = [c for c in FIXTURES if c["line"].startswith("@")]


@pytest.mark.parametrize("case", TAGGED, ids=[c["name"] for c in TAGGED])
def test_tag_order_does_not_matter(case: dict[str, Any]) -> None:
    line = case["line"]
    raw, _, rest = line[1:].partition(" ")
    items = raw.split(";")
    random.Random(len(line)).shuffle(items)
    assert parse_line(f"@{';'.join(items)} {rest}") == parse_line(line)


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        (r"Riot\sGames", "Riot Games"),
        (r"CarvedTaleare\s", "CarvedTaleare "),
        (r"a\:b", "a;b"),
        (r"back\\slash", "back\\slash"),
        (r"cr\rlf\n", "cr\rlf\n"),
        (r"unknown\xescape", "unknownxescape"),
        ("trailing\\", "trailing"),
        (r"\\s", "\\s"),
        ("", ""),
        ("no escapes at all", "no escapes at all"),
    ],
)
def test_unescape(escaped: str, plain: str) -> None:
    assert unescape_tag_value(escaped) == plain
    if " " not in escaped:  # a raw space ends the tags on the wire
        assert parse_tags(f"k={escaped}")["k"] == plain


def test_values_keep_equals_signs_and_keys_may_have_no_value() -> None:
    tags = parse_tags("reply-parent-msg-body=https://shop.example/?v\\s=1&q=2;flag;empty=")
    assert tags == {
        "reply-parent-msg-body": "https://shop.example/?v =1&q=2",
        "flag": "",
        "empty": "",
    }


def test_lines_longer_than_512_bytes() -> None:
    body = "ä" * 500
    tags = ";".join(f"tag{i}=value{i}" for i in range(40))
    line = f"@{tags};id=abc :u!u@u.tmi.twitch.tv PRIVMSG #chan :{body}"
    assert len(line.encode()) > 1500
    msg = parse_line(line)
    assert msg.trailing == body and msg.tags["tag39"] == "value39" and msg.tags["id"] == "abc"


@pytest.mark.parametrize(
    ("line", "params"),
    [
        ("PRIVMSG #chan Kappa", ["#chan", "Kappa"]),
        ("PRIVMSG #chan :", ["#chan", ""]),
        ("PRIVMSG #chan :: colon first", ["#chan", ": colon first"]),
        (":src   CMD   a   b  :c  d", ["a", "b", "c  d"]),
        ("cmd", []),
    ],
)
def test_params(line: str, params: list[str]) -> None:
    assert parse_line(line).params == params


@pytest.mark.parametrize("line", ["", "\r\n", "   ", "@a=b", "@a=b ", ":source", ":source   "])
def test_garbage_raises_parse_error(line: str) -> None:
    with pytest.raises(IrcParseError):
        parse_line(line)


@given(st.text())
def test_any_text_parses_or_raises_parse_error(text: str) -> None:
    try:
        msg = parse_line(text)
    except IrcParseError:
        return
    assert msg.command


@given(st.text())
def test_escape_round_trip(value: str) -> None:
    assert unescape_tag_value(escape_tag_value(value)) == value


@given(st.text(alphabet=st.characters(blacklist_characters="\r\n\x00"), min_size=1))
def test_format_then_parse_round_trip(text: str) -> None:
    line = format_line("PRIVMSG", ["#chan", text], tags={"reply-parent-msg-id": "a;b c"})
    msg = parse_line(line)
    assert msg.params == ["#chan", text]
    assert msg.tags["reply-parent-msg-id"] == "a;b c"


def test_format_refuses_line_breaks() -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        format_line("PRIVMSG", ["#chan", "hi\r\nJOIN #other"])


@pytest.mark.parametrize(
    ("body", "text", "action"),
    [
        ("\x01ACTION waves\x01", "waves", True),
        ("\x01ACTION \x01", "", True),
        ("\x01ACTION\x01", "", True),  # go-twitch-irc: an empty /me
        # dank-twitch-irc parseActionAndMessage: only a closed CTCP ACTION is a /me
        ("\x01ACTION cut off", "\x01ACTION cut off", False),
        ("\x01ACTIONHeyGuys\x01", "\x01ACTIONHeyGuys\x01", False),
        ("HeyGuys\x01", "HeyGuys\x01", False),
        ("\x01ACTION", "\x01ACTION", False),
        ("plain", "plain", False),
    ],
)
def test_strip_action(body: str, text: str, action: bool) -> None:
    assert strip_action(body) == (text, action)


@pytest.mark.parametrize(
    ("body", "names", "text"),
    [
        ("@nerixyz c Keepo", ("nerixyz", "nerixyz"), "c Keepo"),
        ("@NeriXYZ !buy 101", ("nerixyz", None), "!buy 101"),
        ("@someoneelse !buy 101", ("nerixyz", "Nerixyz"), "@someoneelse !buy 101"),
        ("!buy 101", ("nerixyz",), "!buy 101"),
        ("@Carved !buy", (None, "Carved "), "!buy"),
    ],
)
def test_strip_reply_prefix(body: str, names: tuple[str | None, ...], text: str) -> None:
    assert strip_reply_prefix(body, *names) == text
