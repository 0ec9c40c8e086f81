"""Order ledger: each order recorded once, attributed or not; revenue by show, platform, product."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from checkout_links.attribution import Attribution, MalformedOrder, attribute_order
from checkout_links.models import LedgerOrder, LedgerOrderLine

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """The outcome of recording one order: its attribution and whether it was new."""

    attribution: Attribution
    new: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Revenue:
    """Orders and revenue of one show, by platform and by product (per currency)."""

    show: str
    orders_by_platform: Mapping[str, int]
    revenue_by_platform: Mapping[tuple[str, str], Decimal]
    """(platform, currency) → revenue."""
    revenue_by_product: Mapping[tuple[str, str], Decimal]
    """(product id, currency) → revenue."""
    units_by_product: Mapping[str, int]


class OrderLedger:
    """Records orders idempotently (by order id) in ``link_orders`` / ``link_order_lines``."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._engine = engine
        self._clock = clock

    def record(self, attribution: Attribution) -> bool:
        """Store ``attribution`` once; return False when the order was already recorded."""
        a = attribution
        row = LedgerOrder(
            order_id=a.order_id,
            name=a.name,
            attributed=a.attributed,
            source=a.source,
            show_id=a.show,
            platform=a.platform,
            viewer_key=a.viewer,
            hold_ids=",".join(a.hold_ids),
            currency=a.currency,
            total=a.total,
            placed_at=a.placed_at,
            recorded_at=self._clock(),
        )
        lines = [
            LedgerOrderLine(
                order_id=a.order_id,
                show_id=a.show,
                platform=a.platform,
                variant_id=li.variant_id,
                product_id=li.product_id,
                title=li.title[:255],
                sku=li.sku[:255],
                quantity=li.quantity,
                price=li.price,
            )
            for li in a.lines
        ]
        with Session(self._engine) as session:
            if session.exec(
                select(LedgerOrder.id).where(LedgerOrder.order_id == a.order_id)
            ).first():
                return False
            session.add(row)
            session.add_all(lines)
            try:
                session.commit()
            except IntegrityError:  # a concurrent delivery of the same order won the race
                session.rollback()
                return False
        if not a.attributed:
            _LOGGER.info("order %s recorded as unattributed", a.order_id)
        return True

    def record_payload(self, payload: Mapping[str, Any]) -> Recorded | None:
        """Attribute and record an ``orders/create`` payload; None (logged) when malformed."""
        try:
            attribution = attribute_order(payload)
        except MalformedOrder as exc:
            _LOGGER.warning("order payload skipped: %s", exc)
            return None
        return Recorded(attribution=attribution, new=self.record(attribution))

    def orders(self, show: str | None = None) -> list[LedgerOrder]:
        """Return recorded orders (of ``show`` when given), oldest first."""
        with Session(self._engine) as session:
            query = select(LedgerOrder).order_by(LedgerOrder.id)  # type: ignore[arg-type]
            if show is not None:
                query = query.where(LedgerOrder.show_id == show)
            return list(session.exec(query).all())

    def order_for_holds(self, hold_ids: tuple[str, ...]) -> LedgerOrder | None:
        """The recorded order that paid for any of ``hold_ids`` (a buyer reopening a link)."""
        wanted = {h for h in hold_ids if h}
        if not wanted:
            return None
        with Session(self._engine) as session:
            query = select(LedgerOrder).where(LedgerOrder.hold_ids != "")
            for order in session.exec(query).all():
                if wanted.intersection(order.hold_ids.split(",")):
                    return order
        return None

    def unattributed(self) -> list[LedgerOrder]:
        """Return the orders no show could be traced for."""
        with Session(self._engine) as session:
            query = select(LedgerOrder).where(LedgerOrder.attributed == False)  # noqa: E712
            return list(session.exec(query).all())

    def revenue(self, show: str) -> Revenue:
        """Sum orders and revenue of ``show`` by platform and by product."""
        orders_by_platform: dict[str, int] = defaultdict(int)
        by_platform: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        by_product: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        units: dict[str, int] = defaultdict(int)
        with Session(self._engine) as session:
            orders = session.exec(select(LedgerOrder).where(LedgerOrder.show_id == show)).all()
            currency = {o.order_id: o.currency for o in orders}
            for o in orders:
                platform = o.platform or ""
                orders_by_platform[platform] += 1
                by_platform[(platform, o.currency)] += o.total
            lines = session.exec(
                select(LedgerOrderLine).where(LedgerOrderLine.show_id == show)
            ).all()
            for li in lines:
                product = li.product_id or li.variant_id or li.title
                by_product[(product, currency.get(li.order_id, ""))] += li.price * li.quantity
                units[product] += li.quantity
        return Revenue(
            show=show,
            orders_by_platform=dict(orders_by_platform),
            revenue_by_platform=dict(by_platform),
            revenue_by_product=dict(by_product),
            units_by_product=dict(units),
        )
