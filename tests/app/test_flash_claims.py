"""A burst of buy messages in one batch: claimed together, same outcomes as one by one."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.events import ChatMessage
from sandbox.show.store import sandbox_store
from shopstream.core import Core, build_core
from shopstream.runtime.supervisor import Envelope
from shopstream.settings import parse_settings

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


def _catalog(units: int) -> list[dict[str, Any]]:
    products = json.loads((ROOT / "sandbox/data/demo_products.json").read_text())["products"]
    for product in products:
        if product["handle"] == "glow-serum":
            product["variants"][0]["inventory_quantity"] = units
    return list(products)


@contextlib.asynccontextmanager
async def _show(show_id: str, db_url: str, units: int) -> AsyncIterator[Core]:
    """A synced core over the sandbox store, with ``units`` of the drop product (201)."""
    settings = parse_settings({"show": {"id": show_id, "featured": "201"}})
    async with sandbox_store(settings, products=_catalog(units)) as store:
        core = build_core(settings, store.access, database_url=db_url)
        core.sync()
        try:
            yield core
        finally:
            core.close()


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
    async with _show("burst", db_url, units=20) as core:
        platforms = ("twitch", "youtube", "facebook")
        burst = [_buy(n, platforms[n % 3]) for n in range(120)]
        burst.insert(30, _buy(999, "twitch", "!cancel"))  # breaks the run of buys
        core.records.take_messages([e.event for e in burst])  # type: ignore[misc]
        with core.records.batch():
            results = core.handler.handle_many(burst)
        claims = core.records.claims(show_id="burst")
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


async def test_only_what_changes_stock_or_the_show_waits_its_turn(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    """needs_order parses ahead; handling uses that intent unless the show changed since."""
    from unittest import mock

    import shopstream.handlers.chat as handlers
    from connectors.events import MessageDeleted

    async with _show("order", sqlite_db_url, units=5) as core:
        handler = core.handler
        table = [
            ("sold 201", True),
            ("!cart", True),
            ("!cancel", True),
            ("how much is it?", False),
            ("!help", False),
            ("love this stream", False),
        ]
        for n, (text, ordered) in enumerate(table):
            assert handler.needs_order(_buy(n, "twitch", text)) is ordered, text
        deletion = MessageDeleted(platform="twitch", channel="c", message_id="x", at=T0)
        assert handler.needs_order(Envelope("twitch", deletion)) is True
        buy = _buy(50, "youtube")
        handler.needs_order(buy)
        core.records.take_messages([buy.event])  # type: ignore[list-item]
        with mock.patch.object(handlers, "parse", wraps=handlers.parse) as parsing:
            with core.records.batch():
                [first] = handler.handle_many([buy])
            assert parsing.call_count == 0  # the intent parsed ahead was used
            stale = _buy(51, "youtube", "sold 101")  # parsed while 201 was featured ...
            handler.needs_order(stale)
            core.control.replace_state(replace(core.control.state, featured="101"))  # ... not now
            core.records.take_messages([stale.event])  # type: ignore[list-item]
            with core.records.batch():
                handler.handle_many([stale])
            assert parsing.call_count == 2  # once ahead, and again: the show changed since
        claims = {c.message_id: c.status for c in core.records.claims(show_id="order")}
    assert not isinstance(first, Exception) and first
    assert claims["youtube-50"] == "held"


async def test_intents_parsed_ahead_are_bounded_oldest_first(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    """A message parsed ahead and never handled (a duplicate delivery) ages out."""
    from unittest import mock

    import shopstream.handlers.chat as handlers

    async with _show("bound", sqlite_db_url, units=5) as core:
        handler = core.handler
        buys = [_buy(n, "twitch") for n in range(5)]
        with mock.patch.object(handlers, "PARSED_MAX", 3):
            for buy in buys:
                handler.needs_order(buy)
        with mock.patch.object(handlers, "parse", wraps=handlers.parse) as parsing:
            core.records.take_messages([b.event for b in buys[2:]])  # type: ignore[misc]
            with core.records.batch():
                handler.handle_many(buys[2:])
            assert parsing.call_count == 0  # the newest three were kept
            core.records.take_messages([buys[0].event])  # type: ignore[list-item]
            with core.records.batch():
                handler.handle_many(buys[:1])
            assert parsing.call_count == 1  # the oldest had gone: parsed again
