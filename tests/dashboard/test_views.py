"""What the dashboard shows of stock, figures and holds (the pure assembly, with tables)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from chat_commands.catalog import CatalogProduct, CatalogVariant
from checkout_links.report import Funnel, FunnelRow
from shopstream.commands.merchant_views import VariantLine
from shopstream.dashboard.views import (
    figures_seen,
    free_by_code,
    hold_rows,
    lineup_variants,
    money,
    sell_through,
    stock_seen,
)
from shopstream.show.state import LineupItem, ShowState

T0 = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


def variant(vid: str, title: str, options: tuple[str, ...] = ()) -> CatalogVariant:
    return CatalogVariant(
        variant_id=vid,
        sku=f"SKU-{vid}",
        title=title,
        options=options,
        price=Decimal("10"),
        available=None,
    )


TEE = CatalogProduct(
    handle="tee",
    title="Tee",
    product_id="1",
    tags=(),
    live_code="101",
    options=(),
    variants=(variant("v1", "S", ("S",)), variant("v2", "M", ("M",))),
)
MUG = CatalogProduct(
    handle="mug",
    title="Mug",
    product_id="2",
    tags=(),
    live_code="201",
    options=(),
    variants=(variant("v3", "Default Title"),),
)
PRODUCTS = {"tee": TEE, "mug": MUG}
STATE = ShowState(
    show_id="s",
    lineup=(
        LineupItem(code="101", handle="tee"),
        LineupItem(code="201", handle="mug"),
        LineupItem(code="999", handle="gone"),  # not in the store: skipped
    ),
)


def row(
    sellable: int, reserved: int = 0, pending: int = 0, unlimited: bool = False, waiting: int = 0
) -> SimpleNamespace:
    return SimpleNamespace(
        sellable=sellable,
        reserved=reserved,
        pending_sold=pending,
        unlimited=unlimited,
        waiting=waiting,
    )


def line(product: str, variant: str, paid: int, left: int | None) -> VariantLine:
    return VariantLine(
        product=product,
        variant=variant,
        sku="",
        claims=0,
        holds=0,
        paid=paid,
        revenue=Decimal(0),
        currency="USD",
        stock_left=left,
    )


def test_stock_per_lineup_variant() -> None:
    variants = lineup_variants(STATE, PRODUCTS)
    assert [(c, v, label) for c, _, v, label in variants] == [
        ("101", "v1", "S"),
        ("101", "v2", "M"),
        ("201", "v3", ""),
    ]
    rows = {"v1": row(5, reserved=2, pending=1, waiting=3), "v3": row(0, unlimited=True)}
    lines = [line("Tee", "S", 4, 2), line("Mug", "", 7, None)]
    seen = {
        s.key: (s.title, s.sellable, s.held, s.sold, s.waitlist)
        for s in stock_seen(variants, rows, lines)
    }
    assert seen == {
        "tee/v1": ("Tee S", 2, 2, 4, 3),
        "tee/v2": ("Tee M", 0, 0, 0, 0),  # no stock row yet: nothing to promise
        "mug/v3": ("Mug", None, 0, 7, 0),  # not tracked
    }


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ({"v1": row(5), "v2": row(3, reserved=1), "v3": row(4)}, {"101": 7, "201": 4}),
        ({"v1": row(5), "v2": row(0, unlimited=True)}, {"101": None, "201": 0}),
        ({"v1": row(0, unlimited=True), "v2": row(3)}, {"101": None, "201": 0}),
        ({}, {"101": 0, "201": 0}),
    ],
)
def test_free_stock_per_code(
    rows: dict[str, SimpleNamespace], expected: dict[str, int | None]
) -> None:
    assert free_by_code(lineup_variants(STATE, PRODUCTS), rows) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([line("Tee", "S", 1, 3), line("Tee", "M", 1, 0)], {"Tee": "40%"}),
        ([line("Mug", "", 2, None)], {"Mug": "—"}),
        ([line("Tee", "S", 0, 0)], {"Tee": "—"}),
        ([line("Tee", "S", 3, 0)], {"Tee": "100%"}),
    ],
)
def test_sell_through_per_product(lines: list[VariantLine], expected: dict[str, str]) -> None:
    assert sell_through(lines) == expected


def test_figures_are_the_reports_total() -> None:
    total = FunnelRow(
        platform="total",
        messages=9,
        claims=6,
        holds=4,
        clicks=3,
        orders=1,
        revenue={"USD": Decimal("25.5")},
    )
    seen = figures_seen(Funnel(show="s", rows=(), total=total))
    assert (seen.revenue, seen.orders, seen.claims, seen.conversion) == ("25.50 USD", 1, 6, "25.0%")
    none = FunnelRow(platform="total", messages=0, claims=0, holds=0, clicks=0, orders=0)
    assert figures_seen(Funnel(show="s", rows=(), total=none)).conversion == "—"
    assert money({}) == "0"
    assert money({"USD": Decimal(1), "EUR": Decimal("2.5")}) == "2.50 EUR, 1.00 USD"


def test_hold_rows_have_time_left_and_no_link() -> None:
    hold = SimpleNamespace(
        hold_id="h1",
        platform="twitch",
        viewer_name="Ada",
        product_handle="tee",
        variant_id="v2",
        sku="SKU-v2",
        quantity=2,
        expires_at=(T0 + timedelta(seconds=90)).replace(tzinfo=None),
    )
    gone = SimpleNamespace(
        hold_id="h2",
        platform="youtube",
        viewer_name="",
        product_handle="old",
        variant_id="x",
        sku="OLD-1",
        quantity=1,
        expires_at=T0 - timedelta(seconds=5),
    )
    rows = hold_rows([hold, gone], PRODUCTS, T0)
    assert [(r.viewer, r.product, r.variant, r.qty, r.seconds_left) for r in rows] == [
        ("Ada", "Tee", "M", 2, 90),  # SQLite's naive UTC read as UTC
        ("?", "old", "OLD-1", 1, 0),
    ]
