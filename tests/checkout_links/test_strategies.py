"""The three link strategies against the checkout emulator on a real socket."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from fastapi import FastAPI, Request

from checkout_links.config import LinksConfig, ShowLinkConfig
from checkout_links.errors import LinkAuthError, LinkRejected
from checkout_links.lines import CheckoutRequest, LineItem
from checkout_links.strategies import (
    DraftOrderStrategy,
    FallbackStrategy,
    PermalinkStrategy,
    make_strategy,
)
from sandbox.shopify.checkout_routes import CheckoutEmulator, checkout_routes
from tests.checkout_links.conftest import serve
from tests.support.clock import FakeClock

TEE_S_RED = "44000000001"


@pytest.fixture
def emulator(clock: FakeClock) -> CheckoutEmulator:
    return CheckoutEmulator(clock=clock, storefront_token="sf-test-token")


@pytest.fixture
def base_url(emulator: CheckoutEmulator) -> Iterator[str]:
    app = FastAPI()
    app.include_router(checkout_routes(emulator))

    @app.post("/admin/api/{version}/graphql.json")
    async def admin(version: str, request: Request) -> dict[str, Any]:
        # What the Shopify Admin emulator does with mutations it does not know itself.
        body = await request.json()
        answer = emulator.handle_admin_mutation(
            body["query"], body.get("variables"), base_url=str(request.base_url)
        )
        return answer if answer is not None else {"errors": [{"message": "unknown"}]}

    with serve(app) as url:
        yield url


def _req(clock: FakeClock, **kw: Any) -> CheckoutRequest:
    base: dict[str, Any] = dict(
        lines=(LineItem(variant_id=TEE_S_RED, quantity=2),),
        hold_ids=("h-1", "h-2"),
        show="show-101",
        platform="youtube",
        viewer="v_abc",
        expires_at=clock() + timedelta(minutes=15),
    )
    base.update(kw)
    return CheckoutRequest(**base)


def _config(strategy: str, base_url: str) -> LinksConfig:
    return LinksConfig(
        strategy=strategy,
        shop_domain=base_url,
        shows={"show-101": ShowLinkConfig(discount="LIVE10", utm_campaign="fall-drop")},
    )


ENV = {"SHOPSTREAM_SHOPIFY_STOREFRONT_TOKEN": "sf-test-token"}


def test_storefront_cart_returns_checkout_url_with_attributes_and_discount(
    base_url: str, emulator: CheckoutEmulator, http: requests.Session, clock: FakeClock
) -> None:
    strategy = make_strategy(_config("storefront_cart", base_url), session=http, environ=ENV)
    url = strategy.checkout_url(_req(clock))
    assert re.fullmatch(re.escape(base_url) + r"/checkouts/cn/[0-9a-f]+\?key=[0-9a-f]+", url)
    sent = emulator.requests[-1]
    assert sent["token"] == "sf-test-token"
    cart_in = sent["variables"]["input"]
    attrs = {a["key"]: a["value"] for a in cart_in["attributes"]}
    assert attrs["_shopstream_hold"] == "h-1,h-2"
    assert attrs["_shopstream_show"] == "show-101"
    assert attrs["utm_campaign"] == "fall-drop"
    assert cart_in["discountCodes"] == ["LIVE10"]
    page = http.get(url, timeout=5)
    assert page.status_code == 200
    assert f"data-variant='{TEE_S_RED}'" in page.text
    assert "× 2" in page.text


def test_storefront_unknown_variant_is_rejected(
    base_url: str, http: requests.Session, clock: FakeClock
) -> None:
    strategy = make_strategy(_config("storefront_cart", base_url), session=http, environ=ENV)
    with pytest.raises(LinkRejected, match="does not exist"):
        strategy.checkout_url(_req(clock, lines=(LineItem(variant_id="999", quantity=1),)))


@pytest.mark.parametrize("fault", ["http_503", "throttled"])
def test_storefront_unavailable_falls_back_to_permalink(
    base_url: str,
    emulator: CheckoutEmulator,
    http: requests.Session,
    clock: FakeClock,
    fault: Any,
) -> None:
    emulator.inject(fault)
    strategy = make_strategy(_config("storefront_cart", base_url), session=http, environ=ENV)
    url = strategy.checkout_url(_req(clock))
    assert url.startswith(f"{base_url}/cart/{TEE_S_RED}:2?")
    assert "discount=LIVE10" in url
    # The next call reaches the API again.
    assert "/checkouts/cn/" in strategy.checkout_url(_req(clock))


def test_storefront_bad_token_is_an_auth_error(
    base_url: str, http: requests.Session, clock: FakeClock
) -> None:
    env = {"SHOPSTREAM_SHOPIFY_STOREFRONT_TOKEN": "wrong"}
    strategy = make_strategy(_config("storefront_cart", base_url), session=http, environ=env)
    with pytest.raises(LinkAuthError):
        strategy.checkout_url(_req(clock))


def test_draft_order_reserves_until_hold_expiry(
    base_url: str, emulator: CheckoutEmulator, http: requests.Session, clock: FakeClock
) -> None:
    strategy = make_strategy(
        _config("draft_order", base_url), session=http, environ={}, sandbox=True
    )
    req = _req(clock)
    url = strategy.checkout_url(req)
    assert re.fullmatch(re.escape(base_url) + r"/checkouts/do/[0-9a-f]+", url)
    draft_in = emulator.requests[-1]["variables"]["input"]
    assert draft_in["reserveInventoryUntil"] == "2026-11-23T20:15:00Z"
    assert draft_in["lineItems"] == [
        {"variantId": f"gid://shopify/ProductVariant/{TEE_S_RED}", "quantity": 2}
    ]
    token = url.rsplit("/", 1)[1]
    assert emulator.checkouts[token].reserve_until == req.expires_at
    assert http.get(url, timeout=5).status_code == 200


def test_draft_order_for_an_expired_hold_is_rejected(
    base_url: str, http: requests.Session, clock: FakeClock
) -> None:
    strategy = make_strategy(
        _config("draft_order", base_url), session=http, environ={}, sandbox=True
    )
    with pytest.raises(LinkRejected, match="future"):
        strategy.checkout_url(_req(clock, expires_at=clock() - timedelta(seconds=1)))


def test_draft_order_throttled_falls_back(
    base_url: str, emulator: CheckoutEmulator, http: requests.Session, clock: FakeClock
) -> None:
    emulator.inject("throttled")
    strategy = make_strategy(
        _config("draft_order", base_url), session=http, environ={}, sandbox=True
    )
    assert isinstance(strategy, FallbackStrategy)
    assert "/cart/" in strategy.checkout_url(_req(clock))


def test_draft_order_needs_a_token_in_live_mode(base_url: str, http: requests.Session) -> None:
    with pytest.raises(ValueError, match="SHOPSTREAM_SHOPIFY_TOKEN"):
        make_strategy(_config("draft_order", base_url), session=http, environ={}, sandbox=False)


def test_unreachable_api_falls_back(http: requests.Session, clock: FakeClock) -> None:
    with serve(FastAPI()) as url:
        dead = url  # the port is closed once the server stops
    config = _config("draft_order", dead)
    strategy = make_strategy(config, session=http, environ={}, sandbox=True)
    assert strategy.checkout_url(_req(clock)).startswith(f"{dead}/cart/")


def test_permalink_opens_the_held_lines_and_completes_into_an_attributed_order(
    base_url: str, emulator: CheckoutEmulator, http: requests.Session, clock: FakeClock
) -> None:
    strategy = make_strategy(_config("permalink", base_url), session=http)
    assert isinstance(strategy, PermalinkStrategy)
    url = strategy.checkout_url(_req(clock))
    page = http.get(url, timeout=5)
    assert page.status_code == 200
    assert "_shopstream_hold = h-1,h-2" in page.text
    token = re.search(r"/checkouts/cn/([0-9a-f]+)/complete", page.text)
    assert token is not None
    done = http.post(f"{base_url}/checkouts/cn/{token.group(1)}/complete", timeout=5)
    assert done.status_code == 200
    order = emulator.orders[-1]
    assert {"name": "_shopstream_hold", "value": "h-1,h-2"} in order["note_attributes"]
    assert order["landing_site"].startswith(f"/cart/{TEE_S_RED}:2?")
    assert order["line_items"][0]["price"] == "24.00"


def test_draft_strategy_direct_use_without_fallback(
    base_url: str, http: requests.Session, clock: FakeClock
) -> None:
    from checkout_links.shopify_api import AdminDraftOrderClient

    client = AdminDraftOrderClient(http, base_url=base_url, api_version="2026-07", token="t")
    strategy = DraftOrderStrategy(client, _config("draft_order", base_url))
    assert "/checkouts/do/" in strategy.checkout_url(_req(clock))
