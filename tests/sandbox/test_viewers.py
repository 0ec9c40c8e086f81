"""Simulated viewers follow the configured mix and are reproducible from a seed."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sandbox.viewers import Mix, script

PRODUCTS = json.loads(
    (Path(__file__).resolve().parents[2] / "sandbox/data/demo_products.json").read_text()
)["products"]


def test_mix_and_reproducibility() -> None:
    lines = script(PRODUCTS, viewers=50, lines=2000, seconds=60, mix=Mix(0.5, 0.0, 0.5), seed=1)
    kinds = Counter(line.kind for line in lines)
    assert kinds["ask"] == 0
    assert 850 < kinds["buy"] < 1150
    assert {line.platform for line in lines} == {"youtube", "facebook", "twitch"}
    assert lines == script(
        PRODUCTS, viewers=50, lines=2000, seconds=60, mix=Mix(0.5, 0.0, 0.5), seed=1
    )
    offsets = [line.offset for line in lines]
    assert offsets == sorted(offsets) and offsets[-1] < 60
    assert all("  " not in line.text for line in lines)
