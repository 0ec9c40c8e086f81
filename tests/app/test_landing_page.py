"""The buyer's landing page at ``/l/{code}``, over HTTP, in every state of a real show's link.

A claim made through the real handler over the sandbox store gives the link; the page is
served by uvicorn on 127.0.0.1 with the webhook route, so paying at the emulated checkout
brings the order back as the store's signed webhook, as in a show.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from checkout_links.landing import HeldLine, render_landing
from checkout_links.shortlinks import Resolution
from connectors.events import ChatMessage
from sandbox.show.store import SandboxStore, sandbox_store
from shop_sync.webhooks import webhook_router
from shopstream.core import Core, build_core
from shopstream.dashboard.live import LiveHub
from shopstream.dashboard.overlay import link_opened
from shopstream.runtime.supervisor import Envelope
from shopstream.runtime.webserver import serve_asgi
from shopstream.settings import parse_settings
from tests.support.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"/l/([A-Za-z0-9_-]+)")
CHECKOUT = re.compile(r'id="checkout" href="([^"]+)"')
COMPLETE = re.compile(r"""action=['"](/checkouts/(?:cn|do)/[^'"/]+/complete)['"]""")


def _catalog(**units: int) -> list[dict[str, Any]]:
    """The demo catalog with ``handle=units`` for every variant of the named products."""
    products = json.loads((ROOT / "sandbox/data/demo_products.json").read_text())["products"]
    for product in products:
        for variant in product["variants"]:
            if product["handle"].replace("-", "_") in units:
                variant["inventory_quantity"] = units[product["handle"].replace("-", "_")]
    return list(products)


@dataclass
class Shop:
    core: Core
    store: SandboxStore
    url: str
    clock: FakeClock
    opened: list[Resolution]
    hub: LiveHub
    said: int = 0

    def say(self, text: str, viewer: str, name: str = "buyer") -> str:
        """One chat line from ``viewer``; the text of every reply to it."""
        self.said += 1
        msg = ChatMessage(
            platform="twitch",
            channel="c",
            message_id=f"m{self.said}",
            author_id=viewer,
            author_name=name,
            text=text,
            sent_at=self.clock(),
        )
        self.core.records.take_messages([msg])
        with self.core.records.batch():
            [result] = self.core.handler.handle_many([Envelope("twitch", msg)])
        assert not isinstance(result, Exception), result
        return " | ".join(reply.text for reply in result)

    def link(self, text: str, viewer: str, name: str = "buyer") -> str:
        said = self.say(text, viewer, name)
        found = LINK.search(said)
        assert found is not None, said
        return f"{self.url}/l/{found.group(1)}"


@contextlib.asynccontextmanager
async def _shop(db_url: str, **units: int) -> AsyncIterator[Shop]:
    clock = FakeClock()
    settings = parse_settings({"show": {"id": "landing", "featured": "201"}})
    async with sandbox_store(settings, products=_catalog(**units)) as store:
        core = await asyncio.to_thread(
            build_core, settings, store.access, database_url=db_url, clock=clock
        )
        await asyncio.to_thread(core.sync)
        opened: list[Resolution] = []
        hub = LiveHub(interval=60)
        publish = link_opened(hub, core.holds)  # what the show's web app does

        def on_open(link: Resolution) -> None:
            opened.append(link)
            publish(link)

        app = FastAPI()
        app.include_router(webhook_router(core.receiver))
        app.include_router(core.landing_router(on_open=on_open, clock=clock))
        try:
            async with serve_asgi(app) as url:
                store.deliver_webhooks_to(url)
                yield Shop(core=core, store=store, url=url, clock=clock, opened=opened, hub=hub)
        finally:
            core.close()


async def _pay(shop: Shop, http: httpx.AsyncClient, link: str) -> None:
    """Tap the page's checkout button, pay, and wait for the store's webhooks to be applied."""
    page = await http.get(link)
    button = CHECKOUT.search(page.text)
    assert button is not None, page.text
    checkout = await http.get(html.unescape(button.group(1)), follow_redirects=True)
    action = COMPLETE.search(checkout.text)
    assert action is not None, checkout.text
    before = shop.core.receiver.applied
    done = await http.post(str(checkout.url.join(action.group(1))))
    assert done.status_code == 200
    # orders/create and the level update it caused
    assert await asyncio.to_thread(shop.core.receiver.wait_applied, before + 2, 10.0)


async def test_a_live_link_shows_the_hold_its_price_countdown_and_checkout(
    sqlite_db_url: str,
) -> None:
    async with _shop(sqlite_db_url, classic_tee=4) as shop, httpx.AsyncClient() as http:
        link = shop.link("!buy 101 M navy x2", "v1")
        shop.link("!buy 101 L red", "v2", name="Other Buyer")  # another buyer's hold
        shop.clock.advance(60)  # a minute later the buyer opens it
        page = await http.get(link)
        code = link.rsplit("/", 1)[1]
        hold = shop.core.shortlinks.resolve(code)  # (counts one more open)
    assert page.status_code == 200
    text = page.text
    assert "Classic Tee" in text and "M / Navy" in text
    assert "2 × $24.00" in text and 'id="total">$48.00<' in text
    assert 'data-seconds="840"' in text  # 15 min hold, opened after 1 min
    assert f'data-expires="{hold.expires_at.isoformat()}"' in text  # type: ignore[union-attr]
    button = CHECKOUT.search(text)
    assert button is not None and html.unescape(button.group(1)) == hold.target_url
    assert page.headers["cache-control"] == "no-store"
    assert "noindex" in page.headers["x-robots-tag"]
    assert '<meta name="robots" content="noindex,nofollow">' in text
    # nothing about the buyer or any other buyer: names, the other hold, other links
    assert "buyer" not in text.lower() and "Other Buyer" not in text and "L / Red" not in text
    assert len(LINK.findall(text)) == 0
    # the open was counted and handed on (the dashboard's "link opened")
    assert [(o.kind, o.platform, o.show_id) for o in shop.opened] == [
        ("redirect", "twitch", "landing")
    ]
    batch = shop.hub.flush()
    assert batch is not None and batch["updates"] == [
        {"claims": ["twitch:m1"], "link_opened": True, "paid": False}  # the first buyer's
    ]
    assert shop.core.shortlinks.clicks_by_platform("landing") == {"twitch": 2}


async def test_a_paid_link_shows_the_order_and_thanks(sqlite_db_url: str) -> None:
    async with _shop(sqlite_db_url, glow_serum=5) as shop, httpx.AsyncClient() as http:
        link = shop.link("sold 201", "v1")
        await _pay(shop, http, link)
        (order,) = shop.core.ledger.orders()
        again = await http.get(link)
    assert again.status_code == 200
    assert "Thank you for your order" in again.text
    assert f"Order {html.escape(order.name or '')} is paid" in again.text
    assert "Glow Serum" in again.text and "$42.50" in again.text
    assert CHECKOUT.search(again.text) is None and "expired" not in again.text
    assert again.headers["cache-control"] == "no-store"


async def test_an_expired_link_gives_the_waitlist_command_that_works(sqlite_db_url: str) -> None:
    async with _shop(sqlite_db_url, classic_tee=1) as shop, httpx.AsyncClient() as http:
        link = shop.link("!buy 101 M navy", "v1")
        shop.clock.advance(16 * 60)
        assert [h.status for h in shop.core.holds.expire_due()] == ["expired"]
        shop.link("!buy 101 M navy", "v2")  # the unit went back on sale and sold again
        page = await http.get(link)
        assert page.status_code == 410
        assert "This hold has expired" in page.text
        assert CHECKOUT.search(page.text) is None and "href" not in page.text
        commands = re.findall(r"<code>([^<]+)</code>", page.text)
        assert commands == ["!waitlist 101 M Navy"]
        # what the page says to type is the real command: it joins the waitlist
        said = shop.say(html.unescape(commands[0]), "v1")
    assert said == "Classic Tee (M / Navy) is sold out; you are #1 on the waitlist."


async def test_unknown_and_tampered_codes_get_the_404_page(sqlite_db_url: str) -> None:
    async with _shop(sqlite_db_url) as shop, httpx.AsyncClient() as http:
        link = shop.link("sold 201", "v1")
        code = link.rsplit("/", 1)[1]
        tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
        pages = [await http.get(f"{shop.url}/l/{c}") for c in (tampered, "nope", "x" * 20)]
    for page in pages:
        assert page.status_code == 404
        assert "Link not found" in page.text and "checkout" not in page.text.lower()
        assert page.headers["cache-control"] == "no-store"
    assert shop.opened == []  # no open is published for a code that is not a link


def test_every_value_on_the_page_is_escaped() -> None:
    line = HeldLine(
        product="<script>alert(1)</script>",
        variant='"><img src=x onerror=alert(2)>',
        quantity=1,
        unit_price=Decimal("5"),
        status="active",
        waitlist_command="!waitlist <b>",
    )
    for state in ("live", "ended"):
        page = render_landing(
            state,  # type: ignore[arg-type]
            lines=[line],
            checkout_url='https://shop.example/cart?a="><script>x</script>',
        )
        assert "<script>alert" not in page.html and "<img" not in page.html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html
        assert "<script>x" not in page.html and "<b>" not in page.html
    # the one script is the page's own, allowed by its nonce and nothing else
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_euro_shop_prices_in_euros() -> None:
    line = HeldLine(
        product="Tee",
        variant="",
        quantity=3,
        unit_price=Decimal("19.99"),
        status="active",
        waitlist_command="!waitlist 1",
    )
    page = render_landing("live", lines=[line], currency="EUR", locale="de")
    assert "3 × 19,99 €" in page.html and "59,97 €" in page.html
