"""Claims per second in one process (atomic check-and-reserve, one transaction per claim).

Run: ``python -m bench.claims_bench [--claims 10000] [--batch 50] [--pg URL]``.
Targets: >= 5,000 claims/s on SQLite, >= 3,000 claims/s on PostgreSQL.

Two figures per database: ``claim()`` (one transaction and one durable commit per claim) and
``claim_many()`` (a burst of claims decided in order in one transaction: one commit per burst).
On PostgreSQL with ``synchronous_commit = on`` a single claim pays one WAL flush, so its rate is
bounded by the disk's fsync time (printed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlmodel import SQLModel

import shop_sync.models  # noqa: F401
from shop_sync.config import HoldConfig
from shop_sync.hold_types import ClaimRequest
from shop_sync.holds import HoldBook
from shopstream.storage import make_engine

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
VARIANTS = 50


def run(
    url: str, claims: int, stock: int, batch: int = 0, durable: bool = True
) -> tuple[float, dict[str, int]]:
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    config = HoldConfig(waitlist_max=claims, durable_claims=durable)
    book = HoldBook(engine, clock=lambda: T0, config=config)
    for v in range(VARIANTS):
        book.set_stock(f"v{v}", stock, sku=f"SKU-{v}", product_handle=f"p{v}")
    requests = [
        ClaimRequest(
            claim_key=f"tw:{i}",
            platform="tw",
            viewer_id=f"viewer{i}",
            viewer_name=f"viewer {i}",
            variant_id=f"v{i % VARIANTS}",
            product_handle=f"p{i % VARIANTS}",
            quantity=1,
            show_id="s1",
            sent_at=T0 + timedelta(microseconds=i),
        )
        for i in range(claims)
    ]
    kinds: dict[str, int] = {}
    t0 = time.perf_counter()
    if batch:
        outcomes = []
        for i in range(0, len(requests), batch):
            outcomes += book.claim_many(requests[i : i + batch])
    else:
        outcomes = [book.claim(req) for req in requests]
    elapsed = time.perf_counter() - t0
    for o in outcomes:
        kinds[o.kind] = kinds.get(o.kind, 0) + 1
    book.close()
    engine.dispose()
    return claims / elapsed, kinds


def _commit_us(plain: str, schema: str) -> float:
    with psycopg.connect(plain) as conn:
        conn.execute(f'CREATE TABLE "{schema}".commit_probe (a int)')
        conn.commit()
        t0 = time.perf_counter()
        for _ in range(200):
            conn.execute(f'INSERT INTO "{schema}".commit_probe VALUES (1)')
            conn.commit()
        return (time.perf_counter() - t0) / 200 * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50, help="burst size for claim_many")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    # stock for 80 % of the claims: the rest exercise the waitlist path
    stock = int(args.claims * 0.8) // VARIANTS
    with tempfile.TemporaryDirectory() as tmp:
        for batch in (0, args.batch):
            rate, kinds = run(
                f"sqlite:///{Path(tmp) / f'claims{batch}.db'}", args.claims, stock, batch
            )
            label = f"claim_many({batch})" if batch else "claim()"
            print(f"SQLite     {label:>15}: {rate:8,.0f} claims/s   {kinds}   target >= 5,000")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plain = args.pg.replace("postgresql+psycopg", "postgresql")
    try:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.Error as exc:
        print(f"PostgreSQL: skipped ({exc})")
        return
    try:
        for batch, durable in ((0, True), (args.batch, True), (0, False)):
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                conn.execute(f'CREATE SCHEMA "{schema}"')
            url = f"{args.pg}?options=-csearch_path%3D{schema}"
            rate, kinds = run(url, args.claims, stock, batch, durable)
            label = f"claim_many({batch})" if batch else "claim()"
            label += "" if durable else " async"
            print(f"PostgreSQL {label:>15}: {rate:8,.0f} claims/s   {kinds}   target >= 3,000")
        print(f"PostgreSQL commit (WAL flush) time: {_commit_us(plain, schema):.0f} us")
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()
