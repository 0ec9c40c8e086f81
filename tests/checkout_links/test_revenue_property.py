"""Revenue does not depend on the order or the repetition of order and refund webhooks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import checkout_links.models  # noqa: F401  (registers the ledger tables)
from checkout_links.ledger import OrderLedger
from tests.fuzz import examples
from tests.shop_sync.samples import sample

SHOW = [
    {"name": "_shopstream_show", "value": "show-7"},
    {"name": "_shopstream_platform", "value": "youtube"},
]


def _events() -> dict[str, tuple[str, dict[str, Any]]]:
    created = sample("orders_create_2025-10")
    created.update(financial_status="pending", note_attributes=SHOW)
    paid = sample("orders_paid_2026-04")
    paid["note_attributes"] = SHOW
    cancelled = sample("orders_paid_2026-04")
    cancelled.update(
        note_attributes=SHOW,
        financial_status="refunded",
        cancelled_at="2026-11-24T11:00:00-05:00",
        updated_at="2026-11-24T11:00:00-05:00",
    )
    line_refund = sample("refunds_create_2026-04")  # 19.99, the T-shirt line
    goodwill = sample("refunds_create_2026-04")  # 5.00 back, no line
    goodwill.update(id=890088186047892320, refund_line_items=[])
    goodwill["transactions"] = [dict(goodwill["transactions"][0], amount="5.00")]
    return {
        "create": ("order", created),
        "paid": ("order", paid),
        "cancelled": ("order", cancelled),
        "line_refund": ("refund", line_refund),
        "goodwill": ("refund", goodwill),
    }


REFUNDED = {"line_refund": Decimal("19.99"), "goodwill": Decimal("5.00")}


@st.composite
def deliveries(draw: st.DrawFn) -> list[str]:
    names = ["create"] + [
        n for n in ("paid", "cancelled", "line_refund", "goodwill") if draw(st.booleans())
    ]
    repeated = names + draw(st.lists(st.sampled_from(names), max_size=3))  # Shopify retries
    return draw(st.permutations(repeated))


@settings(max_examples=examples(40))
@given(deliveries())
def test_revenue_is_the_same_whatever_order_the_webhooks_came_in(order: list[str]) -> None:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    ledger = OrderLedger(engine)
    events = _events()
    for name in order:
        kind, payload = events[name]
        if kind == "order":
            ledger.record_payload(payload)
        else:
            ledger.record_refund_payload(payload)
    revenue = ledger.revenue("show-7").revenue_by_platform
    if "cancelled" in order or "paid" not in order:
        assert revenue == {}
    else:
        refunds = sum((REFUNDED[n] for n in set(order) if n in REFUNDED), Decimal(0))
        assert revenue == {("youtube", "USD"): Decimal("29.99") - refunds}
    assert len(ledger.orders()) == 1
    assert len(ledger.refunds()) == len({n for n in order if n in REFUNDED})
    engine.dispose()
