"""From hold to revenue: link, short link click, emulated checkout, order, ledger; per strategy."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from fastapi import FastAPI, Request
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from checkout_links.config import LinksConfig, ShowLinkConfig
from checkout_links.ledger import OrderLedger
from checkout_links.lines import CheckoutRequest, LineItem
from checkout_links.service import CheckoutLinks
from checkout_links.shortlinks import ShortLinks, clicks_by_platform
from checkout_links.strategies import make_strategy
from checkout_links.web import shortlink_router
from sandbox.shopify.checkout_routes import CheckoutEmulator, checkout_routes
from tests.checkout_links.conftest import serve
from tests.support.clock import FakeClock


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    from shopstream.storage.engine import make_engine

    eng = make_engine(db_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


def _checkout(http: requests.Session, link: str) -> requests.Response:
    """Open the landing page and tap its checkout button, as a buyer does."""
    landing = http.get(link, timeout=5, allow_redirects=False)
    assert landing.status_code == 200, landing.text
    href = landing.text.split('id="checkout" href="', 1)[1].split('"', 1)[0]
    return http.get(html.unescape(href), timeout=5)


def _paid_order(ledger: OrderLedger) -> Callable[[tuple[str, ...]], str | None]:
    def paid(hold_ids: tuple[str, ...]) -> str | None:
        order = ledger.order_for_holds(hold_ids)
        return order.name if order is not None else None

    return paid


@pytest.fixture
def world(engine: Engine, clock: FakeClock) -> Iterator[dict[str, Any]]:
    """The shop emulator and the app's short-link site, both on 127.0.0.1."""
    ledger = OrderLedger(engine, clock=clock)
    emulator = CheckoutEmulator(clock=clock, on_order=ledger.record_payload)
    shop = FastAPI()
    shop.include_router(checkout_routes(emulator))

    @shop.post("/admin/api/{version}/graphql.json")
    async def admin(version: str, request: Request) -> dict[str, Any]:
        body = await request.json()
        answer = emulator.handle_admin_mutation(
            body["query"], body.get("variables"), base_url=str(request.base_url)
        )
        return answer or {"errors": [{"message": "unknown"}]}

    site = FastAPI()
    with serve(shop) as shop_url, serve(site) as site_url:
        short = ShortLinks(engine, key=b"e" * 32, public_base_url=site_url, clock=clock)
        site.include_router(shortlink_router(short, paid_order=_paid_order(ledger)))
        yield {
            "shop": shop_url,
            "site": site_url,
            "short": short,
            "ledger": ledger,
            "emulator": emulator,
        }


@pytest.mark.parametrize("strategy", ["permalink", "storefront_cart", "draft_order"])
def test_a_paid_link_becomes_attributed_revenue(
    world: dict[str, Any],
    strategy: str,
    engine: Engine,
    http: requests.Session,
    clock: FakeClock,
) -> None:
    config = LinksConfig(
        strategy=strategy,
        shop_domain=world["shop"],
        public_base_url=world["site"],
        shows={"show-101": ShowLinkConfig(discount="LIVE10")},
    )
    strategy_for = make_strategy(config, session=http, environ={}, sandbox=True)  # the emulator
    service = CheckoutLinks(config, strategy_for, world["short"])
    req = CheckoutRequest(
        lines=(LineItem(variant_id="44000000001", quantity=2),),
        hold_ids=("h-1",),
        show="show-101",
        platform="facebook",
        viewer="v_1",
        expires_at=clock() + timedelta(minutes=15),
    )
    link = service.link_for(req)
    assert link.startswith(f"{world['site']}/l/")
    page = _checkout(http, link)  # the landing page's button to the emulated checkout
    assert page.status_code == 200
    action = page.text.split("action='", 1)[1].split("'", 1)[0]
    assert http.post(world["shop"] + action, timeout=5).status_code == 200

    (order,) = world["ledger"].orders()
    assert (order.attributed, order.hold_ids, order.show_id, order.platform) == (
        True,
        "h-1",
        "show-101",
        "facebook",
    )
    assert order.total == Decimal("48.00")
    assert clicks_by_platform(engine, "show-101") == {"facebook": 1}
    # A second delivery of the same order is not counted twice.
    world["ledger"].record_payload(world["emulator"].orders[-1])
    assert len(world["ledger"].orders()) == 1


def test_concurrent_clicks_are_all_counted(
    world: dict[str, Any], engine: Engine, clock: FakeClock
) -> None:
    url = world["short"].create(
        "https://demo.myshopify.com/cart/1:1",
        hold_ids=["h"],
        viewer_key="v",
        expires_at=clock() + timedelta(minutes=5),
        show="s",
        platform="youtube",
    )
    start = threading.Barrier(8)
    codes: list[int] = []

    def click() -> None:
        with requests.Session() as s:
            start.wait()
            for _ in range(5):
                codes.append(s.get(url, allow_redirects=False, timeout=10).status_code)

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 40  # the landing page, each open counted
    assert clicks_by_platform(engine, "s") == {"youtube": 40}


def test_concurrent_deliveries_record_an_order_once(engine: Engine) -> None:
    payload = {
        "id": 77,
        "currency": "USD",
        "total_price": "5.00",
        "note_attributes": [{"name": "_shopstream_hold", "value": "h9"}],
        "line_items": [{"variant_id": 1, "product_id": 2, "quantity": 1, "price": "5.00"}],
    }
    start = threading.Barrier(6)
    outcomes: list[bool] = []

    def deliver() -> None:
        ledger = OrderLedger(engine)
        start.wait()
        result = ledger.record_payload(payload)
        assert result is not None
        outcomes.append(result.new)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [False] * 5 + [True]
    assert len(OrderLedger(engine).orders()) == 1


def test_a_paid_buyer_reopening_the_link_sees_the_order_not_expired(
    world: dict[str, Any], http: requests.Session, clock: FakeClock
) -> None:
    """Issue 19: a buyer who paid and opened the link again was told the hold had expired."""
    config = LinksConfig(
        strategy="permalink", shop_domain=world["shop"], public_base_url=world["site"]
    )
    strategy_for = make_strategy(config, session=http, environ={}, sandbox=True)  # the emulator
    service = CheckoutLinks(config, strategy_for, world["short"])
    req = CheckoutRequest(
        lines=(LineItem(variant_id="44000000001", quantity=1),),
        hold_ids=("h-9",),
        show="show-9",
        platform="twitch",
        viewer="v_9",
        expires_at=clock() + timedelta(minutes=15),
    )
    link = service.link_for(req)
    page = _checkout(http, link)
    action = page.text.split("action='", 1)[1].split("'", 1)[0]
    assert http.post(world["shop"] + action, timeout=5).status_code == 200
    world["short"].expire_for_holds(["h-9"])  # what the app does once the holds sold
    (order,) = world["ledger"].orders()

    again = http.get(link, timeout=5, allow_redirects=False)
    assert again.status_code == 200
    assert f"Order {order.name} is paid" in again.text and "expired" not in again.text

    clock.advance(20 * 60)  # an unpaid hold's link still offers the waitlist
    later = replace(req, hold_ids=("h-10",), expires_at=clock() + timedelta(minutes=1))
    other = service.link_for(later)
    clock.advance(2 * 60)
    gone = http.get(other, timeout=5, allow_redirects=False)
    assert gone.status_code == 410 and "!waitlist" in gone.text
