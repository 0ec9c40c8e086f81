"""Full sync of a 50,000-variant catalog from the Shopify emulator (bulk operation) into SQLite.

Run: ``python -m bench.sync_bench [--variants 50000] [--db URL] [--paged] [--baseline DIR]``.
Target: < 15 s. The emulator executes the client's GraphQL on Shopify's published schema
(graphql-core); ``--baseline DIR`` first runs the same benchmark from another checkout (e.g. the
main worktree, whose emulator matched substrings) in a subprocess on the same machine, so one run
reports before and after.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from sqlmodel import SQLModel

import shop_sync.models  # noqa: F401
from sandbox.shopify import SANDBOX_TOKEN, ShopifyEmulator
from shop_sync.client import ShopifyClient
from shop_sync.config import ShopConfig
from shop_sync.mirror import Mirror
from shop_sync.reconcile import Reconciler
from shop_sync.tokens import StaticToken
from shopstream.storage import make_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", type=int, default=50_000)
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--paged", action="store_true", help="pages instead of a bulk operation")
    parser.add_argument(
        "--baseline", default="", help="first run this benchmark from the checkout in DIR"
    )
    args = parser.parse_args()
    if args.baseline:
        root = str(Path(args.baseline).resolve())
        cmd = [sys.executable, "-m", "bench.sync_bench", "--variants", str(args.variants)]
        cmd += ["--paged"] if args.paged else []
        print(f"--- before: {root}")
        env = {**os.environ, "PYTHONPATH": root}
        subprocess.run(cmd, cwd=root, env=env, check=True)
        print(f"--- after: {Path(__file__).resolve().parent.parent}")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        t0 = time.perf_counter()
        # a fast restore rate (Plus plan) so the paged variant is not all waiting
        with ShopifyEmulator(variants=args.variants, restore_rate=1000.0) as emu:
            built = time.perf_counter() - t0
            config = ShopConfig(
                admin_base_url=emu.base_url,
                full_sync_method="paged" if args.paged else "bulk",
                page_size=100,
                bulk_poll_seconds=0.25,
            )
            client = ShopifyClient(
                config, session=requests.Session(), tokens=StaticToken(SANDBOX_TOKEN)
            )
            reconciler = Reconciler(client, Mirror(engine, config), config)
            first = reconciler.full_sync()
            store_wait = client.bulk_waited
            exports = list(emu.admin.bulk.values())
            again = reconciler.full_sync()
        products = len(Mirror(engine, config).catalog_products())
        engine.dispose()
    method = "paged" if args.paged else "bulk"
    print(f"catalog: {args.variants} variants, {products} products ({built:.1f} s to generate)")
    print(
        f"full sync ({method}, empty mirror):  {first.seconds:6.2f} s  ({first.variants} variants)"
    )
    print(f"  of which waiting for the emulator to build the export: {store_wait:5.2f} s")
    built_in = getattr(exports[0], "built_seconds", None) if exports else None
    if built_in is not None:
        print(f"  the emulator's export took {built_in:5.2f} s (GraphQL execution, JSONL)")
    print(f"full sync ({method}, warm mirror):   {again.seconds:6.2f} s")
    print(f"throughput: {first.variants / first.seconds:,.0f} variants/s   target: < 15 s")


if __name__ == "__main__":
    main()
