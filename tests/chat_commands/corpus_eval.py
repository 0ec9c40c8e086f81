"""Score the parser against the labelled corpus (shared by the test and by hand runs)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chat_commands.parse import ParseContext, parse
from chat_commands.record import intent_record

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
TARGETS = {"intent": 0.97, "question": 0.92, "product": 0.95, "variant": 0.93, "quantity": 0.98}
MAX_FALSE_BUY_RATE = 0.005


def corpus_rows() -> Iterator[dict[str, Any]]:
    """Every labelled line of every corpus file."""
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                row = json.loads(line)
                row["where"] = f"{path.name}:{number}"
                yield row


@dataclass
class Score:
    """Per-field hit counts and the misses, for the report."""

    hits: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    false_buys: int = 0
    non_buys: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, ok: bool, row: dict[str, Any], got: dict[str, Any]) -> None:
        self.totals[name] = self.totals.get(name, 0) + 1
        self.hits[name] = self.hits.get(name, 0) + int(ok)
        if not ok:
            self.misses.append(f"{row['where']} {name}: {row['text']!r} -> {got}")

    def accuracy(self, name: str) -> float:
        total = self.totals.get(name, 0)
        return self.hits.get(name, 0) / total if total else 1.0

    @property
    def false_buy_rate(self) -> float:
        return self.false_buys / self.non_buys if self.non_buys else 0.0

    def table(self) -> str:
        lines = [f"{'field':<10} {'accuracy':>9} {'n':>5}  target"]
        for name, target in TARGETS.items():
            total = self.totals.get(name, 0)
            lines.append(f"{name:<10} {self.accuracy(name):>9.1%} {total:>5}  >= {target:.0%}")
        lines.append(
            f"{'false buy':<10} {self.false_buy_rate:>9.2%} {self.non_buys:>5}  "
            f"<= {MAX_FALSE_BUY_RATE:.1%}"
        )
        return "\n".join(lines)


def score(context_for: Callable[..., ParseContext]) -> Score:
    """Parse every corpus line and compare each field with its label."""
    result = Score()
    for row in corpus_rows():
        expect = row["expect"]
        got = intent_record(parse(row["text"], context_for(row.get("featured"))))
        result.add("intent", got["intent"] == expect["intent"], row, got)
        if expect["intent"] != "buy":
            result.non_buys += 1
            if got["intent"] == "buy":
                result.false_buys += 1
        if expect["intent"] == "question":
            asked = got["intent"] == "question" and got["question"] == expect["question"]
            result.add("question", asked, row, got)
        if expect["intent"] in ("buy", "question", "waitlist", "cancel"):
            same = got["product"] == expect["product"] and set(got["candidates"]) == set(
                expect["candidates"]
            )
            result.add("product", same, row, got)
        if expect["intent"] == "buy":
            variant = got["sku"] == expect["sku"] and got["missing"] == expect["missing"]
            result.add("variant", variant, row, got)
            result.add("quantity", got["quantity"] == expect["quantity"], row, got)
    return result
