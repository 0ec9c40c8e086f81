"""What a merchant reads after a show: the shows in a database, each claim with its product,
price and order, and the funnel per product and variant (``claims``, ``report``).

Pure reads over the app's tables; the CLI renders them as an 80-column table, JSON or CSV.
Sell-through is units paid over units paid plus the stock the mirror holds now (the
store's count after those orders), so a sold-out variant reads 100 %.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich import box
from rich.table import Table
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from checkout_links.models import LedgerOrder, LedgerOrderLine, ShortLink
from shop_sync.models import Hold, HoldStock, ShopLevel, ShopProduct, ShopVariant
from shopstream.storage.models import Claim


@dataclass(frozen=True, slots=True)
class ShowLine:
    """One show in the database, with its headline counts."""

    show: str
    claims: int
    holds: int
    orders: int
    first: str
    last: str


def list_shows(engine: Engine) -> list[ShowLine]:
    """Every show that left a claim, hold, link or order, oldest first."""
    with Session(engine) as session:
        claims = {
            str(s): (int(n), lo, hi)
            for s, n, lo, hi in session.exec(
                select(
                    Claim.show_id, func.count(), func.min(Claim.sent_at), func.max(Claim.sent_at)
                ).group_by(Claim.show_id)
            ).all()
        }
        holds = dict(session.exec(select(Hold.show_id, func.count()).group_by(Hold.show_id)).all())
        orders = dict(
            session.exec(
                select(LedgerOrder.show_id, func.count()).group_by(LedgerOrder.show_id)
            ).all()
        )
        links = {s for s in session.exec(select(ShortLink.show_id).distinct()).all()}
    names = {str(s) for s in (*claims, *holds, *orders, *links) if s}
    out = []
    for show in names:
        n, lo, hi = claims.get(show, (0, None, None))
        out.append(
            ShowLine(
                show=show,
                claims=n,
                holds=int(holds.get(show, 0)),
                orders=int(orders.get(show, 0)),
                first=lo.isoformat(timespec="seconds") if lo else "",
                last=hi.isoformat(timespec="seconds") if hi else "",
            )
        )
    return sorted(out, key=lambda s: (s.first or "~", s.show))


def shows_table(shows: Sequence[ShowLine]) -> Table:
    """The shows as a table (fits 80 columns)."""
    table = Table(title=f"{len(shows)} show(s)", box=box.SIMPLE_HEAD)
    table.add_column("show", overflow="fold")
    for name in ("claims", "holds", "orders"):
        table.add_column(name, justify="right")
    table.add_column("first claim (UTC)")
    for s in shows:
        table.add_row(s.show, str(s.claims), str(s.holds), str(s.orders), s.first[:16])
    return table


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One claim as a merchant reads it."""

    show: str
    sent_at: str
    platform: str
    viewer: str
    message_id: str
    text: str
    product: str
    variant: str
    sku: str
    quantity: int
    price: str
    currency: str
    status: str
    order: str
    paid: bool
    hold_id: str


def _variants(session: Session) -> dict[str, tuple[str, str, str, str]]:
    """variant id → (product title, variant title, price, currency) from the mirror."""
    titles = dict(session.exec(select(ShopProduct.product_id, ShopProduct.title)).all())
    return {
        v.variant_id: (titles.get(v.product_id, ""), v.title, v.price, v.currency)
        for v in session.exec(select(ShopVariant)).all()
    }


def claim_lines(engine: Engine, show: str | None = None) -> list[ClaimLine]:
    """Every claim (of ``show``), oldest first, with product, price, order and paid state."""
    with Session(engine) as session:
        query = select(Claim).order_by(col(Claim.sent_at), col(Claim.id))
        if show:
            query = query.where(Claim.show_id == show)
        claims = session.exec(query).all()
        variants = _variants(session)
        hold_orders = dict(
            session.exec(
                select(Hold.hold_id, Hold.order_id).where(col(Hold.order_id).is_not(None))
            ).all()
        )
        names = dict(session.exec(select(LedgerOrder.order_id, LedgerOrder.name)).all())
    out = []
    for c in claims:
        product, variant, price, currency = variants.get(c.variant_id or "", ("", "", "", ""))
        order_id = hold_orders.get(c.hold_id or "") or ""
        out.append(
            ClaimLine(
                show=c.show_id,
                sent_at=c.sent_at.isoformat(timespec="seconds"),
                platform=c.platform,
                viewer=c.viewer_name or c.viewer_id or "",
                message_id=c.message_id,
                text=c.text,
                product=product or c.product or "",
                variant="" if variant == "Default Title" else variant,
                sku=c.sku or "",
                quantity=c.quantity,
                price=price if c.variant_id else "",
                currency=currency,
                status=c.status,
                order=names.get(order_id) or order_id,
                paid=c.status == "paid" or bool(order_id),
                hold_id=c.hold_id or "",
            )
        )
    return out


def claims_table(lines: Sequence[ClaimLine], *, title: str = "") -> Table:
    """Claims in 80 columns: product and variant share a column, folded when long."""
    heading = f"{len(lines)} claim(s)" + (f" — {title}" if title else "")
    table = Table(
        title=heading, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, expand=False
    )
    table.add_column("time", no_wrap=True)
    table.add_column("viewer", overflow="fold", max_width=14)
    table.add_column("product / variant", overflow="fold", ratio=1)
    table.add_column("qty", justify="right", no_wrap=True)
    table.add_column("price", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("order", no_wrap=True)
    table.add_column("paid", no_wrap=True)
    for c in lines:
        item = c.product + (f"\n{c.variant}" if c.variant else "")
        table.add_row(
            c.sent_at[11:19],
            f"{c.viewer}\n[dim]{c.platform}[/]",
            item or f"[dim]{c.text[:40]}[/]",
            str(c.quantity),
            c.price,
            c.status,
            c.order,
            "yes" if c.paid else "no",
        )
    return table


@dataclass(frozen=True, slots=True)
class VariantLine:
    """The funnel of one variant of one show."""

    product: str
    variant: str
    sku: str
    claims: int
    holds: int
    paid: int
    revenue: Decimal
    currency: str
    stock_left: int | None  # None: not tracked (unlimited)

    @property
    def sell_through(self) -> Decimal | None:
        """Paid units over paid units plus stock left, in percent (None: untracked or none)."""
        if self.stock_left is None or self.paid + self.stock_left <= 0:
            return None
        pct = Decimal(self.paid * 100) / Decimal(self.paid + self.stock_left)
        return pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def variant_lines(engine: Engine, show: str) -> list[VariantLine]:
    """Claims, holds, paid units, revenue and sell-through of every variant in ``show``."""
    claims: dict[str, int] = defaultdict(int)
    holds: dict[str, int] = defaultdict(int)
    paid: dict[str, int] = defaultdict(int)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    currency: dict[str, str] = {}
    with Session(engine) as session:
        for vid, n in session.exec(
            select(Claim.variant_id, func.count())
            .where(Claim.show_id == show)
            .group_by(Claim.variant_id)
        ).all():
            if vid:
                claims[vid] = int(n)
        for vid, n in session.exec(
            select(Hold.variant_id, func.count())
            .where(Hold.show_id == show)
            .group_by(Hold.variant_id)
        ).all():
            holds[vid] = int(n)
        orders = {
            o.order_id: o.currency
            for o in session.exec(select(LedgerOrder).where(LedgerOrder.show_id == show)).all()
        }
        for li in session.exec(
            select(LedgerOrderLine).where(LedgerOrderLine.show_id == show)
        ).all():
            vid = li.variant_id or ""
            paid[vid] += li.quantity
            revenue[vid] += li.price * li.quantity
            currency[vid] = orders.get(li.order_id, "")
        variants = _variants(session)
        skus = dict(session.exec(select(ShopVariant.variant_id, ShopVariant.sku)).all())
        positions = dict(session.exec(select(ShopVariant.variant_id, ShopVariant.position)).all())
        levels: dict[str, int] = defaultdict(int)
        for item, available in session.exec(
            select(ShopLevel.inventory_item_id, ShopLevel.available)
        ).all():
            levels[item] += int(available)
        stock: dict[str, int | None] = {  # the mirror's count, for variants never held
            v.variant_id: max(0, levels.get(v.inventory_item_id, 0)) if v.tracked else None
            for v in session.exec(select(ShopVariant)).all()
        }
        stock.update(
            {
                s.variant_id: (None if s.unlimited else max(0, s.sellable))
                for s in session.exec(select(HoldStock)).all()
            }
        )
    out = []
    order = sorted(set(claims) | set(holds) | set(paid), key=lambda v: (positions.get(v, 0), v))
    for vid in order:
        product, variant, _price, cur = variants.get(vid, ("", "", "", ""))
        out.append(
            VariantLine(
                product=product or vid,
                variant="" if variant == "Default Title" else variant,
                sku=skus.get(vid, ""),
                claims=claims.get(vid, 0),
                holds=holds.get(vid, 0),
                paid=paid.get(vid, 0),
                revenue=revenue.get(vid, Decimal("0")),
                currency=currency.get(vid) or cur,
                stock_left=stock.get(vid),
            )
        )
    return sorted(out, key=lambda v: v.product)  # stable: the store's variant order stays


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f}" + (f" {currency}" if currency else "")


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def variants_table(lines: Sequence[VariantLine], show: str) -> Table:
    """Per product, then per variant: claims, holds, paid, revenue, sell-through (80 cols)."""
    table = Table(title=f"{show}: per product and variant", box=box.SIMPLE_HEAD)
    table.add_column("product / variant", overflow="fold", ratio=1)
    for name in ("claims", "holds", "paid"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("revenue", justify="right", no_wrap=True)
    table.add_column("sold", justify="right", no_wrap=True)
    by_product: dict[str, list[VariantLine]] = defaultdict(list)
    for line in lines:
        by_product[line.product].append(line)
    for product, rows in by_product.items():
        cur = rows[0].currency
        left = [r.stock_left for r in rows]
        total = VariantLine(
            product=product,
            variant="",
            sku="",
            claims=sum(r.claims for r in rows),
            holds=sum(r.holds for r in rows),
            paid=sum(r.paid for r in rows),
            revenue=sum((r.revenue for r in rows), Decimal("0")),
            currency=cur,
            stock_left=None if None in left else sum(x for x in left if x is not None),
        )
        table.add_row(*_cells(total, f"[bold]{product}[/]"))
        if len(rows) > 1 or rows[0].variant:
            for r in rows:
                table.add_row(*_cells(r, f"  {r.variant or r.sku or '—'}"), style="dim")
    return table


def _cells(line: VariantLine, label: str) -> list[str]:
    return [
        label,
        str(line.claims),
        str(line.holds),
        str(line.paid),
        _money(line.revenue, line.currency),
        _pct(line.sell_through),
    ]


def variant_dicts(lines: Sequence[VariantLine]) -> list[dict[str, Any]]:
    """Plain rows (JSON, CSV): money as strings, sell-through in percent or empty."""
    out = []
    for line in lines:
        row = asdict(line)
        row["revenue"] = f"{line.revenue:.2f}"
        row["stock_left"] = "" if line.stock_left is None else line.stock_left
        row["sell_through_pct"] = "" if line.sell_through is None else str(line.sell_through)
        out.append(row)
    return out


def claim_dicts(lines: Sequence[ClaimLine]) -> list[dict[str, Any]]:
    """Plain rows (JSON, CSV)."""
    return [asdict(line) for line in lines]


def to_csv(rows: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """Rows as CSV text with a header (even when there are no rows)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


CLAIM_FIELDS = tuple(ClaimLine.__dataclass_fields__)
VARIANT_FIELDS = (*VariantLine.__dataclass_fields__, "sell_through_pct")


def show_exists(engine: Engine, show: str) -> bool:
    """Whether ``show`` left anything in this database."""
    return any(s.show == show for s in list_shows(engine))
