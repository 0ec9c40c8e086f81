"""A show's funnel per platform: messages → claims → holds → links clicked → orders → revenue.

Messages, claims and holds live in the app's tables, so the app passes them in as
``{platform: PlatformCounts}``; clicks come from the short links and orders/revenue from the
ledger. Conversion is orders ÷ holds (holds that became orders), as a percentage.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from rich.table import Table
from sqlalchemy.engine import Engine

from checkout_links.ledger import OrderLedger, Revenue
from checkout_links.shortlinks import clicks_by_platform


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformCounts:
    """What the app counted for one platform of a show."""

    messages: int = 0
    claims: int = 0
    holds: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class FunnelRow:
    """One platform's funnel (or the total)."""

    platform: str
    messages: int
    claims: int
    holds: int
    clicks: int
    orders: int
    revenue: Mapping[str, Decimal] = field(default_factory=dict)
    """currency → revenue."""

    @property
    def conversion(self) -> Decimal | None:
        """Orders per hold, in percent (None without holds)."""
        if self.holds <= 0:
            return None
        pct = Decimal(self.orders * 100) / Decimal(self.holds)
        return pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True, kw_only=True)
class Funnel:
    """The funnel of one show: a row per platform and the total."""

    show: str
    rows: tuple[FunnelRow, ...]
    total: FunnelRow


def build_funnel(
    show: str,
    counts: Mapping[str, PlatformCounts],
    clicks: Mapping[str, int],
    revenue: Revenue,
) -> Funnel:
    """Combine the app's counts, link clicks and the ledger's revenue into a funnel (pure)."""
    platforms = sorted(set(counts) | set(clicks) | set(revenue.orders_by_platform))
    rows: list[FunnelRow] = []
    for platform in platforms:
        c = counts.get(platform, PlatformCounts())
        money = {
            cur: amount
            for (plat, cur), amount in sorted(revenue.revenue_by_platform.items())
            if plat == platform
        }
        rows.append(
            FunnelRow(
                platform=platform or "unknown",
                messages=c.messages,
                claims=c.claims,
                holds=c.holds,
                clicks=clicks.get(platform, 0),
                orders=revenue.orders_by_platform.get(platform, 0),
                revenue=money,
            )
        )
    totals: dict[str, Decimal] = {}
    for row in rows:
        for cur, amount in row.revenue.items():
            totals[cur] = totals.get(cur, Decimal("0")) + amount
    total = FunnelRow(
        platform="total",
        messages=sum(r.messages for r in rows),
        claims=sum(r.claims for r in rows),
        holds=sum(r.holds for r in rows),
        clicks=sum(r.clicks for r in rows),
        orders=sum(r.orders for r in rows),
        revenue=dict(sorted(totals.items())),
    )
    return Funnel(show=show, rows=tuple(rows), total=total)


def load_funnel(engine: Engine, show: str, counts: Mapping[str, PlatformCounts]) -> Funnel:
    """Read clicks and revenue of ``show`` from the database and build its funnel.

    Args:
        engine: The app's database (short links and ledger tables).
        show: Show id.
        counts: ``{platform: PlatformCounts}`` the app counted from its own tables.
    """
    return build_funnel(
        show, counts, clicks_by_platform(engine, show), OrderLedger(engine).revenue(show)
    )


def _money(revenue: Mapping[str, Decimal]) -> str:
    if not revenue:
        return "0"
    return ", ".join(f"{amount:.2f} {cur}".strip() for cur, amount in revenue.items())


def _row_dict(row: FunnelRow) -> dict[str, object]:
    conversion = row.conversion
    return {
        "platform": row.platform,
        "messages": row.messages,
        "claims": row.claims,
        "holds": row.holds,
        "clicks": row.clicks,
        "orders": row.orders,
        "revenue": {cur: f"{amount:.2f}" for cur, amount in row.revenue.items()},
        "conversion_pct": None if conversion is None else str(conversion),
    }


def funnel_json(funnel: Funnel) -> str:
    """Render the funnel as JSON (money as decimal strings)."""
    doc = {
        "show": funnel.show,
        "platforms": [_row_dict(r) for r in funnel.rows],
        "total": _row_dict(funnel.total),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def funnel_table(funnel: Funnel) -> Table:
    """Render the funnel as a rich table."""
    table = Table(title=f"Show {funnel.show}")
    for name in ("platform", "messages", "claims", "holds", "clicks", "orders", "revenue", "conv."):
        table.add_column(name, justify="left" if name == "platform" else "right")
    for i, row in enumerate((*funnel.rows, funnel.total)):
        conversion = row.conversion
        table.add_row(
            row.platform,
            str(row.messages),
            str(row.claims),
            str(row.holds),
            str(row.clicks),
            str(row.orders),
            _money(row.revenue),
            "–" if conversion is None else f"{conversion}%",
            end_section=i == len(funnel.rows) - 1,
        )
    return table
