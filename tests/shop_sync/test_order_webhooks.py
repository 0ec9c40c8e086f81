"""Revenue from order webhooks in today's shapes: paid orders only, reversed by cancellation and
refunds; stale, unknown-topic and duplicate deliveries are ignored with a log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import checkout_links.models  # noqa: F401  (registers the ledger tables)
from checkout_links.attribution import attribute_order, read_refund
from checkout_links.ledger import OrderLedger
from sandbox.shopify import SANDBOX_WEBHOOK_SECRET, ShopifyEmulator
from sandbox.shopify.serve import ServedApp
from sandbox.shopify.webhook_sender import WebhookSender
from shop_sync.config import HoldConfig, ShopConfig
from shop_sync.dedupe import DbDedupe
from shop_sync.holds import HoldBook
from shop_sync.mirror import Mirror
from shop_sync.models import ShopWebhookEvent, table
from shop_sync.webhooks import WebhookReceiver, webhook_router
from tests.shop_sync.samples import sample, sample_topic
from tests.support.clock import FakeClock

SHOP = "shop.myshopify.com"
SHOW = [
    {"name": "_shopstream_show", "value": "show-7"},
    {"name": "_shopstream_platform", "value": "twitch"},
]


@pytest.fixture
def ledger_engine(engine: Engine) -> Engine:
    SQLModel.metadata.create_all(engine)
    return engine


def receiver_for(engine: Engine, clock: FakeClock, ledger: OrderLedger) -> WebhookReceiver:
    return WebhookReceiver(
        engine=engine,
        mirror=Mirror(engine, ShopConfig()),
        holds=HoldBook(engine, clock=clock, config=HoldConfig()),
        secret="s",
        shop=SHOP,
        dedupe=DbDedupe(engine, clock=clock),
        on_order=ledger.record_payload,
        on_refund=ledger.record_refund_payload,
        clock=clock,
    )


def deliver(
    receiver: WebhookReceiver, sender: WebhookSender, topic: str, payload: Any, **kw: Any
) -> tuple[int, int | None]:
    """Sign and accept one delivery, then apply it as the router would."""
    d = sender.make(topic, payload, **kw)
    status, event_id = receiver.accept(sender.headers(d), d.body)
    if event_id is not None:
        receiver.apply_event(event_id)
    return status, event_id


def shown(name: str) -> dict[str, Any]:
    payload = sample(name)
    payload["note_attributes"] = SHOW
    return payload


def revenue(ledger: OrderLedger) -> dict[tuple[str, str], Decimal]:
    return dict(ledger.revenue("show-7").revenue_by_platform)


# --- pure reading of Shopify's samples ----------------------------------------------------


def test_shopifys_voided_cancelled_sample_is_no_revenue() -> None:
    a = attribute_order(shown("orders_cancelled_2026-04"))
    assert sample_topic("orders_cancelled_2026-04") == "orders/cancelled"
    assert a.attributed and a.total == Decimal("404.95")
    assert a.financial_status == "voided" and a.cancelled_at is not None
    assert not a.is_revenue


@pytest.mark.parametrize(
    ("status", "cancelled", "counts"),
    [
        ("paid", False, True),
        ("partially_refunded", False, True),
        ("pending", False, False),
        ("authorized", False, False),
        ("partially_paid", False, False),
        ("voided", False, False),
        ("", False, False),  # a payload that does not say is not counted
        ("paid", True, False),
    ],
)
def test_only_paid_uncancelled_orders_are_revenue(
    status: str, cancelled: bool, counts: bool
) -> None:
    payload = shown("orders_paid_2026-04")
    payload["financial_status"] = status
    payload["cancelled_at"] = "2026-11-24T09:00:00-05:00" if cancelled else None
    assert attribute_order(payload).is_revenue is counts


def test_the_refund_sample_reads_as_money_back_in_the_orders_currency() -> None:
    refund = read_refund(sample("refunds_create_2026-04"))
    assert (refund.refund_id, refund.order_id) == ("890088186047892319", "8209829119")
    assert refund.amount == Decimal("19.99")
    assert refund.currency == "USD"  # from the line's shop money: the transaction says null
    assert refund.lines == (("4878176722", Decimal("19.99")),)


# --- the ledger behind the receiver -------------------------------------------------------


def test_pending_then_paid_then_partly_refunded_then_cancelled(
    ledger_engine: Engine, clock: FakeClock
) -> None:
    ledger = OrderLedger(ledger_engine, clock=clock)
    receiver = receiver_for(ledger_engine, clock, ledger)
    sender = WebhookSender(secret="s", shop=SHOP, api_version="2026-07", clock=clock)
    created = shown("orders_create_2025-10")
    created["financial_status"] = "pending"
    assert deliver(receiver, sender, "orders/create", created)[0] == 200
    assert revenue(ledger) == {}
    assert ledger.revenue("show-7").orders_by_platform == {}

    deliver(receiver, sender, "orders/paid", shown("orders_paid_2026-04"))
    assert revenue(ledger) == {("twitch", "USD"): Decimal("29.99")}

    refund = sample("refunds_create_2026-04")
    deliver(receiver, sender, "refunds/create", refund)
    deliver(receiver, sender, "refunds/create", refund)  # a new delivery of the same refund
    assert revenue(ledger) == {("twitch", "USD"): Decimal("10.00")}
    assert ledger.revenue("show-7").revenue_by_product == {("7880321196", "USD"): Decimal("0.00")}
    assert len(ledger.refunds()) == 1

    cancelled = shown("orders_paid_2026-04")
    cancelled.update(cancelled_at="2026-11-24T11:00:00-05:00", financial_status="refunded")
    deliver(receiver, sender, "orders/cancelled", cancelled)
    assert revenue(ledger) == {}
    assert receiver.failed == 0


def test_deliveries_in_any_order_end_the_same(ledger_engine: Engine, clock: FakeClock) -> None:
    ledger = OrderLedger(ledger_engine, clock=clock)
    receiver = receiver_for(ledger_engine, clock, ledger)
    sender = WebhookSender(secret="s", shop=SHOP, api_version="2026-07", clock=clock)
    created = shown("orders_create_2025-10")
    created["financial_status"] = "pending"
    deliver(receiver, sender, "refunds/create", sample("refunds_create_2026-04"))
    deliver(receiver, sender, "orders/paid", shown("orders_paid_2026-04"))
    deliver(receiver, sender, "orders/create", created)  # older: stays paid
    assert [o.financial_status for o in ledger.orders()] == ["paid"]
    assert revenue(ledger) == {("twitch", "USD"): Decimal("10.00")}


def test_shopifys_cancelled_sample_is_attributed_zero(
    ledger_engine: Engine, clock: FakeClock
) -> None:
    ledger = OrderLedger(ledger_engine, clock=clock)
    receiver = receiver_for(ledger_engine, clock, ledger)
    sender = WebhookSender(secret="s", shop=SHOP, api_version="2026-07", clock=clock)
    deliver(receiver, sender, "orders/cancelled", shown("orders_cancelled_2026-04"))
    assert [o.order_id for o in ledger.orders("show-7")] == ["820982911946154508"]  # recorded
    assert revenue(ledger) == {}


# --- bad input: stale, duplicate, unknown topic, malformed --------------------------------


def test_a_stale_stock_delivery_is_ignored_but_a_late_refund_still_counts(
    ledger_engine: Engine, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = OrderLedger(ledger_engine, clock=clock)
    receiver = receiver_for(ledger_engine, clock, ledger)
    old = FakeClock(clock.now - timedelta(hours=6))
    sender = WebhookSender(secret="s", shop=SHOP, api_version="2026-07", clock=old)
    deliver(receiver, sender, "orders/paid", shown("orders_paid_2026-04"))
    caplog.set_level(logging.INFO, logger="shop_sync.webhooks")
    level = sample("inventory_levels_update")
    assert deliver(receiver, sender, "inventory_levels/update", level) == (200, None)
    assert receiver.stale == 1
    assert "stale inventory_levels/update" in caplog.text
    status, event_id = deliver(receiver, sender, "refunds/create", sample("refunds_create_2026-04"))
    assert status == 200 and event_id is not None
    assert revenue(ledger) == {("twitch", "USD"): Decimal("10.00")}
    fresh = WebhookSender(secret="s", shop=SHOP, api_version="2026-07", clock=clock)
    assert deliver(receiver, fresh, "inventory_levels/update", level)[1] is not None


def test_a_duplicate_event_id_is_applied_once(ledger_engine: Engine, clock: FakeClock) -> None:
    ledger = OrderLedger(ledger_engine, clock=clock)
    receiver = receiver_for(ledger_engine, clock, ledger)
    sender = WebhookSender(secret="s", shop=SHOP, api_version="2026-07", clock=clock)
    first = deliver(receiver, sender, "orders/paid", shown("orders_paid_2026-04"), event_id="e1")
    again = deliver(receiver, sender, "orders/paid", shown("orders_paid_2026-04"), event_id="e1")
    assert first[1] is not None and again == (200, None)
    assert receiver.duplicates == 1


def test_an_unknown_topic_is_answered_and_ignored_with_a_log_line(
    ledger_engine: Engine, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = OrderLedger(ledger_engine, clock=clock)
    receiver = receiver_for(ledger_engine, clock, ledger)
    sender = WebhookSender(secret="s", shop=SHOP, api_version="2026-07", clock=clock)
    caplog.set_level(logging.INFO, logger="shop_sync.webhooks")
    assert deliver(receiver, sender, "orders/fulfilled", shown("orders_paid_2026-04")) == (
        200,
        None,
    )
    assert receiver.ignored == 1 and "'orders/fulfilled'" in caplog.text
    assert ledger.orders() == []
    with ledger_engine.connect() as conn:
        assert conn.execute(table(ShopWebhookEvent).select()).first() is None


def test_a_refund_of_no_order_or_an_unsigned_one_changes_nothing(
    ledger_engine: Engine, clock: FakeClock
) -> None:
    ledger = OrderLedger(ledger_engine, clock=clock)
    receiver = receiver_for(ledger_engine, clock, ledger)
    sender = WebhookSender(secret="s", shop=SHOP, api_version="2026-07", clock=clock)
    broken = sample("refunds_create_2026-04")
    del broken["order_id"]
    assert deliver(receiver, sender, "refunds/create", broken)[0] == 200
    forged = WebhookSender(secret="other", shop=SHOP, api_version="2026-07", clock=clock)
    assert deliver(receiver, forged, "refunds/create", sample("refunds_create_2026-04")) == (
        401,
        None,
    )
    assert ledger.refunds() == [] and receiver.failed == 0


# --- end to end through the emulator --------------------------------------------------------


@pytest.fixture
def served(ledger_engine: Engine) -> Iterator[tuple[ShopifyEmulator, OrderLedger, WebhookReceiver]]:
    ledger = OrderLedger(ledger_engine)
    with ShopifyEmulator() as emu:
        receiver = WebhookReceiver(
            engine=ledger_engine,
            mirror=Mirror(ledger_engine, ShopConfig(admin_base_url=emu.base_url)),
            holds=HoldBook(ledger_engine, clock=lambda: datetime.now(UTC), config=HoldConfig()),
            secret=SANDBOX_WEBHOOK_SECRET,
            shop=emu.shop,
            dedupe=DbDedupe(ledger_engine),
            on_order=ledger.record_payload,
            on_refund=ledger.record_refund_payload,
        )
        app = FastAPI()
        app.include_router(webhook_router(receiver))
        with ServedApp(app) as server:
            emu.webhooks.target = server.url + "/webhooks/shopify"
            yield emu, ledger, receiver


def test_the_emulators_order_life_cycle_moves_revenue(
    served: tuple[ShopifyEmulator, OrderLedger, WebhookReceiver],
) -> None:
    emu, ledger, receiver = served
    order = emu.place_order(
        [("44000000001", 2)], note_attributes=SHOW, financial_status="authorized"
    )
    assert receiver.wait_applied(2)  # the order and its level update
    assert revenue(ledger) == {}
    emu.mark_paid(str(order["id"]))
    assert receiver.wait_applied(3)
    total = Decimal(order["total_price"])
    assert revenue(ledger) == {("twitch", "USD"): total}
    line = order["line_items"][0]
    emu.refund(str(order["id"]), [(line["id"], 1)])
    assert receiver.wait_applied(4)
    assert revenue(ledger) == {("twitch", "USD"): total - Decimal(line["price"])}
    emu.cancel_order(str(order["id"]))
    assert receiver.wait_applied(6)  # the cancellation and the restock
    assert revenue(ledger) == {}
    headers = emu.webhooks.headers(emu.webhooks.sent[-1][0])
    assert {
        "X-Shopify-Topic",
        "X-Shopify-Hmac-Sha256",
        "X-Shopify-Shop-Domain",
        "X-Shopify-API-Version",
        "X-Shopify-Webhook-Id",
        "X-Shopify-Event-Id",
        "X-Shopify-Triggered-At",
    } <= set(headers)
    assert all(status == 200 for _, status in emu.webhooks.sent)


def _keys(payload: dict[str, Any], nested: str) -> tuple[set[str], set[str]]:
    return set(payload), set().union(*(set(x) for x in payload[nested]))


@pytest.mark.parametrize(
    ("topic", "fixture", "nested"),
    [
        ("orders/create", "orders_create_2025-10", "line_items"),
        ("orders/paid", "orders_paid_2026-04", "line_items"),
        ("orders/cancelled", "orders_cancelled_2026-04", "line_items"),
        ("refunds/create", "refunds_create_2026-04", "refund_line_items"),
    ],
)
def test_the_emulator_sends_the_fields_shopifys_samples_have_that_the_bot_reads(
    topic: str, fixture: str, nested: str
) -> None:
    read = {
        "line_items": (
            {
                "id",
                "currency",
                "financial_status",
                "cancelled_at",
                "total_price",
                "created_at",
                "updated_at",
                "note_attributes",
                "name",
            },
            {"id", "variant_id", "product_id", "quantity", "price", "sku"},
        ),
        "refund_line_items": (
            {"id", "order_id", "created_at", "transactions"},
            {"line_item_id", "quantity", "subtotal_set"},
        ),
    }[nested]
    with ShopifyEmulator() as emu:
        order = emu.place_order([("44000000001", 2)], financial_status="pending")
        oid = str(order["id"])
        payloads = {
            "orders/create": order,
            "orders/paid": emu.mark_paid(oid),
            "refunds/create": emu.refund(oid, [(order["line_items"][0]["id"], 1)]),
            "orders/cancelled": emu.cancel_order(oid),
        }
    ours = _keys(payloads[topic], nested)
    shopifys = _keys(sample(fixture), nested)
    for wanted, emulated, sampled in zip(read, ours, shopifys, strict=True):
        assert wanted <= sampled, f"the fixture lacks {wanted - sampled}"
        assert wanted <= emulated, f"the emulator lacks {wanted - emulated}"
    stamp = str(payloads[topic]["created_at"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)  # whole seconds


def test_an_order_the_app_failed_to_record_is_tried_again_not_lost(
    ledger_engine: Engine, clock: FakeClock
) -> None:
    ledger = OrderLedger(ledger_engine, clock=clock)
    failures = [RuntimeError("database went away")]

    def flaky(payload: dict[str, Any]) -> object:
        if failures:
            raise failures.pop()
        return ledger.record_payload(payload)

    receiver = WebhookReceiver(
        engine=ledger_engine,
        mirror=Mirror(ledger_engine, ShopConfig()),
        holds=HoldBook(ledger_engine, clock=clock, config=HoldConfig()),
        secret="s",
        shop=SHOP,
        dedupe=DbDedupe(ledger_engine, clock=clock),
        on_order=flaky,
        clock=clock,
    )
    sender = WebhookSender(secret="s", shop=SHOP, api_version="2026-07", clock=clock)
    status, event_id = deliver(receiver, sender, "orders/paid", shown("orders_paid_2026-04"))
    assert status == 200 and event_id is not None
    assert receiver.failed == 1 and ledger.orders() == []
    receiver.apply_event(event_id)  # what the inbox worker does when its retry is due
    assert receiver.applied == 1
    assert revenue(ledger) == {("twitch", "USD"): Decimal("29.99")}
