"""A variant stocked at more locations than one read returns: every level is counted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy.engine import Engine

from sandbox.shopify import SANDBOX_TOKEN, ShopifyEmulator
from sandbox.shopify.graphql import levels_connection
from shop_sync import queries
from shop_sync.client import ShopifyClient
from shop_sync.config import ShopConfig
from shop_sync.mirror import Mirror
from shop_sync.reconcile import Reconciler
from shop_sync.tokens import StaticToken
from shop_sync.translate import levels_from_connection

TEE = "44000000001"  # 4 in stock at the first location
LOCATIONS = tuple(str(1001 + n) for n in range(7))


@pytest.fixture
def emu() -> Iterator[ShopifyEmulator]:
    # a large bucket: these tests do not sleep, and they are not about throttling
    with ShopifyEmulator(locations=LOCATIONS, bucket_max=100_000.0) as e:
        e.set_available(TEE, 2, location=LOCATIONS[5], notify=False)  # the 6th
        e.set_available(TEE, 3, location=LOCATIONS[6], notify=False)  # the 7th
        yield e


def reconciler(engine: Engine, emu: ShopifyEmulator, **cfg: object) -> tuple[Reconciler, Mirror]:
    config = ShopConfig(admin_base_url=emu.base_url, **cfg)  # type: ignore[arg-type]
    client = ShopifyClient(
        config, session=requests.Session(), tokens=StaticToken(SANDBOX_TOKEN), sleep=lambda s: 0
    )
    mirror = Mirror(engine, config)
    return Reconciler(client, mirror, config, clock=lambda: datetime.now(UTC)), mirror


def test_one_read_returns_fewer_levels_than_the_store_has() -> None:
    assert len(LOCATIONS) > queries.LEVELS_FIRST  # else this file proves nothing


@pytest.mark.parametrize("method", ["paged", "bulk"])
def test_full_sync_counts_every_location(engine: Engine, emu: ShopifyEmulator, method: str) -> None:
    sync, mirror = reconciler(engine, emu, full_sync_method=method, page_size=20)
    sync.full_sync()
    assert mirror.sellable_quantity(TEE) == 4 + 2 + 3
    assert emu.store.available(TEE) == 9


def test_lineup_and_incremental_reads_count_every_location(
    engine: Engine, emu: ShopifyEmulator
) -> None:
    sync, mirror = reconciler(engine, emu, full_sync_method="paged", page_size=20)
    sync.full_sync()
    emu.set_available(TEE, 6, location=LOCATIONS[6], notify=False)
    sync.lineup_sync([TEE])
    assert mirror.sellable_quantity(TEE) == 4 + 2 + 6
    emu.set_available(TEE, 1, location=LOCATIONS[5], notify=False)
    sync.incremental_sync()
    assert mirror.sellable_quantity(TEE) == 4 + 1 + 6


def test_the_emulator_pages_levels_by_first_and_after(emu: ShopifyEmulator) -> None:
    item = str(emu.store.variants[TEE]["inventory_item_id"])
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        connection = levels_connection(emu.store, item, first=3, after=after)
        levels, after = levels_from_connection(item, connection)
        assert len(levels) <= 3
        seen += [lv.location_id for lv in levels]
        pages += 1
        if after is None:
            break
    assert (pages, tuple(seen)) == (3, LOCATIONS)
