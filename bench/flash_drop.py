"""Flash-drop benchmark: N viewers on three emulated platforms claim K units within seconds.

    python -m bench.flash_drop [--viewers 3000] [--units 100] [--seconds 1.5] [--postgres]
                               [--platforms youtube,facebook,twitch]
                               [--fairness-horizon-ms MS] [--same-process]
                               [--youtube-poll-ms 500] [--facebook-burst-backfill-ms 500]
                               [--webhook-stock-changes]

Runs the real app (connectors, pipeline, holds, links, outboxes) in this process against
the YouTube, Facebook and Twitch emulators, which run in a child process (as real platforms
are other machines; ``--same-process`` puts them in this one), and the Shopify emulator, on
127.0.0.1. Prints: claims per second (the app's capacity: messages per second of handling
time; and end to end), message -> outcome latency (p50/p99: in the app, from the connector
handing the message over, including any wait at the fairness gate; and end to end, from the
viewer typing it), the fairness gate's waits, holds granted (must equal K), oversell (must
be 0), fairness (the holds go to the first K claims by platform timestamp), outbound
messages per platform, limit violations (must be 0) and buyers served per outbound message.

``--webhook-stock-changes``: during the drop the merchant changes the stock in Shopify admin
(a count taken down, two changes in one second, a price edit, restocks), and each change
reaches the app only as the store's signed webhook in today's shape (``inventory_levels/update``
with a whole-second stamp, ``products/update`` without ``inventory_management``). The checker
replays the store's figures against the holds: a hold granted while the holds outnumbered
every figure the app could have known (the store's figure since the last change the app had
applied, or any newer one it may have seen) is an oversell (must be 0). Holds the merchant's
own decrements left above the store's stock are counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from connectors.base import Connector
from connectors.events import ChatMessage, Reply
from connectors.status import Status
from sandbox.show.demo import sandbox_settings
from sandbox.show.demo_platforms import DEMO_PRODUCTS, _ready
from sandbox.show.platforms import sandbox_platforms
from sandbox.show.remote import Line, RemotePlatforms, play_lines, remote_platforms
from sandbox.show.store import sandbox_store
from shop_sync.models import Hold
from shopstream.core import Core, build_core
from shopstream.runtime.show import ShowRunner
from shopstream.runtime.supervisor import Envelope
from shopstream.settings import parse_settings
from shopstream.storage.models import Claim

DROP_HANDLE = "glow-serum"  # one variant, live code 201


def _catalog(units: int) -> list[dict[str, Any]]:
    products = json.loads(DEMO_PRODUCTS.read_text(encoding="utf-8"))["products"]
    for product in products:
        if product["handle"] == DROP_HANDLE:
            for variant in product["variants"]:
                variant["inventory_quantity"] = units
    return list(products)


def _pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _lines(viewers: int, seconds: float, names: Sequence[str]) -> list[Line]:
    rng = random.Random(1)
    texts = ["sold 201", "SOLD 201", "!buy 201", "sold 201 x1", "mine"]
    lines: list[Line] = []
    for n in range(viewers):
        platform = names[n % len(names)]
        text = rng.choice(texts)
        lines.append((platform, text, f"{platform}-v{n}", f"v{n}", seconds * n / viewers))
    return lines


def _drop_variant(products: Sequence[dict[str, Any]]) -> str:
    product = next(p for p in products if p["handle"] == DROP_HANDLE)
    return str(product["variants"][0]["id"])


@dataclass(frozen=True, slots=True)
class StockChange:
    """One merchant change: when the store changed, when the app had applied its webhook."""

    what: str
    available: int
    changed_at: datetime
    known_at: datetime


def _merchant_plan(units: int) -> list[tuple[float, str, int]]:
    """(fraction of the drop, action, figure): what the merchant does in Shopify admin."""
    return [
        (0.05, "price", 0),  # products/update without inventory_management, as claims come in
        (0.40, "set", units * 8 // 10),  # counted the shelf: 20% fewer
        (0.65, "set", units * 9 // 10),  # two edits in the same second (whole-second stamps)
        (0.65, "set", units * 85 // 100),
        (0.80, "set", units * 125 // 100),  # a restock
        (0.90, "set", units * 120 // 100),  # five sold at the pop-up till
        (0.95, "set", units * 130 // 100),  # another restock
    ]


def _merchant(
    emulator: Any, receiver: Any, variant_id: str, units: int, seconds: float, t0: float
) -> list[StockChange]:
    """Make the planned changes (in a worker thread); each is known once its webhook applied."""
    changes = [StockChange("start", units, datetime.now(UTC), datetime.now(UTC))]
    base = receiver.applied
    for n, (fraction, action, figure) in enumerate(_merchant_plan(units), 1):
        pause = t0 + fraction * seconds - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        changed_at = datetime.now(UTC)
        if action == "set":
            emulator.set_available(variant_id, figure)
        else:
            price = str(emulator.store.variants[variant_id]["price"])
            emulator.update_variant(variant_id, price=price)  # same price: stock must hold
            figure = emulator.store.available(variant_id)
        if not receiver.wait_applied(base + n, timeout=30):
            raise RuntimeError(f"the app did not apply stock change {n}")
        changes.append(StockChange(action, figure, changed_at, datetime.now(UTC)))
    return changes


def stock_check(holds: Sequence[Hold], changes: Sequence[StockChange]) -> dict[str, Any]:
    """Replay the holds against the store's figures (see the module docstring)."""
    oversold = 0
    worst = 0
    held = 0

    def created(h: Hold) -> datetime:  # SQLite hands the UTC stamp back naive
        t = h.created_at or datetime.now(UTC)
        return t if t.tzinfo is not None else t.replace(tzinfo=UTC)

    for hold in sorted(holds, key=created):
        t = created(hold)
        held += hold.quantity
        known = [c for c in changes if c.known_at <= t]
        base = known[-1] if known else changes[0]
        seen = [c.available for c in changes if c.changed_at <= t and c.known_at > base.known_at]
        allowed = max([base.available, *seen])
        if held > allowed:
            oversold += 1
            worst = max(worst, held - allowed)
    final = changes[-1].available
    return {
        "stock_changes_by_webhook": len(changes) - 1,
        "stock_final_available": final,
        "oversell": oversold,
        "oversell_max_units": worst,
        "held_beyond_final_stock": max(0, held - final),
        "webhook_apply_ms_max": round(
            max((c.known_at - c.changed_at).total_seconds() * 1000 for c in changes[1:]), 1
        ),
        "stock_changes": ", ".join(
            f"{c.what} {c.available} @{(c.changed_at - changes[0].changed_at).total_seconds():.2f}s"
            f" (+{(c.known_at - c.changed_at).total_seconds() * 1000:.0f} ms)"
            for c in changes[1:]
        ),
    }


@contextlib.asynccontextmanager
async def _platforms(
    names: Sequence[str], same_process: bool, youtube_poll_ms: int
) -> AsyncIterator[Any]:
    if same_process:
        async with sandbox_platforms(names, youtube_poll_ms=youtube_poll_ms) as local:
            yield local
    else:
        async with remote_platforms(names, youtube_poll_ms=youtube_poll_ms) as remote:
            yield remote


async def _listening(platforms: Any, connectors: Sequence[Connector]) -> None:
    if isinstance(platforms, RemotePlatforms):
        async with asyncio.timeout(20):
            while not all(c.health.status is Status.OK for c in connectors):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        await platforms.listening()
    else:
        await _ready(platforms, connectors)


async def run(
    viewers: int,
    units: int,
    seconds: float,
    database_url: str,
    drain: float = 20.0,
    names: Sequence[str] = ("youtube", "facebook", "twitch"),
    *,
    same_process: bool = False,
    fairness_horizon_ms: int | None = None,
    youtube_poll_ms: int | None = None,
    facebook_burst_backfill_ms: int | None = None,
    youtube_transport: str = "stream",
    show_minutes: float | None = None,
    webhook_stock_changes: bool = False,
    watch: Callable[[ShowRunner], contextlib.AbstractAsyncContextManager[Any]] | None = None,
) -> dict[str, Any]:
    """Run one flash drop and return its figures; ``watch`` (``bench.dashboard_bench``) is
    entered once the show listens and left once every claim was handled, before it ends."""
    raw: dict[str, Any] = {"show": {"id": "flash", "featured": "201"}}
    raw["app"] = {"log_level": "WARNING"}
    connectors: dict[str, Any] = {"youtube": {"transport": youtube_transport}}
    if youtube_poll_ms is not None:  # the server's interval, and the connector's own floor
        connectors["youtube"]["quota"] = {"min_interval_seconds": youtube_poll_ms / 1000}
    if facebook_burst_backfill_ms is not None:
        burst = facebook_burst_backfill_ms / 1000
        connectors["facebook"] = {"burst_backfill_seconds": burst}
    if connectors:
        raw["connectors"] = connectors
    settings = sandbox_settings(parse_settings(raw))
    handled: dict[tuple[str, str], float] = {}
    in_app: list[float] = []
    in_app_by: dict[tuple[str, str], float] = {}
    order_at: dict[tuple[str, str], datetime] = {}  # the platform time buyers are ordered by
    handling: list[float] = []  # from the gate letting it through (or arrival, gate off)

    def on_event(envelope: Envelope, replies: Sequence[Reply]) -> None:
        event = envelope.event
        if isinstance(event, ChatMessage):
            now = time.perf_counter()
            handled[(event.platform, event.message_id)] = now
            in_app.append(now - envelope.received)
            in_app_by[(event.platform, event.message_id)] = now - envelope.received
            order_at[(event.platform, event.message_id)] = event.order_time
            handling.append(now - (envelope.released or envelope.received))

    products = _catalog(units)
    async with (
        sandbox_store(settings, products=products) as store,
        _platforms(names, same_process, youtube_poll_ms or 500) as platforms,
    ):
        core: Core = await asyncio.to_thread(
            build_core, settings, store.access, database_url=database_url
        )
        await asyncio.to_thread(core.sync)
        # the quota plan of a real show: the show's planned length unless --show-minutes
        minutes = show_minutes or settings.show.planned_minutes
        connectors = platforms.connectors(settings, core.records, planned_minutes=minutes)
        classify = core.handler.needs_order  # parses ahead on the event loop: time it too
        classifying = [0.0]

        def timed_needs_order(envelope: Envelope) -> bool:
            started = time.perf_counter()
            try:
                return classify(envelope)
            finally:
                classifying[0] += time.perf_counter() - started

        core.handler.needs_order = timed_needs_order  # type: ignore[method-assign]
        runner = ShowRunner(
            core,
            connectors,
            on_event=on_event,
            on_web_ready=store.deliver_webhooks_to,
            drain_timeout=drain,
            fairness_horizon=None if fairness_horizon_ms is None else fairness_horizon_ms / 1000,
        )
        releases = _count_releases(runner)
        show = asyncio.create_task(runner.run())
        await _listening(platforms, connectors)
        watching = contextlib.AsyncExitStack()
        if watch is not None:
            await watching.enter_async_context(watch(runner))
        t0 = time.perf_counter()
        lags: dict[str, list[float]] = {}
        sampler = asyncio.create_task(_proof_lags(connectors, lags))
        merchant = (
            asyncio.create_task(
                asyncio.to_thread(
                    _merchant,
                    store.emulator,
                    core.receiver,
                    _drop_variant(products),
                    units,
                    seconds,
                    t0,
                )
            )
            if webhook_stock_changes
            else None
        )
        if isinstance(platforms, RemotePlatforms):
            played = await platforms.play(_lines(viewers, seconds, names))
        else:
            played = await play_lines(platforms, _lines(viewers, seconds, names))
        sent_at = {(platform, mid): at for platform, mid, at in played}
        inject_done = time.perf_counter()
        deadline = time.perf_counter() + 60
        while len(handled) < viewers and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        last = max(handled.values()) if handled else time.perf_counter()
        await watching.aclose()  # the watchers leave while the show still runs
        changes = await merchant if merchant is not None else None
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        runner.stop()
        result = await show
        metrics = _metrics(core, units, sent_at, order_at, handled, in_app, result, runner)
        if changes is not None:
            with Session(core.engine) as session:
                drop_holds = session.exec(
                    select(Hold).where(
                        Hold.product_handle == DROP_HANDLE,
                        Hold.status.in_(("active", "converted")),  # type: ignore[attr-defined]
                    )
                ).all()
            metrics.update(stock_check(drop_holds, changes))
        metrics.update(_latency_breakdown(core, in_app_by))
        youtube = settings.connectors.youtube
        floor = youtube.quota.min_interval_seconds if youtube else 1.0
        metrics["youtube_poll_ms"] = max(youtube_poll_ms or 500, round(1000 * floor))
        metrics["youtube_transport"] = youtube_transport
        metrics["youtube_plan_minutes"] = minutes
        for made in connectors:
            if made.platform == "youtube":
                metrics["youtube_transport_live"] = getattr(made, "transport", "?")
                metrics["youtube_read_interval_s"] = made.quota.read_interval()
        metrics["emulators"] = "same process" if same_process else "separate process"
        metrics["handling_latency_ms_p50"] = round(1000 * _pct(handling, 0.50), 1)
        metrics["handling_latency_ms_p99"] = round(1000 * _pct(handling, 0.99), 1)
        gate = runner.pipeline.gate
        metrics["fairness_horizon_ms"] = 0 if gate is None else round(1000 * gate.horizon)
        waits = runner.pipeline.stats.gate_wait_seconds
        metrics["gate_wait_ms_p50"] = round(1000 * _pct(waits, 0.50), 1) if waits else 0.0
        metrics["gate_wait_ms_p99"] = round(1000 * _pct(waits, 0.99), 1) if waits else 0.0
        for platform, by in sorted(runner.pipeline.stats.gate_wait_by_platform.items()):
            metrics[f"gate_wait_ms_{platform}"] = (
                f"p50 {1000 * _pct(by, 0.50):.1f}, p99 {1000 * _pct(by, 0.99):.1f}"
            )
        metrics["proof_interval_s"] = {
            c.platform: getattr(c, "proof_interval", None) for c in connectors
        }
        for platform, values in sorted(lags.items()):  # how far behind each proof ran
            metrics[f"proof_lag_ms_{platform}"] = (
                f"p50 {1000 * _pct(values, 0.50):.0f}, p99 {1000 * _pct(values, 0.99):.0f}"
            )
        metrics["released_by_horizon"] = runner.pipeline.stats.gate_expired
        # claims let through together are decided one after another: the largest release,
        # times the time a claim takes, bounds the handling p99 from below
        metrics["gate_release_largest"] = max(releases, default=0)
        metrics["gate_releases_of_100_or_more"] = sum(1 for n in releases if n >= 100)
        metrics["inject_seconds"] = round(inject_done - t0, 3)
        metrics["claims_per_second_end_to_end"] = round(len(handled) / max(1e-9, last - t0), 1)
        busy = runner.pipeline.stats.busy_seconds + classifying[0]
        metrics["claims_per_second_app_capacity"] = round(len(handled) / max(1e-9, busy), 1)
        core.close()
    return metrics


async def _proof_lags(connectors: Sequence[Connector], lags: dict[str, list[float]]) -> None:
    """Sample, every 10 ms during the drop, how far each connector's delivery watermark runs
    behind the clock (what the fairness gate makes the other platforms wait for it)."""
    while True:
        now = datetime.now(UTC)
        for made in connectors:
            health = getattr(made, "health", None)
            mark = health.watermark() if health is not None else None
            if mark is not None:
                lags.setdefault(made.platform, []).append((now - mark).total_seconds())
        await asyncio.sleep(0.01)


def _count_releases(runner: ShowRunner) -> list[int]:
    """The size of each non-empty release of the fairness gate, as the show goes."""
    sizes: list[int] = []
    gate = runner.pipeline.gate
    if gate is None:
        return sizes
    release = gate.release

    def counted() -> list[Any]:
        out = release()
        if out:
            sizes.append(len(out))
        return out

    gate.release = counted  # type: ignore[method-assign]
    return sizes


def _metrics(
    core: Core,
    units: int,
    sent_at: dict[tuple[str, str], float],
    order_at: dict[tuple[str, str], datetime],
    handled: dict[tuple[str, str], float],
    in_app: list[float],
    result: Any,
    runner: ShowRunner,
) -> dict[str, Any]:
    with Session(core.engine) as session:
        holds = session.exec(select(Hold).where(Hold.product_handle == DROP_HANDLE)).all()
        claims = session.exec(select(Claim).where(Claim.product == DROP_HANDLE)).all()
    granted = sum(h.quantity for h in holds if h.status in ("active", "converted"))
    winners = {h.claim_key for h in holds}

    def platform_time(c: Claim) -> datetime:  # order_time: whole seconds count at their middle
        return order_at.get((c.platform, c.message_id), c.sent_at)

    ordered = sorted(claims, key=lambda c: (platform_time(c), c.id or 0))
    first_k = {c.claim_key for c in ordered[: len(winners)]}
    # the same by when the viewers really typed: Facebook's created_time counts whole
    # seconds, so this shows what the platforms' clocks decide
    typed = sorted(
        (c for c in claims if (c.platform, c.message_id) in sent_at),
        key=lambda c: sent_at[(c.platform, c.message_id)],
    )
    first_typed = {c.claim_key for c in typed[: len(winners)]}
    winners_by_platform = Counter(c.platform for c in claims if c.claim_key in winners)
    # a loser strictly earlier (platform timestamp) than a winner is unfair
    latest_win = max((platform_time(c) for c in claims if c.claim_key in winners), default=None)
    unfair = [
        c
        for c in claims
        if c.claim_key not in winners and latest_win is not None and platform_time(c) < latest_win
    ]
    end_to_end = [handled[k] - sent_at[k] for k in handled if k in sent_at]
    outbound = {name: ob.stats.sent_messages for name, ob in runner.outboxes.items()}
    buyers_served = sum(ob.stats.sent_replies for ob in runner.outboxes.values())
    return {
        "viewers": len(sent_at),
        "claims_recorded": len(claims),
        "claim_outcomes": dict(Counter(c.status for c in claims)),
        "units": units,
        "holds_granted": granted,
        "oversell": max(0, granted - units),
        "fair_holds_pct": round(100 * len(winners & first_k) / max(1, len(winners)), 1),
        "fair_holds_by_typing_pct": round(
            100 * len(winners & first_typed) / max(1, len(winners)), 1
        ),
        "winners_by_platform": dict(winners_by_platform),
        "losers_earlier_than_a_winner": len(unfair),
        "in_app_latency_ms_p50": round(1000 * _pct(in_app, 0.50), 1),
        "in_app_latency_ms_p99": round(1000 * _pct(in_app, 0.99), 1),
        "end_to_end_latency_ms_p50": round(1000 * _pct(end_to_end, 0.50), 1),
        "end_to_end_latency_ms_p99": round(1000 * _pct(end_to_end, 0.99), 1),
        "outbound_messages": outbound,
        "limit_violations": sum(len(v) for v in result.violations.values()),
        "replies_still_paced_at_end": result.unsent,
        "buyer_replies_per_outbound_message": round(
            buyers_served / max(1, sum(outbound.values())), 2
        ),
        "mean_in_app_ms": round(1000 * statistics.fmean(in_app), 2) if in_app else None,
    }


def _latency_breakdown(core: Core, in_app: dict[tuple[str, str], float]) -> dict[str, Any]:
    """In-app p50/p99 per platform the message came from, and for winners and losers apart:
    what the fairness gate costs depends on how far behind the other platforms deliver."""
    with Session(core.engine) as session:
        holds = session.exec(select(Hold.claim_key).where(Hold.product_handle == DROP_HANDLE))
        winners = set(holds.all())
        claims = session.exec(select(Claim.platform, Claim.message_id, Claim.claim_key)).all()
    groups: dict[str, list[float]] = {}
    for platform, message_id, claim_key in claims:
        latency = in_app.get((platform, message_id))
        if latency is None:
            continue
        groups.setdefault(f"from {platform}", []).append(latency)
        groups.setdefault("winners" if claim_key in winners else "losers", []).append(latency)
    return {
        f"in_app_ms_{name.replace(' ', '_')}": (
            f"p50 {1000 * _pct(values, 0.5):.1f}, p99 {1000 * _pct(values, 0.99):.1f}"
        )
        for name, values in sorted(groups.items())
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=3000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--postgres", action="store_true", help="use the local PostgreSQL")
    parser.add_argument(
        "--platforms", default="youtube,facebook,twitch", help="comma-separated platforms"
    )
    parser.add_argument(
        "--same-process",
        action="store_true",
        help="run the emulators in the app's process (they then compete with it for the GIL)",
    )
    parser.add_argument(
        "--fairness-horizon-ms",
        type=int,
        default=None,
        help="how long a claim may wait for slower platforms (default: the show setting; 0 = off)",
    )
    parser.add_argument(
        "--youtube-poll-ms",
        type=int,
        default=None,
        help="YouTube's pollingIntervalMillis and the connector's own floor (default: 500 and"
        " the 1 s floor of the settings; real streams: about 1,500-10,000)",
    )
    parser.add_argument(
        "--facebook-burst-backfill-ms",
        type=int,
        default=None,
        help="Facebook's backfill interval while its stream is capped (default: the setting)",
    )
    parser.add_argument(
        "--youtube-transport",
        choices=("stream", "poll"),
        default="stream",
        help="read YouTube by streamList (default) or by the polling fallback",
    )
    parser.add_argument(
        "--show-minutes",
        type=float,
        default=None,
        help="the show length YouTube's quota is planned for (default: show.planned_minutes)",
    )
    parser.add_argument(
        "--webhook-stock-changes",
        action="store_true",
        help="the merchant changes the stock during the drop; the app learns it by webhooks",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.postgres:
        import psycopg

        schema = f"bench_{int(time.time())}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'flash.db'}"
    names = tuple(p.strip() for p in args.platforms.split(",") if p.strip())
    metrics = asyncio.run(
        run(
            args.viewers,
            args.units,
            args.seconds,
            url,
            names=names,
            same_process=args.same_process,
            fairness_horizon_ms=args.fairness_horizon_ms,
            youtube_poll_ms=args.youtube_poll_ms,
            facebook_burst_backfill_ms=args.facebook_burst_backfill_ms,
            youtube_transport=args.youtube_transport,
            show_minutes=args.show_minutes,
            webhook_stock_changes=args.webhook_stock_changes,
        )
    )
    for key, value in metrics.items():
        print(f"{key:38} {value}")


if __name__ == "__main__":
    main()
