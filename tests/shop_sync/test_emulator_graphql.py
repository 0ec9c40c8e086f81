"""The Shopify emulator is a GraphQL server on Shopify's published Admin schema: it validates,
honours selections, arguments and paging, charges Shopify's cost, runs bulk operations and
falls forward from unsupported versions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from graphql import execute_sync, parse

import shop_sync.queries as q
from sandbox.shopify import SANDBOX_TOKEN, ShopifyEmulator
from sandbox.shopify.graphql_cost import requested_cost
from sandbox.shopify.graphql_fast import CompiledExecutor
from sandbox.shopify.graphql_schema import SUPPORTED_VERSIONS, load_schema
from sandbox.shopify.graphql_server import Context, field_resolver, type_resolver

TEE = "44000000001"


@pytest.fixture
def emu() -> Iterator[ShopifyEmulator]:
    with ShopifyEmulator(locations=("1001", "1002", "1003"), bucket_max=100_000.0) as e:
        yield e


def post(
    emu: ShopifyEmulator, query: str, variables: dict[str, Any] | None = None, version: str = ""
) -> tuple[dict[str, Any], requests.Response]:
    resp = requests.post(
        f"{emu.base_url}/admin/api/{version or '2026-07'}/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": SANDBOX_TOKEN},
        timeout=30,
    )
    return resp.json(), resp


def test_syntax_and_validation_errors_have_no_data(emu: ShopifyEmulator) -> None:
    body, _ = post(emu, "{ shop { currencyCode ")
    assert "data" not in body and body["errors"][0]["message"].startswith("syntax error")
    assert body["errors"][0]["locations"]
    body, _ = post(emu, "{ shop { currencyCod } }")
    err = body["errors"][0]
    assert "data" not in body
    assert err["message"] == "Field 'currencyCod' doesn't exist on type 'Shop'"
    assert err["extensions"]["code"] == "undefinedField"
    body, _ = post(emu, "{ productVariants(frist: 2) { nodes { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "argumentNotAccepted"


def test_selection_sets_and_arguments_are_honoured(emu: ShopifyEmulator) -> None:
    body, _ = post(emu, "{ productVariants(first: 2) { nodes { sku } } }")
    assert body["data"] == {
        "productVariants": {"nodes": [{"sku": "CT-101-S-RED"}, {"sku": "CT-101-S-NAV"}]}
    }
    body, _ = post(
        emu,
        '{ v: productVariant(id: "gid://shopify/ProductVariant/44000000001") '
        "{ __typename title product { handle } } }",
    )
    assert body["data"] == {
        "v": {
            "__typename": "ProductVariant",
            "title": "S / Red",
            "product": {"handle": "classic-tee"},
        }
    }
    body, _ = post(emu, "{ productVariants { nodes { id } } }")
    assert body["data"] is None and "first or last" in body["errors"][0]["message"]


def test_cursor_paging_forward_and_backward(emu: ShopifyEmulator) -> None:
    page = "query($a: String, $b: String, $f: Int, $l: Int) { productVariants(first: $f, "
    page += "after: $a, last: $l, before: $b) { pageInfo { hasNextPage hasPreviousPage "
    page += "startCursor endCursor } edges { cursor node { legacyResourceId } } } }"
    seen: list[str] = []
    after = None
    while True:
        body, _ = post(emu, page, {"f": 25, "a": after})
        conn = body["data"]["productVariants"]
        seen += [e["node"]["legacyResourceId"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
        assert after == conn["edges"][-1]["cursor"]
    assert seen == sorted(emu.store.variants, key=int)
    body, _ = post(emu, page, {"l": 3, "b": conn["pageInfo"]["startCursor"]})
    back = body["data"]["productVariants"]
    start = len(seen) - len(conn["edges"])
    assert [e["node"]["legacyResourceId"] for e in back["edges"]] == seen[start - 3 : start]
    assert back["pageInfo"]["hasPreviousPage"] and back["pageInfo"]["hasNextPage"]


def test_levels_page_through_every_location(emu: ShopifyEmulator) -> None:
    emu.set_available(TEE, 7, location="1003", notify=False)
    item = f"gid://shopify/InventoryItem/{emu.store.variants[TEE]['inventory_item_id']}"
    body, _ = post(emu, q.MORE_LEVELS, {"id": item})
    levels = body["data"]["inventoryItem"]["inventoryLevels"]["nodes"]
    assert [lv["location"]["id"][-4:] for lv in levels] == ["1001", "1002", "1003"]
    assert levels[2]["quantities"] == [{"name": "available", "quantity": 7}]


def test_search_filter_updated_at(emu: ShopifyEmulator) -> None:
    emu.update_variant(TEE, notify=False, price="25.00")
    stamp = emu.store.variants[TEE]["updated_at"]
    body, _ = post(
        emu, q.VARIANTS_PAGE, {"first": 10, "query": "updated_at:>'2026-11-30T00:00:00Z'"}
    )
    ids = [n["legacyResourceId"] for n in body["data"]["productVariants"]["nodes"]]
    assert TEE in ids and all(emu.store.variants[i]["updated_at"] >= stamp for i in ids)


def test_cost_extensions_on_queries_and_mutations(emu: ShopifyEmulator) -> None:
    body, _ = post(emu, q.VARIANTS_PAGE, {"first": 10})
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 10 * 22
    # 10 variants, 3 levels each: connection 2 + 10 x (1 + 4 objects + 2 + 3 x 3)
    assert cost["actualQueryCost"] == 2 + 10 * (1 + 4 + 2 + 3 * 3)
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}
    body, _ = post(emu, q.BULK_POLL, {"id": "gid://shopify/BulkOperation/999"})
    assert body["data"] == {"node": None} and body["extensions"]["cost"]["requestedQueryCost"] == 1
    mutation = """mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) {
      productVariantsBulkUpdate(productId: $p, variants: $v) {
        productVariants { price } userErrors { field message code } } }"""
    body, _ = post(emu, mutation, {"p": "gid://shopify/Product/1", "v": []})
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10
    assert body["data"]["productVariantsBulkUpdate"]["userErrors"][0]["code"] == (
        "PRODUCT_DOES_NOT_EXIST"
    )


def test_over_the_maximum_is_refused_before_running(emu: ShopifyEmulator) -> None:
    body, _ = post(emu, q.VARIANTS_PAGE, {"first": 100})
    assert "data" not in body and "extensions" not in body
    err = body["errors"][0]
    assert err["extensions"] == {
        "code": "MAX_COST_EXCEEDED",
        "cost": 2202,
        "maxCost": 1000,
        "documentation": "https://shopify.dev/api/usage/rate-limits",
    }
    assert err["message"].startswith("Query cost is 2202, which exceeds the single query max")


def test_throttled_when_the_bucket_cannot_pay() -> None:
    now = [0.0]
    with ShopifyEmulator(bucket_max=1000, restore_rate=50, monotonic=lambda: now[0]) as small:
        body, _ = post(small, q.VARIANTS_PAGE, {"first": q.VARIANTS_PAGE_MAX})
        left = body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
        assert left == 1000 - body["extensions"]["cost"]["actualQueryCost"]
        body, _ = post(small, q.VARIANTS_PAGE, {"first": q.VARIANTS_PAGE_MAX})
        body, _ = post(small, q.VARIANTS_PAGE, {"first": q.VARIANTS_PAGE_MAX})
        assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert body["extensions"]["cost"]["actualQueryCost"] is None
        now[0] += 20.0  # 50 points a second refill the bucket
        body, _ = post(small, q.VARIANTS_PAGE, {"first": q.VARIANTS_PAGE_MAX})
        assert "errors" not in body


def test_mutations_write_the_store_and_send_webhooks(emu: ShopifyEmulator) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    notify, emu.admin.notify = emu.admin.notify, lambda t, p: sent.append((t, p))
    try:
        mutation = """mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) {
          productVariantsBulkUpdate(productId: $p, variants: $v) {
            productVariants { id price inventoryPolicy } userErrors { message } } }"""
        pid = emu.store.variants[TEE]["product_id"]
        body, _ = post(
            emu,
            mutation,
            {
                "p": f"gid://shopify/Product/{pid}",
                "v": [
                    {
                        "id": f"gid://shopify/ProductVariant/{TEE}",
                        "price": "31.50",
                        "inventoryPolicy": "CONTINUE",
                    }
                ],
            },
        )
        assert body["data"]["productVariantsBulkUpdate"]["productVariants"] == [
            {
                "id": f"gid://shopify/ProductVariant/{TEE}",
                "price": "31.50",
                "inventoryPolicy": "CONTINUE",
            }
        ]
        assert emu.store.variants[TEE]["price"] == "31.50"
        assert [t for t, _ in sent] == ["products/update"]
        item = f"gid://shopify/InventoryItem/{emu.store.variants[TEE]['inventory_item_id']}"
        setq = """mutation($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i) {
          inventoryAdjustmentGroup { changes { delta quantityAfterChange } }
          userErrors { field code } } }"""
        current = emu.store.available(TEE, "1001")
        row = {
            "inventoryItemId": item,
            "locationId": "gid://shopify/Location/1001",
            "quantity": 11,
            "changeFromQuantity": current + 1,
        }
        payload = {"name": "available", "reason": "correction", "quantities": [row]}
        body, _ = post(emu, setq, {"i": payload})
        assert body["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == (
            "CHANGE_FROM_QUANTITY_STALE"
        )
        assert emu.store.available(TEE, "1001") == current
        row["changeFromQuantity"] = current
        body, _ = post(emu, setq, {"i": payload})
        group = body["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]
        assert group["changes"] == [{"delta": 11 - current, "quantityAfterChange": 11}]
        assert emu.store.available(TEE, "1001") == 11
        assert sent[-1][0] == "inventory_levels/update" and sent[-1][1]["available"] == 11
    finally:
        emu.admin.notify = notify


@pytest.mark.parametrize(
    ("asked", "served"), [("2026-07", "2026-07"), ("2024-01", SUPPORTED_VERSIONS[0])]
)
def test_unsupported_versions_fall_forward(emu: ShopifyEmulator, asked: str, served: str) -> None:
    _, resp = post(emu, q.SHOP_CURRENCY, version=asked)
    assert resp.headers["X-Shopify-API-Version"] == served


def bulk_lines(emu: ShopifyEmulator, query: str, group: bool) -> list[dict[str, Any]]:
    run = """mutation($q: String!, $g: Boolean!) { bulkOperationRunQuery(query: $q,
      groupObjects: $g) { bulkOperation { id status } userErrors { message } } }"""
    body, _ = post(emu, run, {"q": query, "g": group})
    op_id = body["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
    assert emu.admin.bulk[op_id].done.wait(30)
    body, _ = post(emu, q.BULK_POLL, {"id": op_id})
    node = body["data"]["node"]
    assert node["status"] == "COMPLETED"
    body, _ = post(emu, "{ currentBulkOperation { id status rootObjectCount } }")
    current = body["data"]["currentBulkOperation"]
    assert (current["id"], current["status"]) == (op_id, "COMPLETED")
    assert current["rootObjectCount"] == node["rootObjectCount"]
    text = requests.get(node["url"], timeout=30).text
    lines = [json.loads(line) for line in text.splitlines()]
    assert int(node["objectCount"]) == len(lines)
    return lines


@pytest.mark.parametrize("group", [False, True])
def test_bulk_jsonl_follows_the_query(emu: ShopifyEmulator, group: bool) -> None:
    lines = bulk_lines(emu, q.BULK_VARIANTS_QUERY, group)
    seen: set[str] = set()
    kinds: dict[str, int] = {}
    for line in lines:
        assert line.get("__parentId") is None or line["__parentId"] in seen  # parent first
        kind = line.get("id", "gid://shopify/InventoryLevel/").split("/")[3]
        kinds[kind] = kinds.get(kind, 0) + 1
        if "id" in line:
            seen.add(line["id"])
        assert "variants" not in line and "inventoryLevels" not in line.get("inventoryItem", {})
    n = len(emu.store.variants)
    assert kinds == {
        "Product": len(emu.store.products),
        "ProductVariant": n,
        "InventoryLevel": 3 * n,
    }
    level = next(x for x in lines if "quantities" in x)
    assert level["__parentId"].startswith("gid://shopify/ProductVariant/")  # the nearest node
    if group:  # each variant's levels right after it
        at = next(i for i, x in enumerate(lines) if x.get("id", "").endswith(TEE))
        assert [x["__parentId"] for x in lines[at + 1 : at + 4]] == [lines[at]["id"]] * 3


def test_bulk_selection_is_the_query_and_invalid_ones_are_refused(emu: ShopifyEmulator) -> None:
    lines = bulk_lines(emu, "{ productVariants { edges { node { sku } } } }", False)
    assert lines[0] == {"sku": "CT-101-S-RED"} and len(lines) == len(emu.store.variants)
    run = (
        "mutation($q: String!) { bulkOperationRunQuery(query: $q) { userErrors { message code } } }"
    )
    body, _ = post(emu, run, {"q": "{ shop { nme } }"})
    assert body["data"]["bulkOperationRunQuery"]["userErrors"][0]["code"] == "INVALID"


def test_the_compiled_bulk_executor_agrees_with_graphql_core(emu: ShopifyEmulator) -> None:
    schema = load_schema("admin")
    for query in (
        q.BULK_VARIANTS_QUERY,
        "{ products { nodes { __typename title totalInventory "
        "variants { edges { node { ... on ProductVariant { sku inventoryQuantity } } } } } } }",
    ):
        doc = parse(query)
        ctx = Context(store=emu.store, server=emu.admin, bulk=True)
        core = execute_sync(
            schema,
            doc,
            context_value=ctx,
            field_resolver=field_resolver,
            type_resolver=type_resolver,
        )
        assert core.errors is None
        assert CompiledExecutor(schema, doc, {}).run(ctx) == core.data
        assert requested_cost(schema, doc) >= 0
