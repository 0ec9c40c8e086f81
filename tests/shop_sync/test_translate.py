"""Pure translation of GraphQL nodes, bulk JSONL and webhook payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sandbox.shopify.store import load_demo
from shop_sync.translate import (
    level_from_webhook,
    numeric_id,
    parse_time,
    product_from_webhook,
    variant_from_node,
    variants_from_bulk,
)

NODE = {
    "id": "gid://shopify/ProductVariant/11",
    "legacyResourceId": "11",
    "sku": "TEE-S",
    "title": "S / Red",
    "price": "24.50",
    "position": 1,
    "inventoryPolicy": "CONTINUE",
    "updatedAt": "2026-11-20T10:00:00Z",
    "selectedOptions": [{"name": "Size", "value": "S"}, {"name": "Color", "value": "Red"}],
    "product": {
        "id": "gid://shopify/Product/1",
        "legacyResourceId": "1",
        "handle": "tee",
        "title": "Tee",
        "status": "ACTIVE",
        "tags": ["live:101"],
        "updatedAt": "2026-11-20T10:00:00Z",
        "options": [{"name": "Size", "position": 1, "values": ["S"]}],
    },
    "inventoryItem": {"id": "gid://shopify/InventoryItem/21", "tracked": False},
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("gid://shopify/ProductVariant/123", "123"),
        ("gid://shopify/InventoryLevel/9?inventory_item_id=4", "9"),
        (123, "123"),
        (None, ""),
    ],
)
def test_numeric_id(raw: object, expected: str) -> None:
    assert numeric_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-20T09:30:00-05:00", datetime(2026, 11, 20, 14, 30, tzinfo=UTC)),
        ("2026-11-20T14:30:00Z", datetime(2026, 11, 20, 14, 30, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_time(raw: object, expected: datetime | None) -> None:
    assert parse_time(raw) == expected


def test_variant_node() -> None:
    r = variant_from_node(NODE)
    assert r is not None
    assert (r.variant_id, r.inventory_item_id, r.price, r.tracked, r.policy) == (
        "11",
        "21",
        Decimal("24.50"),
        False,
        "CONTINUE",
    )
    assert r.options == ("S", "Red", None) and r.levels is None


@pytest.mark.parametrize("broken", [{}, {"id": "gid://x/1"}, {**NODE, "price": "free"}])
def test_malformed_nodes_are_skipped(broken: dict[str, object]) -> None:
    assert variant_from_node(broken) is None


def test_bulk_children_far_from_parents_and_by_item_parent() -> None:
    v2 = {
        **NODE,
        "id": "gid://shopify/ProductVariant/12",
        "legacyResourceId": "12",
        "inventoryItem": {"id": "gid://shopify/InventoryItem/22", "tracked": True},
    }
    level = {"updatedAt": "2026-11-20T10:00:00Z", "location": {"id": "gid://shopify/Location/7"}}
    lines = [
        json.dumps(NODE),
        json.dumps(v2),
        json.dumps(
            {
                **level,
                "quantities": [{"name": "available", "quantity": 3}],
                "__parentId": "gid://shopify/InventoryItem/22",
            }
        ),
        "not json",
        json.dumps(
            {
                **level,
                "quantities": [{"name": "available", "quantity": 5}],
                "__parentId": "gid://shopify/ProductVariant/11",
            }
        ),
        json.dumps({**level, "__parentId": "gid://shopify/ProductVariant/999"}),
    ]
    got = {r.variant_id: r for r in variants_from_bulk(lines)}
    assert [lv.available for lv in got["11"].levels or ()] == [5]
    assert [lv.available for lv in got["12"].levels or ()] == [3]
    assert (got["12"].levels or ())[0].location_id == "7"


def test_product_webhook() -> None:
    payload = load_demo()[0]
    product, variants = product_from_webhook(payload)
    assert (product.product_id, product.handle, product.status) == (
        "7000000001",
        "classic-tee",
        "ACTIVE",
    )
    assert product.tags == ("apparel", "live:101", "livestream")
    assert len(variants) == 12 and variants[0].tracked and variants[0].policy == "DENY"
    with pytest.raises(ValueError):
        product_from_webhook({"title": "no id"})


def test_level_webhook() -> None:
    level = level_from_webhook(
        {
            "inventory_item_id": 46,
            "location_id": 1001,
            "available": 2,
            "updated_at": "2026-11-20T10:00:00-05:00",
        }
    )
    assert (level.inventory_item_id, level.location_id, level.available) == ("46", "1001", 2)
    with pytest.raises(ValueError):
        level_from_webhook({"inventory_item_id": 46})
