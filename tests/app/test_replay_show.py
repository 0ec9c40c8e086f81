"""The first vertical slice: a replayed chat log through the whole app and the store emulator."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from checkout_links.ledger import OrderLedger
from checkout_links.models import ShortLink
from connectors.base import Connector
from connectors.replay.config import ReplayConfig
from connectors.replay.connector import DEMO_LOG, ReplayConnector
from shop_sync.webhooks import EVENTS
from shopstream.core import Core
from shopstream.demo import run_sandbox_show
from shopstream.runtime.show import ShowRunner
from shopstream.sandbox_store import SandboxStore
from shopstream.settings import parse_settings
from shopstream.storage import make_engine
from shopstream.storage.migrate import upgrade
from shopstream.storage.records import Records


async def _no_wait(_: float) -> None:
    return None


def _settings(tmp_path: Path) -> Any:
    return parse_settings(
        {
            "app": {"data_dir": str(tmp_path)},
            "show": {"id": "slice", "featured": "101"},
            "web": {"port": 0},
        }
    )


async def _play(tmp_path: Path, log: Path, db_url: str) -> Any:
    settings = _settings(tmp_path)
    made: list[ReplayConnector] = []

    async def connectors(store: SandboxStore, core: Core) -> list[Connector]:
        made.append(ReplayConnector(ReplayConfig(path=log), sleep=_no_wait))
        return list(made)

    outcome = await run_sandbox_show(settings, connectors, database_url=db_url)
    return outcome, made[0]


async def test_the_demo_log_yields_holds_replies_and_one_outcome_per_message(
    tmp_path: Path, db_url: str
) -> None:
    outcome, replay = await _play(tmp_path, DEMO_LOG, db_url)
    result = outcome.result
    assert result.duplicates == 1  # line 9 re-delivers line 3
    assert outcome.skipped_lines and outcome.skipped_lines[0][0] == 16
    assert result.failures == 0
    assert result.violations == {}
    held = result.outcomes["held"]
    assert held >= 5
    assert outcome.holds.get("active", 0) == held

    engine = make_engine(db_url)
    records = Records(engine)
    claims = records.claims(show_id="slice")
    keys = [c.claim_key for c in claims]
    assert len(keys) == len(set(keys))  # exactly one claim per buy message
    by_text = {c.text: c for c in claims}
    assert by_text["!buy 101 M red"].status == "held"
    assert by_text["!buy 101 M red"].sku and by_text["!buy 101 M red"].hold_id
    assert "I sold my car lol" not in by_text and "that hoodie looks so good" not in by_text
    assert by_text["eu quero 102 M preto"].status == "cancelled"  # Joana typed !cancel
    denied = records.audit_entries("mod_denied")
    assert [e.subject for e in denied] == ["!close"]

    texts = [r.text for r in replay.sent]
    assert any("DROP: 2 x Denim Jacket" in t for t in texts), texts
    assert any(t.startswith("Cozy Hoodie: $59.00") for t in texts)
    assert any("Your cart:" in t for t in texts)
    # every link sent is a signed short link stored for a hold of the right viewer
    with Session(engine) as session:
        links = session.exec(select(ShortLink)).all()
    assert links and all(link.target_url.startswith("http://127.0.0.1:") for link in links)
    assert all("/cart/" in link.target_url for link in links)
    engine.dispose()


async def test_a_restart_replays_nothing_twice(tmp_path: Path, sqlite_db_url: str) -> None:
    log = tmp_path / "chat.jsonl"
    lines = [
        {"platform": "twitch", "author": "ann", "text": "!buy 101 S red", "offset": 0},
        {"platform": "youtube", "author": "bob", "text": "sold 201", "offset": 1},
    ]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    first, _ = await _play(tmp_path, log, sqlite_db_url)
    second, replay2 = await _play(tmp_path, log, sqlite_db_url)  # same messages delivered again
    assert first.result.outcomes["held"] == 2
    assert second.result.duplicates == 2
    assert replay2.sent == []  # no second reply
    assert second.holds == first.holds


async def test_the_show_applies_a_webhook_a_crash_left_pending(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    """An order answered 200 by an earlier run that died before applying it: the show's
    start-up applies it (Shopify does not send it again), and the dashboard row says so."""
    engine = make_engine(sqlite_db_url)
    upgrade(engine)
    order = {"id": 820982911946154508, "name": "#9999", "line_items": [], "currency": "USD"}
    with engine.begin() as conn:
        conn.execute(
            EVENTS.insert(),
            {
                "webhook_id": "w-before-the-crash",
                "topic": "orders/create",
                "body": json.dumps(order),
                "received_at": datetime.now(UTC),
                "next_attempt_at": datetime.now(UTC),
            },
        )
    seen: list[list[dict[str, str | None]]] = []

    async def watch(_store: SandboxStore, runner: ShowRunner) -> None:
        assert await asyncio.to_thread(runner.core.receiver.wait_applied, 1)
        seen.append(await asyncio.to_thread(runner.status))

    lines = [{"platform": "twitch", "author": "ann", "text": "!buy 101 S red", "offset": 0}]
    log = tmp_path / "chat.jsonl"
    log.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    made: list[ReplayConnector] = []

    async def connectors(store: SandboxStore, core: Core) -> list[Connector]:
        made.append(ReplayConnector(ReplayConfig(path=log), sleep=_no_wait))
        return list(made)

    await run_sandbox_show(
        _settings(tmp_path), connectors, database_url=sqlite_db_url, after_start=watch
    )
    assert [o.order_id for o in OrderLedger(engine).orders()] == ["820982911946154508"]
    with engine.connect() as conn:
        row = conn.execute(sa_select(EVENTS.c.applied_at, EVENTS.c.attempts)).one()
    assert row.applied_at is not None and row.attempts == 1
    webhooks = [s for s in seen[0] if s["name"] == "webhooks"]
    assert webhooks and webhooks[0]["status"] == "ok" and webhooks[0]["pending"] == "0"
    store = [s for s in seen[0] if s["name"] == "store"]  # served the pinned API version
    assert store and store[0]["status"] == "ok" and "2026-07" in str(store[0]["detail"])
    engine.dispose()
