"""The checkout emulator refuses what Shopify would refuse, with Shopify's shapes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from fastapi import FastAPI

from sandbox.shopify.checkout_routes import CheckoutEmulator, checkout_routes
from tests.checkout_links.conftest import serve
from tests.support.clock import FakeClock


@pytest.fixture
def emulator(clock: FakeClock) -> CheckoutEmulator:
    return CheckoutEmulator(clock=clock)


@pytest.fixture
def base(emulator: CheckoutEmulator) -> Iterator[str]:
    app = FastAPI()
    app.include_router(checkout_routes(emulator))
    with serve(app) as url:
        yield url


def test_storefront_refuses_bad_documents(base: str, http: requests.Session) -> None:
    url = f"{base}/api/2026-07/graphql.json"
    assert http.post(url, data=b"{not json", timeout=5).status_code == 400
    assert http.post(url, json=[1], timeout=5).status_code == 400
    other = http.post(url, json={"query": "{ shop { name } }"}, timeout=5).json()
    assert "cartCreate only" in other["errors"][0]["message"]
    no_input = http.post(url, json={"query": "mutation { cartCreate(input: {}) { cart { id } } }"})
    assert "invalid value" in no_input.json()["errors"][0]["message"]
    bad_qty = http.post(
        url,
        json={
            # the answer holds what the document selects (Shopify's Storefront schema)
            "query": "mutation c($input: CartInput!) { cartCreate(input: $input) "
            "{ cart { id } userErrors { code } } }",
            "variables": {
                "input": {
                    "lines": [
                        {"merchandiseId": "gid://shopify/ProductVariant/44000000001", "quantity": 0}
                    ]
                }
            },
        },
        timeout=5,
    ).json()
    assert bad_qty["data"]["cartCreate"] == {"cart": None, "userErrors": [{"code": "INVALID"}]}
    invalid = http.post(url, json={"query": "mutation { cartCreate { cart { idd } } }"}).json()
    assert "data" not in invalid and invalid["errors"][0]["extensions"]["code"] == "undefinedField"


def test_admin_delegate_answers_only_draft_orders(emulator: CheckoutEmulator) -> None:
    assert emulator.handle_admin_mutation("{ shop { name } }", {}) is None
    assert emulator.handle_admin_mutation("mutation { productSet(input: {}) { x } }", {}) is None
    empty = emulator.handle_admin_mutation(
        "mutation d($input: DraftOrderInput!) { draftOrderCreate(input: $input) { x } }",
        {"input": {"lineItems": []}},
    )
    assert empty is not None
    assert empty["data"]["draftOrderCreate"]["userErrors"][0]["field"] == ["input", "lineItems"]


def test_permalink_pages(base: str, http: requests.Session, emulator: CheckoutEmulator) -> None:
    ok = http.get(f"{base}/fr/cart/44000000001:1,44000000002:3?discount=LIVE10", timeout=5)
    assert ok.status_code == 200 and "Discount codes: LIVE10" in ok.text
    assert "Subtotal: 96.00" in ok.text  # 24.00 + 3 × 24.00
    for bad in ("999:1", "44000000001:0", "44000000001:x", "abc"):
        resp = http.get(f"{base}/cart/{bad}", timeout=5)
        assert resp.status_code == 404 and "no longer available" in resp.text
    assert http.get(f"{base}/checkouts/cn/nope", timeout=5).status_code == 404
    assert http.post(f"{base}/checkouts/cn/nope/complete", timeout=5).status_code == 404


def test_an_order_is_placed_once(
    base: str, http: requests.Session, emulator: CheckoutEmulator
) -> None:
    seen: list[dict[str, object]] = []
    emulator.on_order = seen.append
    http.get(f"{base}/cart/44000000001:1?attributes%5B_shopstream_hold%5D=h1", timeout=5)
    (token,) = emulator.checkouts
    for _ in range(2):
        assert http.post(f"{base}/checkouts/cn/{token}/complete", timeout=5).status_code == 200
    assert len(seen) == 1 and len(emulator.orders) == 1
    assert seen[0]["note_attributes"] == [{"name": "_shopstream_hold", "value": "h1"}]
