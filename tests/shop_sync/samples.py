"""Shopify's sample webhook payloads, rewritten as our fixtures (each file names its source)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@cache
def _load(name: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    assert data["source"], f"fixture {name} must name its source"
    return dict(data)


def sample(name: str) -> dict[str, Any]:
    """Return a fresh copy of the payload of ``fixtures/<name>.json``."""
    return copy.deepcopy(_load(name)["payload"])


def sample_topic(name: str) -> str:
    """Return the webhook topic of ``fixtures/<name>.json``."""
    return str(_load(name)["topic"])
