"""Poison payloads cost one event: fuzz-found Facebook inputs (issue 15) as our own cases."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import FatalError, RateLimited
from connectors.facebook import FacebookConnector
from connectors.facebook.graph_errors import classify, usage_summary, usage_wait_seconds
from connectors.facebook.sse import SseEvent, SseParser
from connectors.facebook.translate import comment_to_message, decode_stream_data
from connectors.values import BadPayload
from sandbox.facebook import FacebookEmulator
from tests.connectors.strategies import json_objects, json_values
from tests.fuzz import examples
from tests.support.reader import Reader

NOW = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
Build = Callable[..., FacebookConnector]


@pytest.mark.parametrize("code", ["²", "٣", "1" * 40, 2**40, 1.5, None, ["4"]])
def test_an_unreadable_error_code_is_a_fatal_error_not_a_crash(code: object) -> None:
    error = classify(400, {"error": {"code": code, "error_subcode": "²"}}, {}, default_wait=60.0)
    assert type(error) is FatalError and "(#None)" in str(error)


def test_a_readable_error_code_as_a_string_still_counts() -> None:
    error = classify(400, {"error": {"code": "613"}}, {}, default_wait=60.0)
    assert isinstance(error, RateLimited) and error.retry_after == 60.0


def _buc(minutes: object) -> dict[str, str]:
    entry = {"type": "pages", "call_count": 100, "estimated_time_to_regain_access": minutes}
    return {"x-business-use-case-usage": json.dumps({"1": [entry]})}


@pytest.mark.parametrize(
    ("minutes", "wait"),
    [(5, 300.0), ("5", 300.0), ("²", None), (10**400, None), (0, None)],
    ids=["int", "str", "superscript", "10**400", "zero"],
)
def test_usage_waits_read_only_believable_minutes(minutes: object, wait: float | None) -> None:
    assert usage_wait_seconds(_buc(minutes)) == wait


@pytest.mark.parametrize(
    "raw", ["[" * 100_000, '{"x": ' * 50_000, '{"call_count": "²"}'], ids=["deep", "nest", "sup"]
)
def test_usage_headers_too_deep_or_odd_are_ignored(raw: str) -> None:
    headers = {"x-business-use-case-usage": raw, "x-app-usage": raw}
    assert usage_wait_seconds(headers) is None
    assert set(usage_summary(headers).values()) <= {0}


def test_a_year_one_created_time_keeps_the_comment_at_its_receive_time() -> None:
    comment = {"id": "1_2", "message": "SOLD 101", "created_time": "0001-01-01T00:00:00+0100"}
    msg = comment_to_message(comment, channel="v", page_id=None, received_at=NOW)
    assert msg.sent_at == NOW and msg.sent_at_precision == 0.0 and msg.text == "SOLD 101"


def test_a_line_over_the_cap_is_dropped_once_and_the_stream_goes_on() -> None:
    parser = SseParser(max_line=100)
    events: list[SseEvent] = []
    events += parser.feed(b'data: {"id":"1"}\n\n')
    for _ in range(10):  # 1,000 characters of one line, in chunks
        events += parser.feed(b"data: " + b"x" * 94)
    assert parser.dropped_lines == 1 and parser.dropped_head.startswith("data: xxx")
    events += parser.feed(b"\n\ndata: next\r")
    events += parser.feed(b"\n\r\n")
    assert [e.data for e in events] == ['{"id":"1"}', "next"]
    assert parser.dropped_lines == 1


def test_an_empty_chunk_between_cr_and_lf_makes_no_blank_line() -> None:
    parser = SseParser()
    assert parser.feed(b"data: a\r") == [] and parser.feed(b"") == []
    assert parser.feed(b"\ndata: b\n\n") == [SseEvent(data="a\nb")]


def test_an_event_whose_data_lines_pass_the_cap_is_dropped_once() -> None:
    parser = SseParser(max_line=100)
    events = parser.feed(b"".join(b"data: " + b"d" * 40 + b"\n" for _ in range(10)))
    events += parser.feed(b"\ndata: next\n\n")
    assert [e.data for e in events] == ["next"] and parser.dropped_lines == 1


def test_an_absurd_retry_is_ignored() -> None:
    (event,) = SseParser().feed(b"retry: " + b"9" * 5000 + b"\ndata: x\n\n")
    assert event.retry is None and event.data == "x"


def test_a_line_at_the_cap_is_kept() -> None:
    line = "data: " + "y" * 94
    assert SseParser(max_line=100).feed((line + "\n\n").encode()) == [SseEvent(data="y" * 94)]


@settings(max_examples=examples(200))
@given(chunks=st.lists(st.binary(max_size=40) | st.sampled_from([b"\r", b"\n", b"data: "])))
def test_any_bytes_feed_the_parser_without_raising(chunks: list[bytes]) -> None:
    parser = SseParser(max_line=16)
    for chunk in chunks:
        for event in parser.feed(chunk):
            assert isinstance(event.data, str)


@settings(max_examples=examples(200))
@given(comment=json_objects(6) | st.fixed_dictionaries({"id": json_values}, optional={}))
def test_any_comment_gives_a_message_or_a_bad_payload(comment: dict[str, object]) -> None:
    with suppress(BadPayload):  # the session's counted skip
        comment_to_message(comment, channel="v", page_id="p", received_at=NOW)


@settings(max_examples=examples(200))
@given(data=st.text(max_size=40) | json_values.map(json.dumps))
def test_any_stream_data_gives_a_comment_nothing_or_a_bad_payload(data: str) -> None:
    with suppress(BadPayload):  # the stream's counted skip
        decode_stream_data(data)


async def test_the_stream_skips_poison_counts_it_and_the_next_comment_arrives(
    emu: FacebookEmulator, make_connector: Build, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_connector(backfill_interval_seconds=60) as conn:
        reader = Reader(conn)
        try:
            async with asyncio.timeout(10):
                await emu.hub.wait_opened(1)
            emu.hub.send_raw(
                b'data: {"id": "1_old", "message": "kept", '
                b'"created_time": "0001-01-01T00:00:00+0100"}\n\n'
                b'data: {"message": "no id"}\n\n'
                b"data: " + b"[" * 100_000 + b"\n\n"
                b"data: " + b"z" * (300 * 1024) + b"\n\n"
            )
            good = emu.inject_message("still here", author_id="u1")
            messages = await reader.wait_for(2)
        finally:
            await reader.stop()
    assert sorted(m.message_id for m in messages) == sorted(["1_old", good])
    assert reader.failure is None and reader.transient == []
    assert conn.health.skipped == 3  # no id, too deep, too long: each costs only itself
    logged = " ".join(r.getMessage() for r in caplog.records if "skipped an item" in r.getMessage())
    for reason in ("without an id", "not JSON", "stream line over 262144 characters"):
        assert reason in logged
    assert conn.health.last_skipped is not None
