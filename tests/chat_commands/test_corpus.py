"""Accuracy of the parser on the labelled multilingual corpus, against the issue's targets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from chat_commands.parse import ParseContext
from tests.chat_commands.corpus_eval import MAX_FALSE_BUY_RATE, TARGETS, corpus_rows, score


def test_corpus_is_big_multilingual_and_negative_heavy() -> None:
    rows = list(corpus_rows())
    languages = Counter(row["lang"] for row in rows)
    negatives = sum(row["expect"]["intent"] == "none" for row in rows)
    assert len(rows) >= 400
    assert set(languages) >= {"en", "es", "pt", "fr", "de"}
    assert min(languages.values()) >= 30
    assert negatives / len(rows) >= 0.30


def test_corpus_accuracy_meets_targets(context_for: Callable[..., ParseContext]) -> None:
    result = score(context_for)
    print("\n" + result.table())
    for miss in result.misses:
        print("  miss", miss)
    for name, target in TARGETS.items():
        assert result.accuracy(name) >= target, f"{name} accuracy below {target:.0%}"
    assert result.false_buy_rate <= MAX_FALSE_BUY_RATE
