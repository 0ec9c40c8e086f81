"""The checkout routes mounted in the Shopify Admin emulator (the seam both sides rely on)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from checkout_links.config import LinksConfig
from checkout_links.errors import LinkAuthError
from checkout_links.lines import CheckoutRequest, LineItem
from checkout_links.strategies import make_strategy
from sandbox.shopify.checkout_routes import CheckoutEmulator, checkout_routes
from tests.support.clock import FakeClock

emulator_mod = pytest.importorskip("sandbox.shopify.emulator")


def test_cart_and_draft_order_through_the_admin_emulator(
    http: requests.Session, clock: FakeClock
) -> None:
    checkout = CheckoutEmulator(clock=clock)
    shop = emulator_mod.ShopifyEmulator(
        extra_routers=[checkout_routes(checkout)],
        admin_fallbacks=[checkout.handle_admin_mutation],
    )
    req = CheckoutRequest(
        lines=(LineItem(variant_id="44000000001", quantity=1),),
        hold_ids=("h-1",),
        show="s",
        platform="twitch",
        viewer="v",
        expires_at=clock() + timedelta(minutes=10),
    )
    with shop:
        env = {"SHOPSTREAM_SHOPIFY_TOKEN": shop.token}
        for strategy, kind in (("draft_order", "do"), ("storefront_cart", "cn")):
            config = LinksConfig(strategy=strategy, shop_domain=shop.base_url)
            made = make_strategy(config, session=http, environ=env)
            url = made.checkout_url(req)
            assert url.startswith(f"{shop.base_url}/checkouts/{kind}/"), url
            assert http.get(url, timeout=5).status_code == 200
        # The admin emulator's token check applies to draft orders.
        bad = make_strategy(
            LinksConfig(strategy="draft_order", shop_domain=shop.base_url),
            session=http,
            environ={"SHOPSTREAM_SHOPIFY_TOKEN": "wrong"},
        )
        with pytest.raises(LinkAuthError):
            bad.checkout_url(req)
