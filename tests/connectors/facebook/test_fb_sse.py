"""The SSE parser: a table of wire inputs (split into chunks every possible way) and events."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.facebook.sse import SseEvent, SseParser

CASES: list[tuple[str, bytes, list[SseEvent]]] = [
    ("one data line", b'data: {"id":"1_2"}\n\n', [SseEvent(data='{"id":"1_2"}')]),
    ("no space after colon", b"data:x\n\n", [SseEvent(data="x")]),
    ("only one space is dropped", b"data:  x\n\n", [SseEvent(data=" x")]),
    ("multi-line data joins with LF", b"data: a\ndata: b\n\n", [SseEvent(data="a\nb")]),
    ("CRLF line ends", b"data: a\r\ndata: b\r\n\r\n", [SseEvent(data="a\nb")]),
    ("CR line ends", b"data: a\rdata: b\r\r", [SseEvent(data="a\nb")]),
    ("comment is a keepalive, not an event", b": keepalive\n\n", []),
    ("comment between data lines", b"data: a\n: ping\ndata: b\n\n", [SseEvent(data="a\nb")]),
    ("blank lines alone dispatch nothing", b"\n\n\n", []),
    ("no trailing blank line: not dispatched", b"data: a\n", []),
    (
        "event and id fields",
        b"event: comment\nid: 7\ndata: x\n\n",
        [
            SseEvent(data="x", event="comment", id="7"),
        ],
    ),
    (
        "retry digits only",
        b"retry: 1500\ndata: x\n\nretry: 1s\ndata: y\n\n",
        [
            SseEvent(data="x", retry=1500),
            SseEvent(data="y"),
        ],
    ),
    ("field without colon", b"data\n\n", [SseEvent(data="")]),
    ("unknown field ignored", b"foo: bar\ndata: x\n\n", [SseEvent(data="x")]),
    ("leading BOM ignored", b"\xef\xbb\xbfdata: x\n\n", [SseEvent(data="x")]),
    (
        "utf-8 text",
        'data: {"message":"中午 🙂"}\n\n'.encode(),
        [
            SseEvent(data='{"message":"中午 🙂"}'),
        ],
    ),
    ("two events", b"data: 1\n\ndata: 2\n\n", [SseEvent(data="1"), SseEvent(data="2")]),
    ("id with NUL ignored", b"id: a\x00b\ndata: x\n\n", [SseEvent(data="x")]),
]


@pytest.mark.parametrize(("name", "wire", "expected"), CASES, ids=[c[0] for c in CASES])
def test_whole_input(name: str, wire: bytes, expected: list[SseEvent]) -> None:
    assert SseParser().feed(wire) == expected


@pytest.mark.parametrize(("name", "wire", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_two_chunk_split(name: str, wire: bytes, expected: list[SseEvent]) -> None:
    for cut in range(len(wire) + 1):
        parser = SseParser()
        events = parser.feed(wire[:cut]) + parser.feed(wire[cut:])
        assert events == expected, f"split at {cut}"


@pytest.mark.parametrize(("name", "wire", "expected"), CASES, ids=[c[0] for c in CASES])
def test_byte_by_byte(name: str, wire: bytes, expected: list[SseEvent]) -> None:
    parser = SseParser()
    events: list[SseEvent] = []
    for i in range(len(wire)):
        events += parser.feed(wire[i : i + 1])
    assert events == expected


def test_cr_then_lf_in_next_chunk_is_one_line_end() -> None:
    parser = SseParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\ndata: b\r") == []
    assert parser.feed(b"\n\r\n") == [SseEvent(data="a\nb")]


def test_counts_keepalive_comments() -> None:
    parser = SseParser()
    parser.feed(b":\n\n: keepalive\n\ndata: x\n\n")
    assert parser.comments == 2


def test_last_event_id_persists_across_events() -> None:
    parser = SseParser()
    events = parser.feed(b"id: 5\ndata: a\n\ndata: b\n\n")
    assert [e.id for e in events] == ["5", "5"]
    assert parser.last_event_id == "5"


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert SseParser().feed(b"data: \xff\xfe\n\n") == [SseEvent(data="\ufffd\ufffd")]


def test_accepts_str_chunks() -> None:
    assert SseParser().feed("data: x\n\n") == [SseEvent(data="x")]


_LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])
_DATA = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=30
)


@st.composite
def _streams(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A random stream of events (multi-line data, comments, mixed line ends) and its data."""
    wire, expected = "", []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            wire += ":" + draw(_DATA) + draw(_LINE_ENDS)
        lines = draw(st.lists(_DATA, min_size=1, max_size=3))
        for line in lines:
            wire += "data: " + line + draw(_LINE_ENDS)
        # the blank line: after a CR, a lone LF would only complete that CR's line end
        wire += draw(
            st.sampled_from(["\r", "\r\n"] if wire.endswith("\r") else ["\n", "\r\n", "\r"])
        )
        expected.append("\n".join(lines))
    return wire.encode(), expected


@given(stream=_streams(), cuts=st.lists(st.integers(0, 400), max_size=8))
def test_any_chunking_gives_the_same_events(
    stream: tuple[bytes, list[str]], cuts: list[int]
) -> None:
    wire, expected = stream
    parser = SseParser()
    events: list[SseEvent] = []
    last = 0
    for cut in sorted({c for c in cuts if c <= len(wire)}):
        events += parser.feed(wire[last:cut])
        last = cut
    events += parser.feed(wire[last:])
    assert [e.data for e in events] == expected
