"""A burst of buy messages in one batch: claimed together, same outcomes as one by one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.events import ChatMessage
from shopstream.core import build_core
from shopstream.runtime.supervisor import Envelope
from shopstream.sandbox_store import sandbox_store
from shopstream.settings import parse_settings

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


def _catalog(units: int) -> list[dict[str, Any]]:
    products = json.loads((ROOT / "sandbox/data/demo_products.json").read_text())["products"]
    for product in products:
        if product["handle"] == "glow-serum":
            product["variants"][0]["inventory_quantity"] = units
    return list(products)


def _buy(n: int, platform: str, text: str = "sold 201") -> Envelope:
    msg = ChatMessage(
        platform=platform,
        channel="c",
        message_id=f"{platform}-{n}",
        author_id=f"{platform}-viewer-{n}",
        author_name=f"viewer{n}",
        text=text,
        sent_at=T0 + timedelta(milliseconds=n),
    )
    return Envelope(platform, msg)


async def test_a_burst_is_claimed_in_order_without_oversell(tmp_path: Path, db_url: str) -> None:
    settings = parse_settings({"show": {"id": "burst", "featured": "201"}})
    async with sandbox_store(settings, products=_catalog(20)) as store:
        core = build_core(settings, store.access, database_url=db_url)
        core.sync()
        platforms = ("twitch", "youtube", "facebook")
        burst = [_buy(n, platforms[n % 3]) for n in range(120)]
        burst.insert(30, _buy(999, "twitch", "!cancel"))  # breaks the run of buys
        core.records.take_messages([e.event for e in burst])  # type: ignore[misc]
        with core.records.batch():
            results = core.handler.handle_many(burst)
        claims = core.records.claims(show_id="burst")
        core.close()
    assert not [r for r in results if isinstance(r, Exception)]
    held = [c for c in claims if c.status == "held"]
    assert len(held) == 20  # exactly the stock, never more
    assert [c.message_id for c in held] == [
        f"{('twitch', 'youtube', 'facebook')[n % 3]}-{n}" for n in range(20)
    ]
    waitlisted = [c for c in claims if c.status == "waitlisted"]
    assert len(waitlisted) + len(held) + sum(c.status == "sold_out" for c in claims) == 120
    # every buyer got exactly one claim reply
    replies = [r for r in results if not isinstance(r, Exception)]
    assert sum(1 for r in replies if r) >= 120
