"""Signed webhooks from the emulator reach the app, are deduped, ordered by time and applied."""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from sandbox.shopify import SANDBOX_TOKEN, SANDBOX_WEBHOOK_SECRET, ShopifyEmulator
from sandbox.shopify.serve import ServedApp
from shop_sync.client import ShopifyClient
from shop_sync.config import HoldConfig, ShopConfig
from shop_sync.dedupe import DbDedupe, RedisDedupe
from shop_sync.hold_types import ClaimRequest
from shop_sync.holds import HoldBook
from shop_sync.inbox import InboxWorker
from shop_sync.mirror import Mirror
from shop_sync.reconcile import Reconciler
from shop_sync.tokens import StaticToken
from shop_sync.webhooks import WebhookReceiver, webhook_router

TEE_S_RED = "44000000001"  # 4 in stock
HOODIE_M_BLACK = "44000000016"  # 0 in stock


@dataclass
class Rig:
    emu: ShopifyEmulator
    receiver: WebhookReceiver
    mirror: Mirror
    holds: HoldBook
    orders: list[dict[str, Any]]

    def claim(self, n: int, variant: str, handle: str = "x") -> Any:
        return self.holds.claim(
            ClaimRequest(
                claim_key=f"yt:{n}",
                platform="yt",
                viewer_id=f"v{n}",
                viewer_name="V",
                variant_id=variant,
                product_handle=handle,
                quantity=1,
                show_id="s",
                sent_at=datetime.now(UTC),
            )
        )


@pytest.fixture
def rig(engine: Engine) -> Iterator[Rig]:
    now = lambda: datetime.now(UTC)  # noqa: E731  (the emulator stamps with real time)
    holds = HoldBook(engine, clock=now, config=HoldConfig())
    orders: list[dict[str, Any]] = []
    app = FastAPI()
    with ShopifyEmulator() as emu:
        config = ShopConfig(admin_base_url=emu.base_url)
        mirror = Mirror(engine, config)
        client = ShopifyClient(
            config, session=requests.Session(), tokens=StaticToken(SANDBOX_TOKEN)
        )
        reconciler = Reconciler(client, mirror, config, holds=holds)
        reconciler.full_sync()
        receiver = WebhookReceiver(
            engine=engine,
            mirror=mirror,
            holds=holds,
            secret=SANDBOX_WEBHOOK_SECRET,
            shop=emu.shop,
            dedupe=DbDedupe(engine),
            on_order=orders.append,
            reread=reconciler.lineup_sync,
        )
        app.include_router(webhook_router(receiver))
        with ServedApp(app) as served:
            emu.webhooks.target = served.url + "/webhooks/shopify"
            yield Rig(emu, receiver, mirror, holds, orders)


def test_restock_webhook_promotes_the_waitlist(rig: Rig) -> None:
    assert rig.claim(1, HOODIE_M_BLACK).kind == "waitlisted"
    rig.emu.set_available(HOODIE_M_BLACK, 2)
    assert rig.receiver.wait_applied(1)
    assert [h.claim_key for h in rig.holds.take_promotions()] == ["yt:1"]
    assert rig.mirror.sellable_quantity(HOODIE_M_BLACK) == 1


def test_forged_signature_is_refused_with_a_log_line(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    payload = rig.emu.store.set_available(TEE_S_RED, 0)
    delivery = rig.emu.webhooks.make("inventory_levels/update", payload)
    with caplog.at_level(logging.WARNING, logger="shop_sync.webhooks"):
        assert rig.emu.webhooks.post(delivery, secret="not-the-secret") == 401
    assert "bad or missing signature" in caplog.text
    assert rig.mirror.sellable_quantity(TEE_S_RED) == 4
    assert rig.emu.webhooks.post(delivery) == 200  # the genuine one still goes through
    assert rig.receiver.wait_applied(1)
    assert rig.mirror.sellable_quantity(TEE_S_RED) == 0


def test_duplicates_are_applied_once(rig: Rig) -> None:
    rig.emu.webhooks.duplicate_next(1)
    rig.emu.set_available(TEE_S_RED, 2)
    assert rig.receiver.wait_applied(1)
    assert [s for _, s in rig.emu.webhooks.sent] == [200, 200]
    assert rig.receiver.duplicates == 1 and rig.receiver.applied == 1
    # the same event delivered under a new webhook id (another subscription) is a duplicate too
    d = rig.emu.webhooks.sent[0][0]
    assert rig.emu.webhooks.post(replace(d, webhook_id=str(uuid.uuid4()))) == 200
    assert rig.receiver.duplicates == 2


def test_out_of_order_deliveries_keep_the_newest(rig: Rig) -> None:
    seconds = itertools.count(1)
    start = datetime.now(UTC)
    rig.emu.store.clock = lambda: start + timedelta(seconds=next(seconds))  # one change a second
    rig.emu.webhooks.pause()
    rig.emu.set_available(TEE_S_RED, 5)
    rig.emu.set_available(TEE_S_RED, 1)
    assert rig.emu.webhooks.flush(reverse=True) == [200, 200]
    assert rig.receiver.wait_applied(2)
    assert rig.mirror.sellable_quantity(TEE_S_RED) == 1


@pytest.mark.parametrize("newest_first", [True, False])
def test_same_second_level_updates_end_at_the_stores_figure(rig: Rig, newest_first: bool) -> None:
    second = datetime.now(UTC).replace(microsecond=0)
    rig.emu.store.clock = lambda: second  # both changes in one second, as Shopify stamps them
    rig.emu.webhooks.pause()
    rig.emu.set_available(TEE_S_RED, 7)
    rig.emu.set_available(TEE_S_RED, 2)  # the store's figure
    assert rig.emu.webhooks.flush(reverse=newest_first) == [200, 200]
    assert rig.receiver.wait_applied(2)
    assert rig.mirror.sellable_quantity(TEE_S_RED) == 2
    assert rig.emu.store.available(TEE_S_RED) == 2


def test_order_converts_its_hold_without_double_count(rig: Rig) -> None:
    held = rig.claim(1, TEE_S_RED, "classic-tee")
    assert held.kind == "held" and held.hold is not None
    assert rig.mirror.sellable_quantity(TEE_S_RED) == 3
    order = rig.emu.place_order(
        [(TEE_S_RED, 1)], note_attributes={"_shopstream_hold": held.hold.hold_id}
    )
    assert rig.receiver.wait_applied(2)  # orders/create, then inventory_levels/update
    hold = rig.holds.hold(held.hold.hold_id)
    assert hold is not None and hold.status == "converted"
    assert [o["id"] for o in rig.orders] == [order["id"]]
    assert rig.mirror.sellable_quantity(TEE_S_RED) == 3


def test_level_before_order_is_not_double_counted(rig: Rig) -> None:
    held = rig.claim(1, TEE_S_RED, "classic-tee")
    assert held.hold is not None
    rig.emu.webhooks.pause()
    rig.emu.place_order([(TEE_S_RED, 1)], note_attributes={"_shopstream_hold": held.hold.hold_id})
    rig.emu.webhooks.flush(reverse=True)  # the level update overtakes orders/create
    assert rig.receiver.wait_applied(2)
    assert rig.mirror.sellable_quantity(TEE_S_RED) == 3


def test_bad_input_never_changes_stock(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    send = rig.emu.webhooks
    with caplog.at_level(logging.INFO):
        bad_json = replace(send.make("inventory_levels/update", {}), body=b"{not json")
        assert send.post(bad_json) == 400
        assert send.send("shop/redact", {"x": 1}) == 200
        assert (
            send.send(
                "inventory_levels/update",
                {"inventory_item_id": 1, "location_id": 1001, "available": 50},
            )
            == 200
        )
        assert send.send("inventory_levels/update", {"available": 50}) == 200
        assert send.send("products/update", {"title": "no id"}) == 200
        assert rig.receiver.wait_applied(3)
    assert "unknown inventory item" in caplog.text
    assert "malformed" in caplog.text
    assert rig.mirror.sellable_quantity(TEE_S_RED) == 4


def test_product_webhooks_update_and_delete(rig: Rig) -> None:
    rig.emu.update_variant(TEE_S_RED, price="19.00", inventory_policy="continue")
    assert rig.receiver.wait_applied(1)
    v = rig.mirror.variant(TEE_S_RED)
    assert v is not None and str(v.price) == "19.00" and v.sellable_now is None
    rig.emu.delete_product("7000000001")
    assert rig.receiver.wait_applied(2)
    assert rig.mirror.variant(TEE_S_RED) is None
    assert all(p["handle"] != "classic-tee" for p in rig.mirror.catalog_products())


def test_recorded_but_unapplied_webhooks_apply_after_a_restart(engine: Engine) -> None:
    from sandbox.shopify.signing import sign

    def start() -> tuple[WebhookReceiver, InboxWorker, Mirror]:
        """What the app builds at start-up over the database (build_core)."""
        holds = HoldBook(engine, clock=lambda: datetime.now(UTC), config=HoldConfig())
        mirror = Mirror(engine, ShopConfig())
        receiver = WebhookReceiver(
            engine=engine,
            mirror=mirror,
            holds=holds,
            secret="s",
            shop="demo-shop.myshopify.com",
            dedupe=DbDedupe(engine),
        )
        return receiver, InboxWorker(engine, receiver.apply_event), mirror

    before, _, _ = start()
    body = b'{"id": 1, "title": "t", "handle": "h", "variants": []}'
    status, event = before.accept(
        {
            "X-Shopify-Topic": "products/create",
            "X-Shopify-Hmac-Sha256": sign(body, "s"),
            "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
            "X-Shopify-Webhook-Id": "w1",
        },
        body,
    )
    assert status == 200 and event is not None  # answered, then the process died unapplied
    receiver, worker, mirror = start()  # the restart
    assert worker.status().pending == 1
    assert worker.start_up() == 1 and worker.start_up() == 0
    assert receiver.applied == 1
    assert [p["handle"] for p in mirror.catalog_products()] == ["h"]
    assert worker.status().pending == 0


@pytest.mark.redis
def test_redis_dedupe_remembers_ids(redis_prefix: str) -> None:
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis not reachable: {exc}")
    prefix = redis_prefix
    store = RedisDedupe(client, prefix=prefix)
    try:
        assert store.first_time(["w:1", "e:t:1"])
        assert not store.first_time(["w:2", "e:t:1"])
        assert not store.first_time(["w:1"])
        assert store.first_time(["w:3"])
        assert 0 < client.ttl(prefix + "w:1") <= 6 * 3600
    finally:
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
        client.close()
