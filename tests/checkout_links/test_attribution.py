"""Attribution of order payloads: a table of real-shaped orders, attributed or not."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from checkout_links.attribution import MalformedOrder, attribute_order


def _order(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 820982911946154508,
        "name": "#1001",
        "currency": "USD",
        "total_price": "61.50",
        "created_at": "2026-11-23T15:01:02-05:00",
        "note_attributes": [],
        "landing_site": None,
        "line_items": [
            {
                "variant_id": 44000000001,
                "product_id": 7000000001,
                "title": "Classic Tee",
                "sku": "CT-101-S-RED",
                "quantity": 2,
                "price": "24.00",
            },
            {
                "variant_id": None,
                "product_id": None,
                "title": "Gift wrap",
                "quantity": 1,
                "price": "3.50",
            },
        ],
    }
    base.update(kw)
    return base


NOTE = [
    {"name": "_shopstream_hold", "value": "h-1, h-2"},
    {"name": "_shopstream_show", "value": "show-101"},
    {"name": "_shopstream_platform", "value": "twitch"},
    {"name": "_shopstream_viewer", "value": "v_abc"},
]
LANDING = (
    "/cart/44000000001:2?attributes%5B_shopstream_hold%5D=h-9&ref=ss%3Ah-7%2Ch-8"
    "&utm_source=facebook&utm_medium=livestream&utm_campaign=show-202"
)

CASES: list[tuple[str, dict[str, Any], tuple[Any, ...]]] = [
    (
        "note attributes",
        dict(note_attributes=NOTE),
        (("h-1", "h-2"), "show-101", "twitch", "v_abc", "attribute"),
    ),
    (
        "attributes win over landing site",
        dict(note_attributes=NOTE, landing_site=LANDING),
        (("h-1", "h-2"), "show-101", "twitch", "v_abc", "attribute"),
    ),
    (
        "landing site ref and utm",
        dict(landing_site=LANDING),
        (("h-7", "h-8"), "show-202", "facebook", None, "landing_site"),
    ),
    ("landing_site_ref only", dict(landing_site_ref="ss:h-5"), (("h-5",), None, None, None, "ref")),
    (
        "graphql customAttributes",
        dict(
            customAttributes=[
                {"key": "_shopstream_hold", "value": "h-3"},
                {"key": "_shopstream_show", "value": "s"},
            ]
        ),
        (("h-3",), "s", None, None, "attribute"),
    ),
    (
        "utm only (no holds) is still a show",
        dict(landing_site="/?utm_campaign=show-9&utm_source=yt"),
        ((), "show-9", "yt", None, "landing_site"),
    ),
    (
        "foreign ref is ignored",
        dict(landing_site="/?ref=instagram-bio"),
        ((), None, None, None, "none"),
    ),
    ("nothing at all", dict(), ((), None, None, None, "none")),
    (
        "garbage attributes",
        dict(note_attributes=[1, None, {"name": 5}, {"value": "x"}], landing_site="::::"),
        ((), None, None, None, "none"),
    ),
]


@pytest.mark.parametrize(("name", "extra", "expected"), CASES, ids=[c[0] for c in CASES])
def test_attribution_table(name: str, extra: dict[str, Any], expected: tuple[Any, ...]) -> None:
    a = attribute_order(_order(**extra))
    assert (a.hold_ids, a.show, a.platform, a.viewer, a.source) == expected
    assert a.attributed == (bool(expected[0]) or expected[1] is not None)


def test_lines_money_and_ids() -> None:
    a = attribute_order(_order(note_attributes=NOTE))
    assert a.order_id == "820982911946154508"
    assert a.total == Decimal("61.50") and a.currency == "USD"
    assert [(li.variant_id, li.product_id, li.quantity, li.price) for li in a.lines] == [
        ("44000000001", "7000000001", 2, Decimal("24.00")),
        (None, None, 1, Decimal("3.50")),
    ]
    assert a.placed_at is not None and a.placed_at.utcoffset() is not None


def test_bad_lines_are_skipped_and_total_falls_back_to_lines() -> None:
    a = attribute_order(
        _order(
            total_price="n/a",
            line_items=[
                "nope",
                {"quantity": "2", "price": "1"},
                {"quantity": 1, "price": "NaN"},
                {"quantity": 3, "price": "2.10", "variant_id": "gid://shopify/ProductVariant/5"},
            ],
        )
    )
    assert [(li.variant_id, li.quantity) for li in a.lines] == [("5", 3)]
    assert a.total == Decimal("6.30")


@pytest.mark.parametrize("payload", [[], "x", {"name": "#1"}, {"id": True}, {"id": " "}])
def test_malformed_orders_raise_a_clear_error(payload: Any) -> None:
    with pytest.raises(MalformedOrder):
        attribute_order(payload)
