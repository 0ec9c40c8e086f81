"""Fault drill: faults injected into a running show, counted by an independent checker.

    python -m bench.fault_drill [--faults 100] [--quick] [--rate 3] [--backends sqlite,postgresql]

A show over the three emulated platforms (YouTube, Facebook, Twitch) and the Shopify
emulator, all in this process; the bot (the real Core and ShowRunner with the production
connectors, :mod:`bench.drill.bot`) in a process of its own, on SQLite and then on a
throwaway PostgreSQL cluster this drill starts on a free port and restarts. Viewers type
buys at ``--rate`` per second, round robin over the platforms, each as a new viewer. The
faults (half per backend; ``--quick``: each kind once) are, in turn: PostgreSQL restart,
``pg_terminate_backend`` of the bot's connections, the SQLite file locked past the busy
timeout, ``kill -9`` of the bot then a restart, Twitch connections dropped, YouTube 503s,
the Facebook stream cut, a poison item on each platform, a stock webhook delivered while
the database is down, a YouTube or Facebook front-end restart, and last YouTube's
``quotaExceeded`` (it ends reading for the day). Then viewers stop, refused webhooks are
delivered again (as Shopify retries them), the bot drains and stops.

The checker (:mod:`bench.drill.checker`) compares the drill's own log of what viewers typed
with the database (read with SQL) and with what each emulated chat accepted, and prints per
fault kind and in total: claims lost, duplicate holds, duplicate replies, held claims never
told, webhooks lost, the time until status showed each fault and until the next claim was
recorded. Exit status 1 when a target of issue 15 is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.drill import faults as f
from bench.drill.checker import ClaimRow, HoldRow, Report, Typed, check, misses, table
from bench.drill.postgres import Cluster
from bench.drill.show import BUY_HANDLE, SHOW_ID
from bench.drill.world import World, world

GAP_SECONDS = 2.5  # between faults: time to recover and record a claim
DRAIN_SECONDS = 15.0


@contextlib.asynccontextmanager
async def backend(name: str, workdir: Path) -> AsyncIterator[f.Backend]:
    if name == "sqlite":
        path = workdir / "drill.db"
        busy = f.SQLITE_BUSY_SECONDS
        yield f.Backend(f"sqlite:///{path}?timeout={busy:g}", sqlite=path)
        return
    cluster = Cluster()
    await asyncio.to_thread(cluster.init)
    await asyncio.to_thread(cluster.start)
    try:
        yield f.Backend(cluster.url, cluster=cluster)
    finally:
        await asyncio.to_thread(cluster.destroy)


def schedule(db: f.Backend, count: int, quick: bool) -> list[f.Injector]:
    """``count`` faults cycling through the kinds this backend has; quotaExceeded last."""
    kinds = (f.PG_KINDS if db.cluster is not None else f.SQLITE_KINDS) + f.COMMON_KINDS
    if quick:
        count = len(kinds) + 1
    body = [kinds[n % len(kinds)] for n in range(max(0, count - 1))]
    return [*body, f.LAST]


def _epoch(value: object) -> float:
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def read_database(url: str) -> tuple[list[ClaimRow], list[HoldRow], dict[str, list[str]], set[str]]:
    """Claims, holds, short links and applied webhook ids, straight from the tables."""
    engine = create_engine(url.split("?")[0] if url.startswith("sqlite") else url)
    try:
        with engine.connect() as conn:
            claims = [
                ClaimRow(r.platform, r.message_id, r.status, _epoch(r.created_at))
                for r in conn.execute(
                    text(
                        "SELECT platform, message_id, status, created_at FROM claims"
                        " WHERE show_id = :show"
                    ),
                    {"show": SHOW_ID},
                )
            ]
            holds = [
                HoldRow(r.hold_id, r.platform, r.viewer_id, r.status, _epoch(r.created_at))
                for r in conn.execute(
                    text(
                        "SELECT hold_id, platform, viewer_id, status, created_at FROM hold_hold"
                        " WHERE product_handle = :handle"
                    ),
                    {"handle": BUY_HANDLE},
                )
            ]
            links = {
                str(r.code): [h for h in str(r.hold_ids or "").replace(";", ",").split(",") if h]
                for r in conn.execute(text("SELECT code, hold_ids FROM link_short_links"))
            }
            applied = {
                str(r.webhook_id)
                for r in conn.execute(
                    text("SELECT webhook_id FROM shop_webhook_event WHERE applied_at IS NOT NULL")
                )
            }
    finally:
        engine.dispose()
    return claims, holds, links, applied


async def _redeliver_refused(w: World) -> int:
    """What the app did not answer 2xx, Shopify sends again: so does the drill, once."""
    sender = w.store.emulator.webhooks
    answered = {d.webhook_id for d, status in sender.sent if 200 <= status < 300}
    again = {d.webhook_id: d for d, status in sender.sent if d.webhook_id not in answered}
    for delivery in again.values():
        await asyncio.to_thread(sender.post, delivery)
    return len(again)


async def drill_one(
    name: str, count: int, quick: bool, rate: float, log: logging.Logger, keep: bool = False
) -> Report:
    workdir = Path(tempfile.mkdtemp(prefix=f"drill-{name}-"))
    try:
        async with backend(name, workdir) as db, world(db.url, workdir) as w:
            await w.start_bot()
            tasks = [asyncio.create_task(w.viewers(rate)), asyncio.create_task(w.watch_status())]
            await asyncio.sleep(3)
            done = []
            plan = schedule(db, count, quick)
            for n, inject in enumerate(plan, 1):
                try:
                    fault = await inject(w, db)
                except Exception:  # a fault the drill could not inject is reported, not hidden
                    log.exception("%s: injecting %s failed", name, inject.__name__)
                    continue
                done.append(fault)
                log.info("%s: fault %d/%d %s", name, n, len(plan), fault.kind)
                await asyncio.sleep(GAP_SECONDS)
            await asyncio.sleep(5)
            w.quiet()
            await asyncio.gather(*tasks)
            again = await _redeliver_refused(w)
            log.info("%s: viewers stopped; %d refused webhooks sent again; draining", name, again)
            await asyncio.sleep(DRAIN_SECONDS)
            await w.stop_bot()
            claims, holds, links, applied = await asyncio.to_thread(read_database, db.url)
            quota_at = next((x.at for x in done if x.kind == "youtube_quota"), float("inf"))
            typed = [
                Typed(t.platform, t.message_id, t.viewer, t.at, heard=False)
                if t.platform == "youtube" and t.at >= quota_at
                else t
                for t in w.typed
            ]
            return check(
                typed=typed,
                claims=claims,
                holds=holds,
                links=links,
                sent=w.sent(),
                deliveries=w.deliveries(),
                applied=applied,
                faults=done,
                samples=w.samples,
            )
    finally:
        if keep:
            log.warning("%s: kept %s", name, workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=int, default=100, help="faults in all (half per backend)")
    parser.add_argument("--quick", action="store_true", help="each fault kind once per backend")
    parser.add_argument("--rate", type=float, default=3.0, help="buys per second, all platforms")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--keep", action="store_true", help="keep the work dirs (bot.log)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    log = logging.getLogger("fault_drill")
    log.setLevel(logging.INFO)
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    missed: list[str] = []
    per = max(1, args.faults // len(names))
    for name in names:
        report = asyncio.run(drill_one(name, per, args.quick, args.rate, log, args.keep))
        print(f"\n== {name}")
        for line in table(report):
            print(line)
        missed += [f"{name}: {m}" for m in misses(report)]
    print()
    if missed:
        print("targets missed:")
        for line in missed:
            print(f"  {line}")
        sys.exit(1)
    print("every target met")


if __name__ == "__main__":
    main()
