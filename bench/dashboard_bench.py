"""Dashboard benchmark: a 2,000 claims/s flash drop with the dashboard and the overlay open.

    python -m bench.dashboard_bench [--viewers 3000] [--seconds 1.5] [--units 100]
                                    [--rounds 3] [--postgres]

Runs ``bench.flash_drop``'s drop (the real app against the emulated platforms; 3,000 viewers
in 1.5 s is 2,000 claims/s) twice per round in this one process: once with nobody watching,
once with the host's dashboard and the OBS overlay open in headless Chromium (Debian's, as the
browser tests use it) and subscribed to their Server-Sent Events. Prints:

- feed latency: for every claim the dashboard's feed showed, the time its row first appeared
  in the page (``Date.now()`` in a MutationObserver) less the time its outcome was published
  (the pipeline's hand-over to the hub, on the same machine's clock): p50, p99, max; and how
  many claims the feed showed (a batch lists at most 200 claims: the rest are counted as
  "too fast to list", by design);
- claim handling p50/p99 (``handling_latency_ms`` of ``bench.flash_drop``) without and with
  the dashboard open;
- the dashboard's first paint (``first-contentful-paint`` of the Performance API) and the
  overlay's.

Targets (issue 20): feed p99 <= 500 ms; handling p99 no worse with the dashboard open; first
paint < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

from bench import flash_drop
from shopstream.dashboard.live import ClaimSeen, Fact
from shopstream.runtime.show import ShowRunner

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # as tests/browser/conftest.py: a closed network, no background traffic
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# first time each feed row (its claim) was put on the page, by the page's own clock
SEEN_SCRIPT = """
window.__seen = {};
new MutationObserver((changes) => {
  const now = Date.now();
  for (const change of changes) {
    for (const node of change.addedNodes) {
      const claim = node.dataset && node.dataset.claim;
      if (claim && !(claim in window.__seen)) window.__seen[claim] = now;
    }
  }
}).observe(document, { childList: true, subtree: true });
"""
FCP = """() => new Promise((done) => {
  const found = () => performance.getEntriesByName('first-contentful-paint')[0];
  if (found()) return done(found().startTime);
  new PerformanceObserver(() => found() && done(found().startTime))
    .observe({ type: 'paint', buffered: true });
})"""


def _pct(values: list[float], q: float) -> float:
    return flash_drop._pct(values, q)  # the drop's own percentile rule


@dataclass
class Watch:
    """Chromium with the dashboard and the overlay open on one show; what it saw."""

    outcomes: dict[str, float] = field(default_factory=dict)  # claim -> epoch ms published
    seen: dict[str, float] = field(default_factory=dict)  # claim -> epoch ms on the page
    first_paint_ms: float | None = None
    overlay_paint_ms: float | None = None
    missed_note: str = ""

    @contextlib.asynccontextmanager
    async def attach(self, runner: ShowRunner) -> AsyncIterator[None]:
        """Open both pages before the drop; collect what the feed showed after it."""
        publish = runner.hub.publish

        def stamped(fact: Fact) -> None:  # the outcome's time, as the hub receives it
            if isinstance(fact, ClaimSeen):
                self.outcomes[fact.claim] = time.time() * 1000
            publish(fact)

        runner.hub.publish = stamped  # type: ignore[method-assign]
        base = runner.result.web_url
        async with async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                context = await browser.new_context(viewport={"width": 1440, "height": 900})
                dashboard = await context.new_page()
                await dashboard.add_init_script(SEEN_SCRIPT)
                await dashboard.goto(base + runner.access.login_link())
                await dashboard.wait_for_function(
                    "document.getElementById('live').textContent === 'live'"
                )
                self.first_paint_ms = float(await dashboard.evaluate(FCP))
                overlay = await context.new_page()
                await overlay.set_viewport_size({"width": 1920, "height": 1080})
                await overlay.goto(base + runner.access.overlay_path())
                self.overlay_paint_ms = float(await overlay.evaluate(FCP))
                yield
                await self._settle(dashboard)
                self.seen = dict(await dashboard.evaluate("window.__seen"))
                self.missed_note = str(await dashboard.text_content("#missed") or "")
            finally:
                await browser.close()
                runner.hub.publish = publish  # type: ignore[method-assign]

    async def _settle(self, page: Page) -> None:
        """Wait until the last claim published has reached the page (at most 5 s)."""
        if not self.outcomes:
            return
        last = max(self.outcomes, key=self.outcomes.__getitem__)
        with contextlib.suppress(Exception):
            await page.wait_for_function(f"{last!r} in window.__seen", timeout=5000)

    def figures(self) -> dict[str, Any]:
        lags = [self.seen[c] - at for c, at in self.outcomes.items() if c in self.seen]
        return {
            "feed_latency_ms_p50": round(_pct(lags, 0.50), 1),
            "feed_latency_ms_p99": round(_pct(lags, 0.99), 1),
            "feed_latency_ms_max": round(max(lags), 1) if lags else float("nan"),
            "feed_claims_shown": f"{len(lags)} of {len(self.outcomes)} {self.missed_note}".strip(),
            "dashboard_first_paint_ms": round(self.first_paint_ms or float("nan"), 1),
            "overlay_first_paint_ms": round(self.overlay_paint_ms or float("nan"), 1),
        }


def _database(postgres: bool, name: str) -> str:
    if postgres:
        import psycopg

        schema = f"bench_dash_{name}_{int(time.time())}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    return f"sqlite:///{Path(tempfile.mkdtemp()) / f'{name}.db'}"


async def bench(viewers: int, units: int, seconds: float, rounds: int, postgres: bool) -> None:
    """Run the rounds (each a drop without and one with the pages open, in alternating order,
    so that neither always runs first) and print every figure."""
    without: list[float] = []
    with_open: list[float] = []
    feed: list[float] = []
    for n in range(rounds):
        watch = Watch()
        runs: dict[str, dict[str, Any]] = {}
        for kind in ("plain", "watched") if n % 2 == 0 else ("watched", "plain"):
            runs[kind] = await flash_drop.run(
                viewers,
                units,
                seconds,
                _database(postgres, f"{kind}{n}"),
                watch=watch.attach if kind == "watched" else None,
            )
        plain, watched = runs["plain"], runs["watched"]
        without.append(plain["handling_latency_ms_p99"])
        with_open.append(watched["handling_latency_ms_p99"])
        figures = watch.figures()
        feed.append(figures["feed_latency_ms_p99"])
        print(f"--- round {n + 1} of {rounds} ({' then '.join(runs)})")
        print(f"{'claims offered per second':38} {viewers / seconds:,.0f}")
        for key, value in figures.items():
            print(f"{key:38} {value}")
        for label, metrics in (("without dashboard", plain), ("with dashboard", watched)):
            print(
                f"{'handling_latency_ms ' + label:38} p50 {metrics['handling_latency_ms_p50']}, "
                f"p99 {metrics['handling_latency_ms_p99']} "
                f"(end to end p99 {metrics['end_to_end_latency_ms_p99']}, "
                f"oversell {metrics['oversell']}, holds {metrics['holds_granted']})"
            )
    if rounds > 1:
        print("--- every round")
        print(f"{'feed p99 (ms)':38} {feed}, median {statistics.median(feed)}")
        print(f"{'handling p99 without (ms)':38} {without}, median {statistics.median(without)}")
        print(f"{'handling p99 with (ms)':38} {with_open}, median {statistics.median(with_open)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=3000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--rounds", type=int, default=3, help="without/with pairs to run")
    parser.add_argument("--postgres", action="store_true", help="use the local PostgreSQL")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(bench(args.viewers, args.units, args.seconds, args.rounds, args.postgres))


if __name__ == "__main__":
    main()
