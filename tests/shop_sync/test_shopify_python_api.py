"""Shopify's official Python library (``ShopifyAPI``) as an independent client of the emulator:
what it reads and writes agrees with what shop_sync sees.

Its ``Session`` builds ``{protocol}://{shop}.{myshopify_domain}:{port}/admin/api/{version}``
from class attributes (shopify/session.py ``site`` and ``__prepare_url``), so the tests point it
at 127.0.0.1 with ``protocol="http"``, ``myshopify_domain="0.0.1"`` (shop ``127``) and the port.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
import requests

import shop_sync.queries as q
from sandbox.shopify import SANDBOX_TOKEN, ShopifyEmulator
from shop_sync.client import ShopifyClient
from shop_sync.config import ShopConfig
from shop_sync.tokens import StaticToken

shopify = pytest.importorskip("shopify")

TEE = "44000000001"
LOCATIONS = ("1001", "1002")


@pytest.fixture
def emu() -> Iterator[ShopifyEmulator]:
    with ShopifyEmulator(locations=LOCATIONS, bucket_max=100_000.0) as e:
        e.set_available(TEE, 6, location="1002", notify=False)
        yield e


@pytest.fixture
def official(emu: ShopifyEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    port = urlparse(emu.base_url).port
    monkeypatch.setattr(shopify.Session, "protocol", "http")
    monkeypatch.setattr(shopify.Session, "myshopify_domain", "0.0.1")
    monkeypatch.setattr(shopify.Session, "port", port)
    session = shopify.Session("127", "2026-07", SANDBOX_TOKEN)
    assert session.site == f"http://127.0.0.1:{port}/admin/api/2026-07"
    shopify.ShopifyResource.activate_session(session)
    try:
        yield shopify.GraphQL()
    finally:
        shopify.ShopifyResource.clear_session()


def ours(emu: ShopifyEmulator) -> ShopifyClient:
    config = ShopConfig(admin_base_url=emu.base_url)
    return ShopifyClient(config, session=requests.Session(), tokens=StaticToken(SANDBOX_TOKEN))


PRODUCTS = """query Products($first: Int!, $after: String) {
  products(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      handle
      variants(first: 15) {
        pageInfo { hasNextPage }
        nodes {
          legacyResourceId sku price inventoryPolicy
          inventoryItem {
            tracked
            inventoryLevels(first: 2) {
              nodes { location { legacyResourceId } quantities(names: ["available"]) { quantity } }
            }
          }
        }
      }
    }
  }
}"""


def test_official_client_reads_what_ours_reads(emu: ShopifyEmulator, official: Any) -> None:
    theirs: dict[str, tuple[Any, ...]] = {}
    products: list[dict[str, Any]] = []
    after = None
    while True:  # 5 products a page: 2 + 5 x (1 + 2 + 15 x (1 + 1 + 2 + 2 x 3)) = 767 points
        body = json.loads(official.execute(PRODUCTS, {"first": 5, "after": after}))
        assert "errors" not in body, body
        assert body["extensions"]["cost"]["requestedQueryCost"] == 767
        products += body["data"]["products"]["nodes"]
        info = body["data"]["products"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    for product in products:
        assert not product["variants"]["pageInfo"]["hasNextPage"]
        for v in product["variants"]["nodes"]:
            levels = v["inventoryItem"]["inventoryLevels"]["nodes"]
            stock = {
                lv["location"]["legacyResourceId"]: lv["quantities"][0]["quantity"] for lv in levels
            }
            theirs[v["legacyResourceId"]] = (
                product["handle"],
                v["sku"],
                v["price"],
                v["inventoryPolicy"],
                v["inventoryItem"]["tracked"],
                stock,
            )
    mine: dict[str, tuple[Any, ...]] = {}
    for page in ours(emu).iter_variant_pages():
        for r in page:
            stock = {lv.location_id: lv.available for lv in r.levels or ()}
            mine[r.variant_id] = (
                r.product.handle,
                r.sku,
                f"{r.price:.2f}",
                r.policy,
                r.tracked,
                stock,
            )
    assert theirs == mine
    assert theirs[TEE][5] == {"1001": 4, "1002": 6}
    assert len(theirs) == len(emu.store.variants)


def test_official_client_mutation_is_seen_by_ours(emu: ShopifyEmulator, official: Any) -> None:
    pid = emu.store.variants[TEE]["product_id"]
    mutation = """mutation Update($p: ID!, $v: [ProductVariantsBulkInput!]!) {
      productVariantsBulkUpdate(productId: $p, variants: $v) {
        productVariants { id price } userErrors { field message } } }"""
    body = json.loads(
        official.execute(
            mutation,
            {
                "p": f"gid://shopify/Product/{pid}",
                "v": [{"id": f"gid://shopify/ProductVariant/{TEE}", "price": "19.99"}],
            },
            "Update",
        )
    )
    assert body["data"]["productVariantsBulkUpdate"]["userErrors"] == []
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10
    (record,) = ours(emu).variants_by_id([f"gid://shopify/ProductVariant/{TEE}"])
    assert f"{record.price:.2f}" == "19.99"


def test_official_client_gets_shopify_errors(official: Any) -> None:
    body = json.loads(official.execute("{ shop { currencyCod } }"))
    assert body["errors"][0]["extensions"]["code"] == "undefinedField"
    body = json.loads(official.execute(q.VARIANTS_PAGE, {"first": 100}))
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
