"""Graph wire -> events: tables over our fixtures (shapes from real Graph captures, §6)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.events import Role
from connectors.facebook.redact import redact
from connectors.facebook.translate import (
    comment_to_message,
    decode_stream_data,
    format_graph_time,
    parse_graph_time,
)
from connectors.values import BadPayload

FIXTURES = Path(__file__).parent / "fixtures"
PAGE_ID = "104532198765432"
NOW = datetime(2026, 11, 20, 19, 0, 0, tzinfo=UTC)


def _page() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        (FIXTURES / "comments_stream_page.json").read_text("utf-8")
    )["data"]
    return data


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-08-10T18:45:03+0000", datetime(2021, 8, 10, 18, 45, 3, tzinfo=UTC)),
        ("2021-08-10T20:45:03+0200", datetime(2021, 8, 10, 18, 45, 3, tzinfo=UTC)),
        ("2021-08-10T18:45:03Z", datetime(2021, 8, 10, 18, 45, 3, tzinfo=UTC)),
        ("2021-08-10T18:45:03+00:00", datetime(2021, 8, 10, 18, 45, 3, tzinfo=UTC)),
        (1628621103, datetime(2021, 8, 10, 18, 45, 3, tzinfo=UTC)),
        ("2021-08-10T18:45:03", None),  # naive: refused
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
        ({"t": 1}, None),
        (10**20, None),
        ("0001-01-01T00:00:00+0100", None),  # parses, but its UTC time is before year 1
        ("9999-12-31T23:59:59-0100", None),  # and this one is after 9999
        (float("nan"), None),
    ],
)
def test_parse_graph_time(raw: object, expected: datetime | None) -> None:
    assert parse_graph_time(raw) == expected


def test_format_graph_time_round_trips() -> None:
    text = format_graph_time(NOW)
    assert text == "2026-11-20T19:00:00+0000"
    assert parse_graph_time(text) == NOW


# (fixture index, message_id, author_id, author_name, text, roles, reply_to_id)
ROWS = [
    (
        0,
        "911936075671500_10158407835073553",
        "2711636948859886",
        "Ana Souza",
        "SOLD 101 navy XL",
        frozenset(),
        None,
    ),
    (1, "911936075671500_10158407835073554", None, None, "sold 2", frozenset(), None),
    (
        2,
        "911936075671500_10158407835073560",
        PAGE_ID,
        "Demo Boutique",
        "Ana, check your messages for the link!",
        frozenset({Role.BROADCASTER}),
        "911936075671500_10158407835073553",
    ),
    (
        3,
        "911936075671500_10158407835073561",
        "2493785114046685",
        "杨佳名",
        "how much is the tee? 🙂",
        frozenset(),
        None,
    ),
]


@pytest.mark.parametrize(("index", "mid", "aid", "name", "text", "roles", "parent"), ROWS)
def test_fixture_comments(
    index: int,
    mid: str,
    aid: str | None,
    name: str | None,
    text: str,
    roles: frozenset[Role],
    parent: str | None,
) -> None:
    comment = _page()[index]
    msg = comment_to_message(comment, channel=PAGE_ID, page_id=PAGE_ID, received_at=NOW)
    assert msg is not None
    assert (msg.message_id, msg.author_id, msg.author_name, msg.text) == (mid, aid, name, text)
    assert msg.roles == roles and msg.reply_to_id == parent
    assert msg.platform == "facebook" and msg.channel == PAGE_ID
    assert msg.sent_at == parse_graph_time(comment["created_time"])
    assert msg.raw == comment


def test_comment_without_from_still_becomes_a_message() -> None:
    msg = comment_to_message(
        {"id": "1_2", "message": "sold 2", "created_time": "2026-11-20T18:45:04+0000"},
        channel="p",
        page_id="p",
        received_at=NOW,
    )
    assert msg is not None and msg.author_id is None and msg.author_name is None


@pytest.mark.parametrize(
    "comment",
    [{"message": "no id"}, {"id": "", "message": "empty id"}, {"id": ["1"], "message": "list id"}],
)
def test_comments_without_an_id_are_refused(comment: dict[str, Any]) -> None:
    with pytest.raises(BadPayload, match="without an id"):
        comment_to_message(comment, channel="p", page_id="p", received_at=NOW)


@pytest.mark.parametrize(
    ("comment", "field", "value"),
    [
        ({"id": 12345678901234567}, "message_id", "12345678901234567"),  # never an int
        ({"id": "1_2"}, "text", ""),  # no message (sticker only)
        ({"id": "1_2", "message": 5}, "text", ""),
        ({"id": "1_2"}, "sent_at", NOW),  # the stream sent no created_time
        ({"id": "1_2", "created_time": "garbage"}, "sent_at", NOW),
        ({"id": "1_2", "created_time": "0001-01-01T00:00:00+0100"}, "sent_at", NOW),
        ({"id": "1_2", "from": "Ana"}, "author_id", None),
        ({"id": "1_2", "from": {"name": "Ana"}}, "author_name", "Ana"),
        ({"id": "1_2", "from": {"id": 2711636948859886}}, "author_id", "2711636948859886"),
        ({"id": "1_2", "parent": "x"}, "reply_to_id", None),
        ({"id": "1_2", "brand_new_field": {"x": 1}}, "message_id", "1_2"),
    ],
)
def test_odd_fields(comment: dict[str, Any], field: str, value: object) -> None:
    msg = comment_to_message(comment, channel="p", page_id="p", received_at=NOW)
    assert msg is not None
    assert getattr(msg, field) == value


@pytest.mark.parametrize(
    ("data", "expected_id"),
    [
        ('{"id":"1_2","message":"hi"}', "1_2"),
        ('[{"id":"1_3","message":"array as in the docs"}]', "1_3"),
        ('{"error":{"code":1,"message":"boom"}}', None),
    ],
)
def test_decode_stream_data(data: str, expected_id: str | None, caplog: Any) -> None:
    caplog.set_level(logging.WARNING)
    comment = decode_stream_data(data)
    assert (comment.get("id") if comment is not None else None) == expected_id
    if expected_id is None:
        assert caplog.records, "an error body inside the stream is logged"


@pytest.mark.parametrize(
    "data", ["not json", "[1, 2]", '"a string"', "", "[" * 100_000 + "]" * 100_000]
)
def test_stream_data_that_is_no_comment_is_refused(data: str) -> None:
    with pytest.raises(BadPayload):
        decode_stream_data(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /x?access_token=EAAB123&fields=id", "GET /x?access_token=***&fields=id"),
        (
            '"GET /v26.0/me?access_token=abc HTTP/1.1" 200',
            '"GET /v26.0/me?access_token=*** HTTP/1.1" 200',
        ),
        ("no token here", "no token here"),
        ("a=1&access_token=t1 and access_token=t2", "a=1&access_token=*** and access_token=***"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("created_time", "precision", "order_offset_ms"),
    [
        ("2026-11-24T12:00:05+0000", 1.0, 500),  # Graph's whole seconds: the middle of it
        (1795521605, 1.0, 500),  # unix seconds: whole too
        (1795521605.25, 0.0, 0),  # a fraction is exact: ordered where it says
        (None, 0.0, 0),  # no created_time: the (exact) receive time stands in
    ],
)
def test_whole_second_times_are_ordered_at_the_middle_of_their_second(
    created_time: object, precision: float, order_offset_ms: int
) -> None:
    received = datetime(2026, 11, 24, 12, 0, 7, 123000, tzinfo=UTC)
    comment = {"id": "v_9", "message": "sold 201", "created_time": created_time}
    msg = comment_to_message(comment, channel="v", page_id=None, received_at=received)
    assert msg is not None and msg.sent_at_precision == precision
    assert msg.order_time - msg.sent_at == timedelta(milliseconds=order_offset_ms)
