"""Several OS processes claim one variant at once: exactly the stock is held, nothing is lost."""

from __future__ import annotations

import multiprocessing as mp
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from shop_sync.config import HoldConfig
from shop_sync.hold_types import ClaimRequest
from shop_sync.holds import HoldBook
from shop_sync.models import HoldClaim, table
from shop_sync.stock import HOLDS
from shopstream.storage import make_engine

PROCS = 8
CLAIMS = 500  # per process
STOCK = 100
DUPES = 50
T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
CONFIG = HoldConfig(waitlist_max=PROCS * CLAIMS)


def _request(i: int) -> ClaimRequest:
    return ClaimRequest(
        claim_key=f"tw:{i}",
        platform="tw",
        viewer_id=f"viewer{i}",
        viewer_name=f"viewer {i}",
        variant_id="v1",
        product_handle="drop",
        quantity=1,
        show_id="s1",
        sent_at=T0 + timedelta(microseconds=i),
    )


def _worker(url: str, proc: int, claims: int, barrier: Any, results: Any) -> None:
    engine = make_engine(url)
    book = HoldBook(engine, clock=lambda: T0, config=CONFIG)
    mine = [proc + PROCS * k for k in range(claims)]  # interleaved platform timestamps
    neighbour = [(proc + 1) % PROCS + PROCS * k for k in range(DUPES)]  # another's claims again
    barrier.wait()
    counts: dict[str, int] = {}
    todo = [_request(i) for i in mine + neighbour]
    if proc % 2:  # odd processes claim one by one, even ones in bursts of 25
        outcomes = [book.claim(r) for r in todo]
    else:
        outcomes = [o for k in range(0, len(todo), 25) for o in book.claim_many(todo[k : k + 25])]
    for outcome in outcomes:
        counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
        if outcome.duplicate:
            counts["duplicate"] = counts.get("duplicate", 0) + 1
    engine.dispose()
    results.put(counts)


@pytest.mark.slow
def test_processes_never_oversell(db_url: str) -> None:
    from sqlmodel import SQLModel

    engine = make_engine(db_url)
    SQLModel.metadata.create_all(engine)
    book = HoldBook(engine, clock=lambda: T0, config=CONFIG)
    book.set_stock("v1", STOCK, sku="DROP-1", product_handle="drop")
    engine.dispose()

    claims = CLAIMS
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(PROCS)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(db_url, p, claims, barrier, results))
        for p in range(PROCS)
    ]
    for p in procs:
        p.start()
    counts = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0

    total = PROCS * claims
    held = sum(c.get("held", 0) for c in counts)
    waitlisted = sum(c.get("waitlisted", 0) for c in counts)
    dupes = sum(c.get("duplicate", 0) for c in counts)
    assert dupes >= PROCS * DUPES  # every repeat answered with the first outcome
    assert held + waitlisted == total + PROCS * DUPES

    engine = make_engine(db_url)
    with engine.connect() as conn:
        holds = conn.execute(
            select(func.count()).select_from(HOLDS).where(HOLDS.c.status == "active")
        ).scalar_one()
        claims = conn.execute(select(func.count()).select_from(table(HoldClaim))).scalar_one()
    assert holds == STOCK
    assert claims == total
    book = HoldBook(engine, clock=lambda: T0, config=CONFIG)
    assert book.free_stock("v1") == 0
    waiting = book.waitlist("v1")
    assert len(waiting) == total - STOCK
    assert [w.created_at for w in waiting] == sorted(w.created_at for w in waiting)
    # a restock of 10 serves exactly the 10 earliest-typed waiting claims
    earliest = [w.claim_key for w in waiting[:10]]
    promoted = book.set_stock("v1", STOCK + 10, sku="DROP-1", product_handle="drop")
    assert [h.claim_key for h in promoted] == earliest
    assert book.free_stock("v1") == 0
    engine.dispose()
