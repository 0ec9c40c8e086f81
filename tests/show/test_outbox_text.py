"""Pure outbox helpers: varying, coalescing and the independent limit checker.

Splitting is connectors/text.py's, tested in tests/connectors/test_text.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectors.events import Priority, Reply
from connectors.limits import PlatformLimits
from connectors.text import LengthRule, LengthUnit
from shopstream.outbox.coalesce import can_coalesce, pack
from shopstream.outbox.pacing import SendRecord, find_violations
from shopstream.outbox.text import vary


@pytest.mark.parametrize("attempt", [2, 3, 11])
def test_vary_changes_text_visibly_and_fits(attempt: int) -> None:
    base = "Sold out! Next drop at 20:15"
    out = vary(base, attempt, LengthRule(len(base) + 2))
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
    text, n = pack(replies, LengthRule(60), 25)
    assert text == "@v0 tee M s.io/a1 | @v1 tee M s.io/a1 | @v2 tee M s.io/a1"
    assert n == 3
    assert pack(replies, LengthRule(10), 25) == ("", 0)
    assert pack(replies, LengthRule(500), 4)[1] == 4


def test_pack_counts_in_the_platform_unit() -> None:
    replies = [_claim(str(i), name=f"\U0001f525{i}") for i in range(3)]  # an astral emoji each
    per_piece = len("@\U0001f5250 tee M s.io/a1")  # 17 code points, 18 UTF-16 units
    two = 2 * per_piece + 3  # two pieces and the separator, in code points
    assert pack(replies, LengthRule(two), 25)[1] == 2
    assert pack(replies, LengthRule(two, LengthUnit.UTF16), 25)[1] == 1


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


def test_find_violations_measures_in_the_platform_unit() -> None:
    emoji = [_rec(0, "\U0001f525" * 11)]  # 11 code points, 22 UTF-16 units
    assert find_violations(emoji, LIMITS) == []
    utf16 = replace(LIMITS, length_unit=LengthUnit.UTF16)
    assert ["22 utf16 > 20" in v for v in find_violations(emoji, utf16)] == [True]


def test_find_violations_context_records_only_count() -> None:
    records = [_rec(0), _rec(0.5), _rec(1.0), _rec(1.2)]
    assert len(find_violations(records, LIMITS)) == 4
    assert find_violations(records, LIMITS, context=3) == [
        "#3 at 1.200: 4 messages within 10.0s > 3",
        "#3 at 1.200: closer than 1.0s",
    ]
