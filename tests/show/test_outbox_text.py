"""Pure outbox helpers: splitting, varying, coalescing and the independent limit checker."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.events import Priority, Reply
from connectors.limits import PlatformLimits
from shopstream.outbox.coalesce import can_coalesce, pack
from shopstream.outbox.pacing import SendRecord, find_violations
from shopstream.outbox.text import split_text, truncate, vary

URL = "https://shop.example/cart/4455:1?ref=live-abc123"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("hello world", 20, ["hello world"]),
        ("hello   big\nworld", 11, ["hello big", "world"]),
        ("aaaa bbbb cccc", 9, ["aaaa bbbb", "cccc"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
        (f"buy now {URL} thanks", 30, ["buy now", URL, "thanks"]),
        ("   ", 10, []),
    ],
)
def test_split_text(text: str, limit: int, expected: list[str]) -> None:
    assert split_text(text, limit) == expected


@given(st.lists(st.sampled_from(["a", "bb", "word", "longerword", URL, "x" * 30]), max_size=40))
def test_split_never_cuts_a_url_and_keeps_every_word(words: list[str]) -> None:
    text = " ".join(words)
    parts = split_text(text, 60)
    assert " ".join(parts).replace(" ", "") == text.replace(" ", "")
    for part in parts:
        assert len(part) <= 60 or part == URL
    assert sum(p.split(" ").count(URL) for p in parts) == words.count(URL)


def test_split_rejects_bad_limit() -> None:
    with pytest.raises(ValueError):
        split_text("x", 0)


def test_truncate_keeps_urls_whole() -> None:
    assert truncate(f"see {URL}", 20) == "see…"
    assert truncate("short", 20) == "short"


@pytest.mark.parametrize("attempt", [2, 3, 11])
def test_vary_changes_text_visibly_and_fits(attempt: int) -> None:
    base = "Sold out! Next drop at 20:15"
    out = vary(base, attempt, len(base) + 2)
    assert out != base
    assert len(out) <= len(base) + 2
    assert out.isprintable()
    assert out.endswith(f"({attempt})")


def _claim(key: str, name: str | None = "ana", short: str | None = "tee M s.io/a1") -> Reply:
    return Reply(
        platform="twitch",
        channel="c",
        text=f"long text for {key}",
        key=key,
        priority=Priority.CLAIM,
        mention=name,
        short=short,
    )


def test_can_coalesce_needs_a_public_claim_with_mention_and_short() -> None:
    assert can_coalesce(_claim("1"))
    assert not can_coalesce(_claim("1", name=None))
    assert not can_coalesce(_claim("1", short=None))
    answer = Reply(platform="t", channel="c", text="x", key="k", mention="a", short="s")
    assert not can_coalesce(answer)


def test_pack_stops_at_the_length_limit() -> None:
    replies = [_claim(str(i), name=f"v{i}") for i in range(10)]
    text, n = pack(replies, 60, 25)
    assert text == "@v0 tee M s.io/a1 | @v1 tee M s.io/a1 | @v2 tee M s.io/a1"
    assert n == 3
    assert pack(replies, 10, 25) == ("", 0)
    assert pack(replies, 500, 4)[1] == 4


LIMITS = PlatformLimits(
    max_messages=3,
    window_seconds=10.0,
    max_chars=20,
    duplicate_window_seconds=5.0,
    min_interval_seconds=1.0,
)


def _rec(at: float, text: str = "x") -> SendRecord:
    return SendRecord(at=at, text=f"{text}{at}" if text == "x" else text, keys=("k",))


@pytest.mark.parametrize(
    ("records", "broken"),
    [
        ([_rec(0), _rec(1), _rec(2), _rec(10)], 0),
        ([_rec(0), _rec(1), _rec(2), _rec(9.9)], 1),
        ([_rec(0), _rec(0.5)], 1),
        ([_rec(0, "same"), _rec(4, "Same ")], 1),
        ([_rec(0, "same"), _rec(5, "same")], 0),
        ([_rec(0, "y" * 21)], 1),
    ],
)
def test_find_violations_table(records: list[SendRecord], broken: int) -> None:
    assert len(find_violations(records, LIMITS)) == broken


def test_find_violations_context_records_only_count() -> None:
    records = [_rec(0), _rec(0.5), _rec(1.0), _rec(1.2)]
    assert len(find_violations(records, LIMITS)) == 4
    assert find_violations(records, LIMITS, context=3) == [
        "#3 at 1.200: 4 messages within 10.0s > 3",
        "#3 at 1.200: closer than 1.0s",
    ]
