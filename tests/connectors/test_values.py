"""Untrusted wire values and the record of skipped items (issue 15's fuzz cases as tables)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.status import SKIP_RAW_CHARS, Health, raw_text
from connectors.values import JSON_ERRORS, ascii_int, later, to_utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("600", 600),
        (" 42 ", 42),
        (600, 600),
        ("0", 0),
        ("²", None),  # '²'.isdigit() is True, int('²') raises
        ("³", None),
        ("٣", None),  # int('٣') is 3: an Arabic-Indic digit is not a wire number
        ("1_000", None),  # int() reads underscores
        ("+5", None),
        ("-5", None),  # below lo
        ("", None),
        ("-", None),
        ("5.0", None),
        ("1" * 31, None),  # longer than any number a platform sends
        (10**12, None),  # above hi
        (True, None),
        (None, None),
        (5.0, None),
        (["5"], None),
    ],
)
def test_ascii_int(value: object, expected: int | None) -> None:
    assert ascii_int(value, hi=1_209_600) == expected


def test_ascii_int_negative_range() -> None:
    assert ascii_int("-100", lo=-1000, hi=1000) == -100
    assert ascii_int("--1", lo=-1000, hi=1000) is None


@pytest.mark.parametrize(
    ("parsed", "expected"),
    [
        (
            datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
            datetime(2026, 1, 1, tzinfo=UTC),
        ),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), None),  # UTC is in year 0
        (datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-2))), None),  # year 10000
        (datetime(2026, 1, 1), None),  # naive
    ],
)
def test_to_utc(parsed: datetime, expected: datetime | None) -> None:
    assert to_utc(parsed) == expected


def test_later_never_overflows() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert later(at, 60) == at + timedelta(minutes=1)
    assert later(at, 10**12) is None
    assert later(datetime.max.replace(tzinfo=UTC), 1) is None


@pytest.mark.parametrize(
    "text", ["[" * 100_000, "{", "\udcff", b"\xff"], ids=["deep", "open", "surrogate", "bytes"]
)
def test_json_errors_cover_what_loads_raises(text: str | bytes) -> None:
    with pytest.raises(JSON_ERRORS):
        json.loads(text)


def test_a_skip_is_counted_logged_and_kept_short_in_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    health = Health("youtube:x")
    health.skip({"id": "LCC.1", "text": "x" * 5000}, "OverflowError: date value out of range")
    health.skip({"id": "LCC.2"}, "BadPayload: " + "y" * 1000)
    snap = health.snapshot()
    assert snap["skipped"] == "2" and health.skipped == 2
    last = snap["last_skipped"] or ""
    assert '"id": "LCC.2"' in last and last.startswith("BadPayload: yyy")
    assert len(last) < 200 + SKIP_RAW_CHARS + 10
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]


def test_raw_text_never_raises_and_stays_short() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert raw_text(deep).startswith("[[")
    assert len(raw_text({"a": "x" * 10_000})) == SKIP_RAW_CHARS
    assert raw_text(b"\xff ok") == "\ufffd ok"
    assert raw_text({"n": float("nan"), "when": datetime(2026, 1, 1)}).startswith('{"n": NaN')
