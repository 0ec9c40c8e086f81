"""Webhook latency: signed ``inventory_levels/update`` deliveries from the emulator to the app's
webhook route (HTTP answer) and the apply step (mirror + stock row) on a 5,000-variant mirror.

Run: ``python -m bench.webhook_bench [--webhooks 2000] [--variants 5000] [--db URL]``.
Target: apply p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from fastapi import FastAPI
from sqlmodel import SQLModel

import shop_sync.models  # noqa: F401
from sandbox.shopify import SANDBOX_TOKEN, SANDBOX_WEBHOOK_SECRET, ShopifyEmulator
from sandbox.shopify.serve import ServedApp
from shop_sync.client import ShopifyClient
from shop_sync.config import HoldConfig, ShopConfig
from shop_sync.dedupe import DbDedupe
from shop_sync.holds import HoldBook
from shop_sync.mirror import Mirror
from shop_sync.reconcile import Reconciler
from shop_sync.tokens import StaticToken
from shop_sync.webhooks import WebhookReceiver, webhook_router
from shopstream.storage import make_engine


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


class TimedReceiver(WebhookReceiver):
    """Records how long each apply takes."""

    apply_times: list[float]

    def apply_event(self, event_id: int) -> None:
        t0 = time.perf_counter()
        super().apply_event(event_id)
        self.apply_times.append(time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--variants", type=int, default=5000)
    parser.add_argument("--db", default="", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'webhooks.db'}")
        SQLModel.metadata.create_all(engine)
        holds = HoldBook(engine, clock=lambda: datetime.now(UTC), config=HoldConfig())
        with ShopifyEmulator(variants=args.variants) as emu:
            config = ShopConfig(admin_base_url=emu.base_url, bulk_poll_seconds=0.2)
            mirror = Mirror(engine, config)
            client = ShopifyClient(
                config, session=requests.Session(), tokens=StaticToken(SANDBOX_TOKEN)
            )
            Reconciler(client, mirror, config, holds=holds).full_sync()
            receiver = TimedReceiver(
                engine=engine,
                mirror=mirror,
                holds=holds,
                secret=SANDBOX_WEBHOOK_SECRET,
                shop=emu.shop,
                dedupe=DbDedupe(engine),
            )
            receiver.apply_times = []
            app = FastAPI()
            app.include_router(webhook_router(receiver))
            with ServedApp(app) as served:
                emu.webhooks.target = served.url + "/webhooks/shopify"
                ids = emu.store.ordered_variant_ids()
                answer: list[float] = []
                e2e: list[float] = []
                t_all = time.perf_counter()
                for n in range(args.webhooks):  # one at a time, as Shopify delivers them
                    t0 = time.perf_counter()
                    emu.set_available(ids[(n * 7919) % len(ids)], n % 13)
                    answer.append(time.perf_counter() - t0)
                    receiver.wait_applied(n + 1, timeout=30)
                    e2e.append(time.perf_counter() - t0)
                total = time.perf_counter() - t_all
            holds.close()
        engine.dispose()
    applied = receiver.apply_times
    print(f"{args.webhooks} inventory_levels/update on {args.variants} variants: {total:.1f} s")
    print(
        f"HTTP answer (sign, POST, verify, dedupe, record): p50 {_pct(answer, 0.5):.1f} ms"
        f"  p99 {_pct(answer, 0.99):.1f} ms"
    )
    print(
        f"apply (mirror level, stock row, waitlist check):  p50 {_pct(applied, 0.5):.1f} ms"
        f"  p99 {_pct(applied, 0.99):.1f} ms  mean {statistics.mean(applied) * 1000:.1f} ms"
        "   target p99 < 20 ms"
    )
    print(
        f"delivery to applied (end to end):                 p50 {_pct(e2e, 0.5):.1f} ms"
        f"  p99 {_pct(e2e, 0.99):.1f} ms"
    )


if __name__ == "__main__":
    main()
