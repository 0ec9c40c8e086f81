"""What the dashboard reads from the show's tables: stock per variant of the lineup, the
figures so far, sell-through per product, unpaid holds. Readers at the top (I/O, run in a
worker thread); the pure assembly below them is what the tests drive with tables.

Figures come from the report's own funnel (:func:`shopstream.commands.report.report_data`,
the ledger's revenue) and sold units and sell-through from the report's per-variant lines
(:func:`shopstream.commands.merchant_views.variant_lines`): the dashboard says what
``shopstream report`` would say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from chat_commands.catalog import CatalogProduct
from checkout_links.models import ShortLink
from checkout_links.report import Funnel
from shop_sync.stock import HOLDS, STOCK, free_of
from shopstream.commands.merchant_views import VariantLine, variant_lines
from shopstream.commands.report import report_data
from shopstream.dashboard.live import FiguresSeen, StockSeen
from shopstream.handlers.buying import variant_label
from shopstream.reports import platform_counts
from shopstream.show.state import ShowState
from shopstream.storage.models import Claim

# -- readers (I/O) --------------------------------------------------------------------------


def read_stock_rows(engine: Engine, variant_ids: Iterable[str]) -> dict[str, Any]:
    """The hold book's stock rows of these variants, by variant id."""
    ids = list(variant_ids)
    if not ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(sa_select(STOCK).where(STOCK.c.variant_id.in_(ids))).all()
    return {r.variant_id: r for r in rows}


def read_lines(engine: Engine, show: str) -> list[VariantLine]:
    """The report's per-variant lines of ``show``."""
    return variant_lines(engine, show)


def read_funnel(engine: Engine, show: str) -> Funnel:
    """The report's funnel of ``show``."""
    return report_data(engine, show, platform_counts)


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldRow:
    """An unpaid hold as the host sees it (no link, no viewer id)."""

    hold_id: str
    platform: str
    viewer: str
    product: str
    variant: str
    qty: int
    expires_at: datetime | None
    seconds_left: int | None


def read_unpaid(engine: Engine, show: str, limit: int = 200) -> list[Any]:
    """The show's active holds, soonest to expire first."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa_select(HOLDS)
                .where(HOLDS.c.show_id == show, HOLDS.c.status == "active")
                .order_by(HOLDS.c.expires_at, HOLDS.c.hold_id)
                .limit(limit)
            ).all()
        )


def read_changes(engine: Engine, show: str, since: datetime) -> tuple[set[str], set[str]]:
    """Claims of ``show`` whose link was opened, and claims paid, since ``since``."""
    with Session(engine) as session:
        links = session.exec(
            select(ShortLink.hold_ids).where(
                ShortLink.show_id == show, col(ShortLink.last_click_at) > since
            )
        ).all()
        holds = {h for ids in links for h in ids.split(",") if h}
        opened = (
            set(
                session.exec(
                    select(Claim.claim_key).where(col(Claim.hold_id).in_(sorted(holds)))
                ).all()
            )
            if holds
            else set()
        )
        paid = set(
            session.exec(
                select(Claim.claim_key).where(
                    Claim.show_id == show, Claim.status == "paid", col(Claim.updated_at) > since
                )
            ).all()
        )
    return opened, paid


# -- pure assembly --------------------------------------------------------------------------


def lineup_variants(
    state: ShowState, products: Mapping[str, CatalogProduct]
) -> list[tuple[str, CatalogProduct, str, str]]:
    """``(code, product, variant id, variant label)`` of every variant in the lineup."""
    out = []
    for item in state.lineup:
        product = products.get(item.handle)
        if product is None:
            continue
        for v in product.variants:
            out.append((item.code, product, v.variant_id, variant_label(product, v.variant_id)))
    return out


def stock_seen(
    variants: Sequence[tuple[str, CatalogProduct, str, str]],
    rows: Mapping[str, Any],
    lines: Sequence[VariantLine],
) -> list[StockSeen]:
    """Sellable (free to promise), held, sold (paid units) and waitlist per variant."""
    sold = {(line.product, line.variant): line.paid for line in lines}
    out = []
    for _code, product, variant_id, label in variants:
        row = rows.get(variant_id)
        sellable = (
            free_of(row.sellable, row.reserved, row.pending_sold, bool(row.unlimited))
            if row is not None
            else 0
        )
        out.append(
            StockSeen(
                handle=product.handle,
                variant_id=variant_id,
                title=f"{product.title} {label}".strip(),
                sellable=sellable,
                held=int(row.reserved) if row is not None else 0,
                sold=_sold(sold, product, variant_id),
                waitlist=int(row.waiting) if row is not None else 0,
            )
        )
    return out


def _sold(sold: Mapping[tuple[str, str], int], product: CatalogProduct, variant_id: str) -> int:
    """Paid units of a variant in the report's lines (named there by the store's titles)."""
    for v in product.variants:
        if v.variant_id == variant_id:
            return sold.get((product.title, "" if v.title == "Default Title" else v.title), 0)
    return 0


def free_by_code(
    variants: Sequence[tuple[str, CatalogProduct, str, str]], rows: Mapping[str, Any]
) -> dict[str, int | None]:
    """Units of each lineup code that can still be sold (None: some variant is unlimited)."""
    out: dict[str, int | None] = {}
    for code, _product, variant_id, _label in variants:
        row = rows.get(variant_id)
        free = (
            free_of(row.sellable, row.reserved, row.pending_sold, bool(row.unlimited))
            if row is not None
            else 0
        )
        before = out.get(code, 0)
        out[code] = None if free is None or before is None else before + free
    return out


def money(amounts: Mapping[str, Decimal]) -> str:
    """``12.00 USD`` (several currencies joined), ``0`` for none."""
    if not amounts:
        return "0"
    return ", ".join(f"{amount:.2f} {cur}".strip() for cur, amount in sorted(amounts.items()))


def figures_seen(funnel: Funnel) -> FiguresSeen:
    """Revenue, orders, claims and conversion (orders per hold) of the funnel's total."""
    total = funnel.total
    conversion = total.conversion
    return FiguresSeen(
        revenue=money(total.revenue),
        orders=total.orders,
        claims=total.claims,
        conversion="—" if conversion is None else f"{conversion}%",
    )


def sell_through(lines: Sequence[VariantLine]) -> dict[str, str]:
    """Per product: paid units over paid plus stock left, in percent (``—``: untracked)."""
    paid: dict[str, int] = {}
    left: dict[str, int | None] = {}
    for line in lines:
        paid[line.product] = paid.get(line.product, 0) + line.paid
        have = left.get(line.product, 0)
        left[line.product] = (
            None if line.stock_left is None or have is None else have + line.stock_left
        )
    out = {}
    for product, units in paid.items():
        rest = left[product]
        if rest is None or units + rest <= 0:
            out[product] = "—"
        else:
            out[product] = f"{Decimal(units * 100) / Decimal(units + rest):.0f}%"
    return out


def hold_rows(
    holds: Iterable[Any], products: Mapping[str, CatalogProduct], now: datetime
) -> list[HoldRow]:
    """Unpaid holds with their time left (whole seconds, never below 0)."""
    out = []
    for h in holds:
        product = products.get(h.product_handle)
        title = product.title if product else h.product_handle
        label = variant_label(product, h.variant_id) if product else h.sku
        expires = h.expires_at
        if expires is not None and expires.tzinfo is None:  # SQLite hands back naive UTC
            expires = expires.replace(tzinfo=UTC)
        left = max(0, int((expires - now).total_seconds())) if expires else None
        out.append(
            HoldRow(
                hold_id=h.hold_id,
                platform=h.platform,
                viewer=h.viewer_name or "?",
                product=title,
                variant=label,
                qty=int(h.quantity),
                expires_at=expires,
                seconds_left=left,
            )
        )
    return out


def hold_json(row: HoldRow) -> dict[str, object]:
    """A hold row for the page (times as ISO text)."""
    return {
        "hold_id": row.hold_id,
        "platform": row.platform,
        "viewer": row.viewer,
        "product": row.product,
        "variant": row.variant,
        "qty": row.qty,
        "expires_at": row.expires_at.isoformat(timespec="seconds") if row.expires_at else None,
    }


__all__ = [
    "HoldRow",
    "figures_seen",
    "free_by_code",
    "hold_json",
    "hold_rows",
    "lineup_variants",
    "money",
    "read_changes",
    "read_funnel",
    "read_lines",
    "read_stock_rows",
    "read_unpaid",
    "sell_through",
    "stock_seen",
]
