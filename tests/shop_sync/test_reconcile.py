"""Full, incremental and lineup syncs from the emulator, and the scheduler jobs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine

from sandbox.shopify import SANDBOX_TOKEN, ShopifyEmulator
from shop_sync.client import ShopifyClient
from shop_sync.config import HoldConfig, ShopConfig
from shop_sync.hold_types import ClaimRequest
from shop_sync.holds import HoldBook
from shop_sync.mirror import Mirror
from shop_sync.reconcile import Reconciler

TEE = "44000000001"
HOODIE_M_BLACK = "44000000016"


@pytest.fixture
def emu() -> Iterator[ShopifyEmulator]:
    with ShopifyEmulator() as e:
        yield e


def rig(engine: Engine, emu: ShopifyEmulator, **cfg: object) -> tuple[Reconciler, Mirror, HoldBook]:
    config = ShopConfig(admin_base_url=emu.base_url, **cfg)  # type: ignore[arg-type]
    client = ShopifyClient(
        config, session=requests.Session(), tokens=_token(), sleep=lambda s: None
    )
    mirror = Mirror(engine, config)
    holds = HoldBook(engine, clock=lambda: datetime.now(UTC), config=HoldConfig())
    return Reconciler(client, mirror, config, holds=holds), mirror, holds


def _token():  # type: ignore[no-untyped-def]
    from shop_sync.tokens import StaticToken

    return StaticToken(SANDBOX_TOKEN)


@pytest.mark.parametrize("method", ["bulk", "paged"])
def test_full_sync_mirrors_the_store(engine: Engine, emu: ShopifyEmulator, method: str) -> None:
    reconciler, mirror, _ = rig(engine, emu, full_sync_method=method, page_size=20)
    seen: list[tuple[int, int | None]] = []
    report = reconciler.full_sync(progress=lambda d, t: seen.append((d, t)))
    assert (report.kind, report.variants, report.removed) == ("full", 62, 0)
    assert seen
    products = mirror.catalog_products()
    assert len(products) == 12 and sum(len(p["variants"]) for p in products) == 62
    assert mirror.sellable_quantity(TEE) == 4 and mirror.sellable_quantity(HOODIE_M_BLACK) == 0
    emu.delete_product("7000000012", notify=False)
    assert reconciler.full_sync().removed == 3


def test_incremental_reads_only_what_changed_and_promotes(
    engine: Engine, emu: ShopifyEmulator
) -> None:
    reconciler, mirror, holds = rig(engine, emu, full_sync_method="paged")
    reconciler.full_sync()
    out = holds.claim(
        ClaimRequest(
            claim_key="fb:1",
            platform="fb",
            viewer_id="u",
            viewer_name="U",
            variant_id=HOODIE_M_BLACK,
            product_handle="cozy-hoodie",
            quantity=1,
            show_id="s",
            sent_at=datetime.now(UTC),
        )
    )
    assert out.kind == "waitlisted"
    emu.set_available(HOODIE_M_BLACK, 3, notify=False)  # a webhook that never arrived
    report = reconciler.incremental_sync()
    assert report.variants == 1 and report.promoted == 1
    assert mirror.sellable_quantity(HOODIE_M_BLACK) == 2


def test_lineup_job_runs_only_during_a_show(engine: Engine, emu: ShopifyEmulator) -> None:
    reconciler, mirror, _ = rig(engine, emu)
    reconciler.full_sync()
    emu.set_available(TEE, 1, notify=False)
    assert reconciler.lineup_job(lambda: [TEE], lambda: False) is None
    assert mirror.sellable_quantity(TEE) == 4
    report = reconciler.lineup_job(lambda: [TEE], lambda: True)
    assert report is not None and report.variants == 1
    assert mirror.sellable_quantity(TEE) == 1


def test_a_failing_job_reports_status_and_recovers(engine: Engine, emu: ShopifyEmulator) -> None:
    reconciler, _, _ = rig(engine, emu, max_retries=0)
    emu.inject("graphql_error")
    assert reconciler.full_sync_job() is None and reconciler.status == "unknown"
    assert reconciler.full_sync_job() is not None and reconciler.status == "ok"


async def test_jobs_are_scheduled(engine: Engine, emu: ShopifyEmulator) -> None:
    reconciler, _, _ = rig(engine, emu, incremental_seconds=120, lineup_seconds=5)
    scheduler = AsyncIOScheduler()
    jobs = reconciler.schedule(scheduler, lineup=lambda: [TEE], show_running=lambda: True)
    assert sorted(j.id for j in jobs) == [
        "shop_sync.full",
        "shop_sync.incremental",
        "shop_sync.lineup",
    ]
    assert scheduler.get_job("shop_sync.lineup").trigger.interval.total_seconds() == 5
    assert scheduler.get_job("shop_sync.incremental").trigger.interval.total_seconds() == 120
