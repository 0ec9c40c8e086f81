"""The full demo: YouTube, Facebook and Twitch emulators, real connectors, simulated viewers."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from rich.console import Console
from sqlmodel import Session, col, select

from checkout_links.models import ShortLink
from checkout_links.report import Funnel, load_funnel
from connectors.base import Connector
from connectors.status import Status
from sandbox.show.demo import DemoOutcome, run_sandbox_show
from sandbox.show.platforms import PLATFORMS, SandboxPlatforms, sandbox_platforms
from sandbox.show.store import SandboxStore
from sandbox.viewers import Mix, script
from shopstream.core import Core
from shopstream.reports import platform_counts
from shopstream.runtime.show import ShowRunner
from shopstream.settings import Settings
from shopstream.storage import make_engine

_LOGGER = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parents[1] / "data"  # sandbox/data
DEMO_PRODUCTS = DATA / "demo_products.json"
DEMO_SHOW = DATA / "demo_show.toml"


@dataclass(frozen=True, slots=True)
class Audience:
    """Who watches: how many viewers, how many lines over how many seconds, what mix."""

    viewers: int = 60
    lines: int = 150
    seconds: float = 25.0
    mix: Mix = field(default_factory=Mix)
    checkout_share: float = 0.4  # share of held buyers who complete checkout
    seed: int = 7


async def _ready(platforms: SandboxPlatforms, connectors: Sequence[Connector]) -> None:
    """Wait until every connector listens (a viewer typing before that would not be seen)."""
    async with asyncio.timeout(20):
        emus = platforms.emulators
        if "twitch" in emus:
            await emus["twitch"].eventsub.subscribed.wait()
        if "facebook" in emus:
            await emus["facebook"].hub.wait_opened(1)
        for _ in range(400):  # YouTube offers no "listening" signal: look every 50 ms
            if all(c.health.status is Status.OK for c in connectors) and (
                "youtube" not in emus
                or emus["youtube"].calls("list") >= 1
                or emus["youtube"].streams_opened >= 1
            ):
                return
            await asyncio.sleep(0.05)


_COMPLETE = re.compile(r"""action=['"](/checkouts/(?:cn|do)/[^'"/]+/complete)['"]""")


_CHECKOUT = re.compile(r'id="checkout" href="([^"]+)"')


def _pay(short_url: str) -> bool:
    """A buyer opens their short link, taps the checkout button and pays at the (emulated)
    checkout."""
    with requests.Session() as http:
        landing = http.get(short_url, timeout=10)  # the landing page: the click is counted
        button = _CHECKOUT.search(landing.text)
        if landing.status_code != 200 or button is None:
            return False
        page = http.get(html.unescape(button.group(1)), timeout=10)
        found = _COMPLETE.search(page.text)
        if page.status_code != 200 or found is None:
            return False
        done = http.post(urljoin(page.url, found.group(1)), timeout=10)
        return done.status_code == 200


async def _checkouts(core: Core, share: float, rng: random.Random) -> int:
    """Some held buyers open their link and pay: orders come back as signed webhooks."""

    def links() -> list[str]:
        with Session(core.engine) as session:
            rows = session.exec(select(ShortLink).order_by(col(ShortLink.created_at))).all()
        return [core.shortlinks.url_for(r.code) for r in rows]

    paid = 0
    for url in await asyncio.to_thread(links):
        if rng.random() < share and await asyncio.to_thread(_pay, url):
            paid += 1
    return paid


async def run_platform_demo(
    settings: Settings,
    *,
    database_url: str,
    audience: Audience | None = None,
    products: Sequence[Mapping[str, Any]] | None = None,
    run_of_show: Path | None = DEMO_SHOW,
    console: Console | None = None,
    platforms: Sequence[str] = PLATFORMS,
    title: str = "shopstream demo",
    keep_open: bool = False,
) -> tuple[DemoOutcome, Funnel]:
    """Run a sandbox show on the three emulated platforms with simulated viewers
    (``keep_open``: once they are done, the show and its dashboard stay up until Ctrl-C)."""
    audience = audience or Audience()
    catalog = list(products) if products is not None else _demo_products()
    lines = script(
        catalog,
        viewers=audience.viewers,
        lines=audience.lines,
        seconds=audience.seconds,
        mix=audience.mix,
        seed=audience.seed,
    )
    rng = random.Random(audience.seed)
    funnel: list[Funnel] = []
    async with sandbox_platforms(platforms, youtube_poll_ms=400) as running:

        async def connectors_for(store: SandboxStore, core: Core) -> list[Connector]:
            return running.connectors(
                settings, core.records, planned_minutes=max(1.0, audience.seconds / 60 * 2)
            )

        async def play(store: SandboxStore, runner: ShowRunner) -> None:
            await _ready(running, runner.connectors)
            if "twitch" in running.emulators:
                running.host_says(f"!feature {_first_code(runner.core)}")
            loop = asyncio.get_running_loop()
            start = loop.time()
            paid_at = start + audience.seconds * 0.7
            paid = False
            for line in lines:
                if line.platform not in running.emulators:
                    continue
                delay = start + line.offset - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)  # the audience's own pace
                if not paid and loop.time() >= paid_at:
                    await _checkouts(runner.core, audience.checkout_share, rng)
                    paid = True
                running.say(
                    line.platform, line.text, author_id=line.author_id, author_name=line.author
                )
            if not paid:
                await _checkouts(runner.core, audience.checkout_share, rng)
            if keep_open:
                if console is not None:
                    console.print(
                        "the viewers are done; the show stays open for the dashboard"
                        " — Ctrl-C ends it",
                        highlight=False,
                    )
                await asyncio.Event().wait()  # until Ctrl-C cancels the viewers' task
            await _settle(runner)
            funnel.append(
                await asyncio.to_thread(
                    load_funnel,
                    runner.core.engine,
                    runner.core.settings.show.id,
                    platform_counts(runner.core.engine, runner.core.settings.show.id),
                )
            )

        outcome = await run_sandbox_show(
            settings,
            connectors_for,
            database_url=database_url,
            products=catalog,
            run_of_show=run_of_show,
            console=console,
            after_start=play,
            title=title,
        )
    if not funnel:  # the viewers were stopped early (Ctrl-C): count what did happen
        funnel.append(await asyncio.to_thread(_funnel_of, database_url, settings.show.id))
    return outcome, funnel[0]


def _funnel_of(database_url: str, show: str) -> Funnel:
    engine = make_engine(database_url)
    try:
        return load_funnel(engine, show, platform_counts(engine, show))
    finally:
        engine.dispose()


async def _settle(runner: ShowRunner) -> None:
    """Give the platforms time to deliver the last lines (YouTube polls), then stop."""
    loop = asyncio.get_running_loop()
    quiet_since, seen = loop.time(), -1
    deadline = loop.time() + 15
    while loop.time() < deadline:
        events = runner.pipeline.stats.events
        if events != seen:
            seen, quiet_since = events, loop.time()
        elif loop.time() - quiet_since > 2.5:
            break
        await asyncio.sleep(0.1)
    runner.stop()


def _first_code(core: Core) -> str:
    """What the host features first: the lineup's first code, else a catalog product."""
    state = core.control.state
    if state.lineup:
        return state.lineup[0].code
    first = next(iter(core.catalog.products.values()), None)
    return (first.live_code or first.handle) if first else "101"


def _demo_products() -> list[dict[str, Any]]:
    data = json.loads(DEMO_PRODUCTS.read_text(encoding="utf-8"))
    return list(data["products"])
