"""Order ledger: each order recorded once, attributed or not; revenue by show, platform, product.

Revenue counts paid orders only: an order whose ``financial_status`` is not paid
(:data:`~checkout_links.attribution.PAID_STATUSES`) or that was cancelled counts 0, and each
refund (recorded once per refund id, in whichever order the webhooks arrive) takes its amount
off the order and its lines' subtotals off their products.
"""

from __future__ import annotations

import json
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

from checkout_links.attribution import (
    PAID_STATUSES,
    Attribution,
    MalformedOrder,
    MalformedRefund,
    Refund,
    attribute_order,
    read_refund,
)
from checkout_links.models import LedgerOrder, LedgerOrderLine, LedgerRefund

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """The outcome of recording one order: its attribution and whether it was new."""

    attribution: Attribution
    new: bool
    status_changed: bool = False
    """An order already recorded whose payment status or cancellation this payload changed."""


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
        """Store ``attribution`` once; return False when the order was already recorded
        (its payment status and cancellation are brought up to date: :meth:`update_status`)."""
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
            financial_status=a.financial_status,
            cancelled_at=a.cancelled_at,
            status_at=a.updated_at,
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
                line_item_id=li.line_item_id,
            )
            for li in a.lines
        ]
        with Session(self._engine) as session:
            if session.exec(
                select(LedgerOrder.id).where(LedgerOrder.order_id == a.order_id)
            ).first():
                self.update_status(a)
                return False
            session.add(row)
            session.add_all(lines)
            try:
                session.commit()
            except IntegrityError:  # a concurrent delivery of the same order won the race
                session.rollback()
                self.update_status(a)
                return False
        if not a.attributed:
            _LOGGER.info("order %s recorded as unattributed", a.order_id)
        return True

    def update_status(self, attribution: Attribution) -> bool:
        """Bring a recorded order's payment status and cancellation up to ``attribution``;
        return whether anything changed.

        A cancellation sticks (Shopify cannot un-cancel an order); a payment status is taken
        from the newer payload by ``updated_at`` (deliveries arrive in any order), a payload
        of the same second or without a stamp wins only over an unpaid status.
        """
        a = attribution
        with Session(self._engine) as session:
            row = session.exec(
                select(LedgerOrder).where(LedgerOrder.order_id == a.order_id)
            ).first()
            if row is None:
                return False
            changed = False
            if a.cancelled_at is not None and row.cancelled_at is None:
                row.cancelled_at, changed = a.cancelled_at, True
            status = a.financial_status
            if status and status != row.financial_status:
                newer = a.updated_at is not None and (
                    row.status_at is None or a.updated_at > row.status_at
                )
                same_or_unknown = (
                    a.updated_at is None or row.status_at is None or (a.updated_at == row.status_at)
                )
                if newer or (same_or_unknown and row.financial_status not in PAID_STATUSES):
                    row.financial_status, changed = status, True
                    row.status_at = a.updated_at or row.status_at
            if changed:
                session.add(row)
                session.commit()
                _LOGGER.info(
                    "order %s is now %s%s",
                    a.order_id,
                    row.financial_status or "of unknown payment status",
                    ", cancelled" if row.cancelled_at is not None else "",
                )
            return changed

    def record_payload(self, payload: Mapping[str, Any]) -> Recorded | None:
        """Attribute and record an ``orders/create``, ``orders/paid`` or ``orders/cancelled``
        payload (whichever comes first records the order); None (logged) when malformed."""
        try:
            attribution = attribute_order(payload)
        except MalformedOrder as exc:
            _LOGGER.warning("order payload skipped: %s", exc)
            return None
        with Session(self._engine) as session:
            known = session.exec(
                select(LedgerOrder.id).where(LedgerOrder.order_id == attribution.order_id)
            ).first()
        if known is not None:
            return Recorded(
                attribution=attribution, new=False, status_changed=self.update_status(attribution)
            )
        return Recorded(attribution=attribution, new=self.record(attribution))

    def record_refund(self, refund: Refund) -> bool:
        """Store ``refund`` once (by refund id); return False when it was already recorded."""
        row = LedgerRefund(
            refund_id=refund.refund_id,
            order_id=refund.order_id,
            currency=refund.currency,
            amount=refund.amount,
            lines=json.dumps({line: format(amount, "f") for line, amount in refund.lines}),
            refunded_at=refund.created_at,
            recorded_at=self._clock(),
        )
        with Session(self._engine) as session:
            if session.exec(
                select(LedgerRefund.id).where(LedgerRefund.refund_id == refund.refund_id)
            ).first():
                return False
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
        _LOGGER.info(
            "refund %s of order %s: %s %s",
            refund.refund_id,
            refund.order_id,
            refund.amount,
            refund.currency or "(order currency)",
        )
        return True

    def record_refund_payload(self, payload: Mapping[str, Any]) -> bool | None:
        """Read and record a ``refunds/create`` payload; None (logged) when malformed."""
        try:
            refund = read_refund(payload)
        except MalformedRefund as exc:
            _LOGGER.warning("refund payload skipped: %s", exc)
            return None
        return self.record_refund(refund)

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

    def refunds(self, order_ids: list[str] | None = None) -> list[LedgerRefund]:
        """Return recorded refunds (of ``order_ids`` when given), oldest first."""
        with Session(self._engine) as session:
            query = select(LedgerRefund).order_by(LedgerRefund.id)  # type: ignore[arg-type]
            if order_ids is not None:
                query = query.where(LedgerRefund.order_id.in_(order_ids))  # type: ignore[attr-defined]
            return list(session.exec(query).all())

    def revenue(self, show: str) -> Revenue:
        """Sum orders and revenue of ``show`` by platform and by product: paid, uncancelled
        orders only, less their refunds (never below 0 per order or per line)."""
        orders_by_platform: dict[str, int] = defaultdict(int)
        by_platform: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        by_product: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        units: dict[str, int] = defaultdict(int)
        with Session(self._engine) as session:
            orders = [
                o
                for o in session.exec(select(LedgerOrder).where(LedgerOrder.show_id == show)).all()
                if o.cancelled_at is None and o.financial_status in PAID_STATUSES
            ]
        currency = {o.order_id: o.currency for o in orders}
        refunded: dict[str, Decimal] = defaultdict(Decimal)
        refunded_lines: dict[str, Decimal] = defaultdict(Decimal)
        for r in self.refunds(list(currency)):
            if r.currency and r.currency != currency[r.order_id]:
                _LOGGER.warning(
                    "refund %s is in %s, order %s in %s: not taken off",
                    r.refund_id,
                    r.currency,
                    r.order_id,
                    currency[r.order_id],
                )
                continue
            refunded[r.order_id] += r.amount
            for line_id, amount in json.loads(r.lines).items():
                refunded_lines[line_id] += Decimal(amount)
        for o in orders:
            platform = o.platform or ""
            orders_by_platform[platform] += 1
            by_platform[(platform, o.currency)] += max(o.total - refunded[o.order_id], Decimal(0))
        with Session(self._engine) as session:
            lines = session.exec(
                select(LedgerOrderLine).where(LedgerOrderLine.show_id == show)
            ).all()
            for li in lines:
                if li.order_id not in currency:
                    continue
                product = li.product_id or li.variant_id or li.title
                amount = li.price * li.quantity - refunded_lines[li.line_item_id or ""]
                by_product[(product, currency[li.order_id])] += max(amount, Decimal(0))
                units[product] += li.quantity
        return Revenue(
            show=show,
            orders_by_platform=dict(orders_by_platform),
            revenue_by_platform=dict(by_platform),
            revenue_by_product=dict(by_product),
            units_by_product=dict(units),
        )
