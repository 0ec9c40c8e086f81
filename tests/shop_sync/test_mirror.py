"""The mirror: sellable rule, counted locations, newest data wins, products.json output."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from shop_sync.config import ShopConfig
from shop_sync.mirror import LevelOutcome, Mirror
from shop_sync.translate import LevelRecord, ProductRecord, VariantRecord
from tests.fuzz import examples

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PRODUCT = ProductRecord(
    product_id="1",
    gid="gid://shopify/Product/1",
    handle="tee",
    title="Tee",
    status="ACTIVE",
    tags=("live:101",),
    options=(("Size", ("S", "M")),),
    updated_at=T,
)


def variant(
    vid: str = "11",
    *,
    tracked: bool = True,
    policy: str = "DENY",
    levels: tuple[tuple[str, int], ...] = (("1001", 3),),
    at: datetime = T,
) -> VariantRecord:
    return VariantRecord(
        variant_id=vid,
        gid=f"gid://shopify/ProductVariant/{vid}",
        product=PRODUCT,
        inventory_item_id=f"2{vid}",
        sku=f"TEE-{vid}",
        title="S",
        position=1,
        options=("S", None, None),
        price=Decimal("24.00"),
        tracked=tracked,
        policy=policy,
        updated_at=at,
        levels=tuple(
            LevelRecord(inventory_item_id=f"2{vid}", location_id=loc, available=n, updated_at=at)
            for loc, n in levels
        ),
    )


@pytest.mark.parametrize(
    ("tracked", "policy", "available", "expected"),
    [
        (True, "DENY", 3, 3),
        (True, "DENY", 0, 0),
        (True, "DENY", -2, 0),
        (True, "CONTINUE", 0, None),
        (False, "DENY", 0, None),
    ],
)
def test_sellable_rule(
    engine: Engine, tracked: bool, policy: str, available: int, expected: int | None
) -> None:
    mirror = Mirror(engine, ShopConfig())
    mirror.apply_variants([variant(tracked=tracked, policy=policy, levels=(("1001", available),))])
    assert mirror.sellable_quantity("11") == expected


def test_only_counted_locations_count(engine: Engine) -> None:
    mirror = Mirror(engine, ShopConfig(locations=("gid://shopify/Location/1001", "1003")))
    mirror.apply_variants([variant(levels=(("1001", 2), ("1002", 50), ("1003", 1)))])
    assert mirror.sellable_quantity("11") == 3
    assert (
        Mirror(engine, ShopConfig()).catalog_products()[0]["variants"][0]["inventory_quantity"] == 3
    )


def test_an_older_level_never_overwrites_a_newer_one(engine: Engine) -> None:
    mirror = Mirror(engine, ShopConfig())
    mirror.apply_variants([variant()])
    newer = LevelRecord(
        inventory_item_id="211",
        location_id="1001",
        available=1,
        updated_at=T + timedelta(minutes=5),
    )
    older = replace(newer, available=7, updated_at=T + timedelta(minutes=1))
    assert mirror.apply_level(newer) == LevelOutcome(variant_id="11")
    assert mirror.apply_level(older) == LevelOutcome(variant_id="11")
    assert mirror.sellable_quantity("11") == 1
    mirror.apply_variants([variant(levels=(("1001", 9),))])  # a stale full-sync read
    assert mirror.sellable_quantity("11") == 1


@pytest.mark.parametrize(
    ("held", "incoming", "expected", "sellable"),
    [
        # (seconds after T, figure) in the mirror, then the webhook's
        ((0, 3), (0, 3), LevelOutcome(variant_id="11"), 3),  # same second, same figure
        ((0, 3), (0, 7), LevelOutcome(variant_id="11", unsettled=True), 3),  # not stored
        ((0, 3), (1, 7), LevelOutcome(variant_id="11"), 7),  # a newer second applies
        ((1, 3), (0, 7), LevelOutcome(variant_id="11"), 3),  # an older one is ignored
    ],
)
def test_same_second_levels_are_left_unsettled(
    engine: Engine,
    held: tuple[int, int],
    incoming: tuple[int, int],
    expected: LevelOutcome,
    sellable: int,
) -> None:
    mirror = Mirror(engine, ShopConfig())
    mirror.apply_variants([variant(levels=(("1001", held[1]),), at=T + timedelta(seconds=held[0]))])
    # a microsecond part (not Shopify's) still counts as the same second
    at = T + timedelta(seconds=incoming[0], microseconds=250_000)
    level = LevelRecord(
        inventory_item_id="211", location_id="1001", available=incoming[1], updated_at=at
    )
    assert mirror.apply_level(level) == expected
    assert mirror.sellable_quantity("11") == sellable


def test_unknown_inventory_item_changes_nothing(engine: Engine) -> None:
    mirror = Mirror(engine, ShopConfig())
    mirror.apply_variants([variant()])
    level = LevelRecord(inventory_item_id="999", location_id="1001", available=5, updated_at=T)
    assert mirror.apply_level(level) == LevelOutcome(variant_id=None)
    assert mirror.sellable_quantity("11") == 3


def test_product_update_removes_dropped_variants_and_delete_clears(engine: Engine) -> None:
    mirror = Mirror(engine, ShopConfig())
    mirror.apply_variants([variant("11"), variant("12")])
    later = replace(PRODUCT, updated_at=T + timedelta(hours=1), title="Tee v2")
    mirror.apply_product(
        later, [replace(variant("11", at=T + timedelta(hours=1)), product=later, levels=None)]
    )
    assert mirror.variant("12") is None and mirror.sellable_quantity("12") == 0
    assert mirror.catalog_products()[0]["title"] == "Tee v2"
    # an older products/update arriving late changes nothing
    assert mirror.apply_product(replace(PRODUCT, title="old"), []) == []
    assert mirror.catalog_products()[0]["title"] == "Tee v2"
    mirror.delete_product("1")
    assert mirror.catalog_products() == [] and mirror.sellable_quantity("11") == 0


def test_catalog_products_shape(engine: Engine) -> None:
    mirror = Mirror(engine, ShopConfig(currency="EUR"))
    mirror.apply_variants([variant(), variant("12", policy="CONTINUE", levels=(("1001", 0),))])
    [product] = mirror.catalog_products()
    assert (product["id"], product["handle"], product["tags"]) == (1, "tee", "live:101")
    assert product["options"] == [{"name": "Size", "position": 1, "values": ["S", "M"]}]
    v11, v12 = product["variants"]
    assert (v11["id"], v11["sku"], v11["price"], v11["option1"], v11["inventory_quantity"]) == (
        11,
        "TEE-11",
        "24.00",
        "S",
        3,
    )
    assert (v12["inventory_policy"], v12["available"]) == ("continue", True)
    mv = mirror.variant("11")
    assert mv is not None and mv.currency == "EUR" and mv.price == Decimal("24.00")


@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    updates=st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 10_000)),
        min_size=1,
        max_size=12,
        unique_by=lambda u: u[1],
    ),
    order=st.randoms(use_true_random=False),
)
def test_levels_in_any_order_end_at_the_newest(
    sqlite_db_url: str, updates: list[tuple[int, int]], order: object
) -> None:
    import random
    import uuid

    from sqlmodel import SQLModel

    from shopstream.storage import make_engine

    engine = make_engine(sqlite_db_url.replace("test.db", f"{uuid.uuid4().hex}.db"))
    SQLModel.metadata.create_all(engine)
    mirror = Mirror(engine, ShopConfig())
    mirror.apply_variants([variant(levels=(("1001", 0),), at=T - timedelta(days=1))])
    shuffled = list(updates)
    assert isinstance(order, random.Random)
    order.shuffle(shuffled)
    for available, seconds in shuffled:
        mirror.apply_level(
            LevelRecord(
                inventory_item_id="211",
                location_id="1001",
                available=available,
                updated_at=T + timedelta(seconds=seconds),
            )
        )
    assert mirror.sellable_quantity("11") == max(updates, key=lambda u: u[1])[0]
    engine.dispose()
