"""Webhooks in today's shapes (Shopify's samples as fixtures) keep the mirror's stock honest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from sandbox.shopify.store import REMOVED_WEBHOOK_FIELDS, EmulatedStore, load_demo
from shop_sync.config import HoldConfig, ShopConfig
from shop_sync.dedupe import DbDedupe
from shop_sync.hold_types import ClaimRequest
from shop_sync.holds import HoldBook
from shop_sync.mirror import Mirror
from shop_sync.translate import VariantRecord, variant_from_node
from shop_sync.webhooks import WebhookReceiver
from tests.shop_sync.samples import sample, sample_topic

SMALL = "6426670414"  # the sample's first variant, item 4426670414
MEDIUM = "7576504846"  # the second; the sample sends no inventory item for it
LOCATION = "24826418"
SEEN = "2026-11-23T19:00:00Z"  # the last GraphQL read, before the webhook's stamp


def graphql_variant(vid: str, item: str, *, tracked: bool, available: int) -> VariantRecord:
    """The variant as a GraphQL read gave it (``InventoryItem.tracked``, one level)."""
    node: dict[str, Any] = {
        "id": f"gid://shopify/ProductVariant/{vid}",
        "legacyResourceId": vid,
        "sku": None,
        "title": "Small",
        "price": "19.99",
        "position": 1,
        "inventoryPolicy": "DENY",
        "updatedAt": SEEN,
        "selectedOptions": [{"name": "Size", "value": "Small"}],
        "product": {
            "id": "gid://shopify/Product/7880321196",
            "legacyResourceId": "7880321196",
            "handle": "example-t-shirt",
            "title": "Example T-Shirt",
            "status": "ACTIVE",
            "tags": ["example"],
            "updatedAt": SEEN,
            "options": [{"name": "Size", "position": 1, "values": ["Small", "Medium"]}],
        },
        "inventoryItem": {
            "id": f"gid://shopify/InventoryItem/{item}",
            "legacyResourceId": item,
            "tracked": tracked,
            "inventoryLevels": {
                "nodes": [
                    {
                        "updatedAt": SEEN,
                        "location": {"id": f"gid://shopify/Location/{LOCATION}"},
                        "quantities": [{"name": "available", "quantity": available}],
                    }
                ]
            },
        },
    }
    record = variant_from_node(node)
    assert record is not None
    return record


def receiver_for(engine: Engine, mirror: Mirror, holds: HoldBook) -> WebhookReceiver:
    return WebhookReceiver(
        engine=engine,
        mirror=mirror,
        holds=holds,
        secret="s",
        shop="shop.myshopify.com",
        dedupe=DbDedupe(engine),
    )


def claim(holds: HoldBook, n: int, variant: str) -> str:
    return holds.claim(
        ClaimRequest(
            claim_key=f"yt:{n}",
            platform="yt",
            viewer_id=f"v{n}",
            viewer_name="V",
            variant_id=variant,
            product_handle="example-t-shirt",
            quantity=1,
            show_id="s",
            sent_at=datetime.now(UTC),
        )
    ).kind


def test_the_sample_is_todays_shape() -> None:
    payload = sample("products_update_2025-10")
    assert sample_topic("products_update_2025-10") == "products/update"
    for v in payload["variants"]:
        assert not set(REMOVED_WEBHOOK_FIELDS) & set(v)


def test_a_product_update_without_tracking_never_makes_stock_unlimited(engine: Engine) -> None:
    mirror = Mirror(engine, ShopConfig())
    holds = HoldBook(engine, clock=lambda: datetime.now(UTC), config=HoldConfig())
    mirror.apply_variants([graphql_variant(SMALL, "4426670414", tracked=True, available=5)])
    assert mirror.sellable_quantity(SMALL) == 5
    touched = receiver_for(engine, mirror, holds).apply(
        "products/update", sample("products_update_2025-10")
    )
    assert SMALL in touched
    kinds = [claim(holds, n, SMALL) for n in range(8)]
    assert kinds.count("held") == 5
    assert mirror.sellable_quantity(SMALL) == 0


@pytest.mark.parametrize(
    ("mirror_tracked", "payload_field", "expected"),
    [
        (True, "absent", 5),  # today's payload: the mirror's tracking holds
        (False, "absent", None),  # untracked stays unlimited
        (True, None, None),  # a pre-2024-07 payload saying untracked is believed
        (False, "shopify", 5),  # ... and one saying tracked
    ],
)
def test_tracking_comes_from_the_payload_only_when_it_says(
    engine: Engine, mirror_tracked: bool, payload_field: str | None, expected: int | None
) -> None:
    mirror = Mirror(engine, ShopConfig())
    holds = HoldBook(engine, clock=lambda: datetime.now(UTC), config=HoldConfig())
    mirror.apply_variants(
        [graphql_variant(SMALL, "4426670414", tracked=mirror_tracked, available=5)]
    )
    payload = sample("products_update_2025-10")
    if payload_field != "absent":
        payload["variants"][0]["inventory_management"] = payload_field
    receiver_for(engine, mirror, holds).apply("products/update", payload)
    assert mirror.sellable_quantity(SMALL) == expected


def test_a_variant_first_seen_in_a_webhook_counts_as_tracked(engine: Engine) -> None:
    mirror = Mirror(engine, ShopConfig())
    holds = HoldBook(engine, clock=lambda: datetime.now(UTC), config=HoldConfig())
    receiver_for(engine, mirror, holds).apply("products/create", sample("products_update_2025-10"))
    found = mirror.variant(MEDIUM)
    assert found is not None and found.tracked
    assert mirror.sellable_quantity(MEDIUM) == 0  # no level read yet: nothing to promise


def test_a_missing_inventory_item_keeps_the_mirrors(engine: Engine) -> None:
    mirror = Mirror(engine, ShopConfig())
    holds = HoldBook(engine, clock=lambda: datetime.now(UTC), config=HoldConfig())
    mirror.apply_variants([graphql_variant(MEDIUM, "4576504846", tracked=True, available=3)])
    receiver = receiver_for(engine, mirror, holds)
    receiver.apply("products/update", sample("products_update_2025-10"))
    found = mirror.variant(MEDIUM)
    assert found is not None and found.inventory_item_id == "4576504846"
    level = sample("inventory_levels_update") | {"inventory_item_id": 4576504846}
    assert receiver.apply(sample_topic("inventory_levels_update"), level) == [MEDIUM]
    assert mirror.sellable_quantity(MEDIUM) == 2


def test_the_emulator_sends_todays_shape_with_whole_second_stamps() -> None:
    ticks = iter(
        [
            datetime(2026, 11, 23, 20, 0, 7, 123456, tzinfo=UTC),
            datetime(2026, 11, 23, 20, 0, 7, 654321, tzinfo=UTC),
        ]
    )
    store = EmulatedStore(load_demo(), clock=lambda: next(ticks))
    vid = store.ordered_variant_ids()[0]
    level = store.set_available(vid, 3)
    payload = store.update_variant(vid, price="9.00")
    assert level["updated_at"] == "2026-11-23T20:00:07Z"
    assert next(v for v in payload["variants"] if str(v["id"]) == vid)["updated_at"] == (
        "2026-11-23T20:00:07Z"
    )
    for v in payload["variants"]:
        assert not set(REMOVED_WEBHOOK_FIELDS) & set(v)
        assert "inventory_item_id" in v and "inventory_quantity" in v
    assert {g["admin_graphql_api_id"] for g in payload["variant_gids"]} == {
        v["admin_graphql_api_id"] for v in payload["variants"]
    }


def test_shopifys_order_shape_converts_the_hold_it_names(engine: Engine) -> None:
    mirror = Mirror(engine, ShopConfig())
    holds = HoldBook(engine, clock=lambda: datetime.now(UTC), config=HoldConfig())
    mirror.apply_variants([graphql_variant(SMALL, "4426670414", tracked=True, available=5)])
    held = holds.claim(
        ClaimRequest(
            claim_key="yt:1",
            platform="yt",
            viewer_id="v1",
            viewer_name="V",
            variant_id=SMALL,
            product_handle="example-t-shirt",
            quantity=1,
            show_id="s",
            sent_at=datetime.now(UTC),
        )
    )
    assert held.hold is not None
    order = sample("orders_create_2025-10")
    order["note_attributes"] = [{"name": "_shopstream_hold", "value": held.hold.hold_id}]
    receiver_for(engine, mirror, holds).apply(sample_topic("orders_create_2025-10"), order)
    converted = holds.hold(held.hold.hold_id)
    assert converted is not None and converted.status == "converted"
    assert mirror.sellable_quantity(SMALL) == 4  # sold once, until the level update says so


def test_a_product_without_stamps_gets_them_when_the_store_loads_it() -> None:
    """A merchant's CSV export carries no updated_at; Shopify's schema makes Product.updatedAt
    non-null, so a GraphQL read of such a product failed mid-rehearsal (issue 19)."""
    at = datetime(2026, 11, 23, 20, 0, 7, tzinfo=UTC)
    product = {"id": 7, "handle": "scarf", "title": "Scarf", "variants": [{"id": 70}]}
    store = EmulatedStore([product], clock=lambda: at)
    loaded = store.products["7"]
    assert loaded["updated_at"] == loaded["created_at"] == "2026-11-23T20:00:07Z"
    assert store.variants["70"]["updated_at"] == "2026-11-23T20:00:07Z"
