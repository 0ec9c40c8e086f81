"""Pure attribution of a Shopify order (``orders/create``, ``orders/paid``, ``orders/cancelled``
payload) to its holds, show and platform, and pure reading of a ``refunds/create`` payload.

Revenue counts paid orders only (:data:`PAID_STATUSES`); a cancelled order counts 0 and a
refund takes its amount off (:class:`Refund`). Order of evidence: the ``_shopstream_*`` order
attributes (``note_attributes`` in REST/webhook payloads, ``customAttributes`` in GraphQL),
else the ``ref`` / ``utm_*`` query of ``landing_site`` (and ``landing_site_ref``).
An order with no evidence is still an :class:`Attribution` (``attributed`` is False): it is
recorded, never dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from checkout_links.keys import (
    HOLD_ATTRIBUTE,
    PLATFORM_ATTRIBUTE,
    SHOW_ATTRIBUTE,
    VIEWER_ATTRIBUTE,
    hold_ids_from_ref,
)

_LOGGER = logging.getLogger(__name__)

Source = Literal["attribute", "ref", "landing_site", "none"]


PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})
"""``financial_status`` values of an order whose money was taken (refunds are taken off by
:class:`Refund`). ``pending``, ``authorized``, ``partially_paid``, ``voided`` and ``expired`` are
not revenue (shopify.dev REST Order resource, ``financial_status``; ``orders/paid`` fires when an
order becomes paid)."""


class MalformedOrder(ValueError):
    """The payload is not an order (not an object, or no order id)."""


class MalformedRefund(ValueError):
    """The payload is not a refund (not an object, or no refund or order id)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderLine:
    """One order line: variant (None for custom lines), product, quantity and unit price."""

    variant_id: str | None
    product_id: str | None
    line_item_id: str | None
    title: str
    sku: str
    quantity: int
    price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Attribution:
    """What an order says about where it came from."""

    order_id: str
    name: str
    hold_ids: tuple[str, ...]
    show: str | None
    platform: str | None
    viewer: str | None
    source: Source
    lines: tuple[OrderLine, ...]
    currency: str
    total: Decimal
    placed_at: datetime | None
    financial_status: str = ""
    cancelled_at: datetime | None = None
    updated_at: datetime | None = None
    """The payload's ``updated_at``: which of two deliveries says the newer status."""

    @property
    def attributed(self) -> bool:
        """Whether the order was traced to a show (by holds or by UTM campaign)."""
        return bool(self.hold_ids) or self.show is not None

    @property
    def is_revenue(self) -> bool:
        """Whether the order's money counts: paid (:data:`PAID_STATUSES`) and not cancelled."""
        return self.cancelled_at is None and self.financial_status in PAID_STATUSES


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund:
    """One ``refunds/create``: the money given back, and the lines it was for.

    ``amount`` is the sum of its successful ``refund`` transactions (what left the merchant's
    account; shopify.dev REST Refund resource); without transactions, the refunded lines'
    subtotals. ``currency`` is empty when the payload does not say (Shopify's sample sends
    ``"currency": null`` on its transactions): the order's currency applies.
    """

    refund_id: str
    order_id: str
    amount: Decimal
    currency: str
    lines: tuple[tuple[str, Decimal], ...]
    """(line item id, refunded subtotal) per refunded line."""
    created_at: datetime | None


def _str_id(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return text.rsplit("/", 1)[-1] if text.startswith("gid://") else text
    return None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _attributes(order: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for list_key, name_key in (("note_attributes", "name"), ("customAttributes", "key")):
        items = order.get(list_key)
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get(name_key), str):
                value = item.get("value")
                out.setdefault(item[name_key], "" if value is None else str(value))
    return out


def _split_holds(text: str) -> tuple[str, ...]:
    return tuple(h.strip() for h in text.split(",") if h.strip())


def _landing_params(order: Mapping[str, Any]) -> dict[str, str]:
    landing = order.get("landing_site")
    params: dict[str, str] = {}
    if isinstance(landing, str) and landing:
        try:
            query = urlsplit(landing).query
        except ValueError:
            query = ""
        for k, v in parse_qsl(query, keep_blank_values=True):
            params.setdefault(k, v)
    return params


def _lines(order: Mapping[str, Any], order_id: str) -> tuple[OrderLine, ...]:
    raw = order.get("line_items")
    lines: list[OrderLine] = []
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, Mapping):
            _LOGGER.warning("order %s: line %d is not an object; skipped", order_id, i)
            continue
        qty = item.get("quantity")
        price = _decimal(item.get("price"))
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0 or price is None:
            _LOGGER.warning("order %s: line %d has no valid quantity/price; skipped", order_id, i)
            continue
        lines.append(
            OrderLine(
                variant_id=_str_id(item.get("variant_id")),
                product_id=_str_id(item.get("product_id")),
                line_item_id=_str_id(item.get("id")),
                title=str(item.get("title") or item.get("name") or ""),
                sku=str(item.get("sku") or ""),
                quantity=qty,
                price=price,
            )
        )
    return tuple(lines)


def _placed_at(order: Mapping[str, Any], key: str = "created_at") -> datetime | None:
    raw = order.get(key)
    if not isinstance(raw, str):
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def attribute_order(order: Mapping[str, Any]) -> Attribution:
    """Trace an order payload back to its holds, show, platform and viewer.

    Args:
        order: An ``orders/create`` (or ``orders/paid``, ``orders/cancelled``) webhook payload
            (REST shape); GraphQL ``customAttributes`` are read too.

    Returns:
        The attribution; ``source`` says which evidence was used ("none" if nothing matched).

    Raises:
        MalformedOrder: ``order`` is not a mapping or has no id.
    """
    if not isinstance(order, Mapping):
        raise MalformedOrder("an order payload must be a JSON object")
    order_id = _str_id(order.get("id")) or _str_id(order.get("admin_graphql_api_id"))
    if order_id is None:
        raise MalformedOrder("the order payload has no id")
    attrs = _attributes(order)
    params = _landing_params(order)
    hold_ids = _split_holds(attrs.get(HOLD_ATTRIBUTE, ""))
    source: Source = "attribute" if hold_ids else "none"
    if not hold_ids:
        hold_ids = hold_ids_from_ref(params.get("ref", ""))
        source = "landing_site" if hold_ids else "none"
    if not hold_ids and isinstance(order.get("landing_site_ref"), str):
        hold_ids = hold_ids_from_ref(order["landing_site_ref"])
        source = "ref" if hold_ids else "none"
    show = attrs.get(SHOW_ATTRIBUTE) or attrs.get("utm_campaign") or params.get("utm_campaign")
    platform = attrs.get(PLATFORM_ATTRIBUTE) or attrs.get("utm_source") or params.get("utm_source")
    if source == "none" and show and (attrs.get(SHOW_ATTRIBUTE) or attrs.get("utm_campaign")):
        source = "attribute"
    elif source == "none" and show:
        source = "landing_site"
    currency = order.get("currency") or order.get("presentment_currency") or ""
    lines = _lines(order, order_id)
    total = _decimal(order.get("total_price"))
    if total is None:
        total = sum((li.price * li.quantity for li in lines), Decimal("0"))
    return Attribution(
        order_id=order_id,
        name=str(order.get("name") or ""),
        hold_ids=hold_ids,
        show=show or None,
        platform=platform or None,
        viewer=attrs.get(VIEWER_ATTRIBUTE) or None,
        source=source,
        lines=lines,
        currency=str(currency),
        total=total,
        placed_at=_placed_at(order),
        financial_status=str(order.get("financial_status") or "").strip().lower()[:32],
        cancelled_at=_placed_at(order, "cancelled_at"),
        updated_at=_placed_at(order, "updated_at"),
    )


def _shop_money(item: Mapping[str, Any], key: str) -> tuple[Decimal | None, str]:
    """``item[key].shop_money`` as (amount, currency), else ``item[key[:-4]]`` and no currency."""
    money = item.get(key)
    if isinstance(money, Mapping) and isinstance(money.get("shop_money"), Mapping):
        shop = money["shop_money"]
        return _decimal(shop.get("amount")), str(shop.get("currency_code") or "")
    return _decimal(item.get(key.removesuffix("_set"))), ""


def read_refund(refund: Mapping[str, Any]) -> Refund:
    """Read a ``refunds/create`` payload (REST shape).

    Raises:
        MalformedRefund: ``refund`` is not a mapping, or has no refund id or no order id.
    """
    if not isinstance(refund, Mapping):
        raise MalformedRefund("a refund payload must be a JSON object")
    refund_id = _str_id(refund.get("id")) or _str_id(refund.get("admin_graphql_api_id"))
    order_id = _str_id(refund.get("order_id"))
    if refund_id is None or order_id is None:
        raise MalformedRefund("the refund payload has no id or no order_id")
    lines: list[tuple[str, Decimal]] = []
    currency = ""
    raw_lines = refund.get("refund_line_items")
    for item in raw_lines if isinstance(raw_lines, list) else []:
        if not isinstance(item, Mapping):
            continue
        line_id = _str_id(item.get("line_item_id"))
        amount, cur = _shop_money(item, "subtotal_set")
        if line_id is None or amount is None:
            continue
        lines.append((line_id, amount))
        currency = currency or cur
    paid_back: Decimal | None = None
    raw_tx = refund.get("transactions")
    for tx in raw_tx if isinstance(raw_tx, list) else []:
        if not isinstance(tx, Mapping) or tx.get("kind") != "refund":
            continue
        if tx.get("status") != "success":
            continue
        amount = _decimal(tx.get("amount"))
        if amount is None:
            continue
        paid_back = (paid_back or Decimal("0")) + amount
        currency = currency or str(tx.get("currency") or "")
    if paid_back is None:
        paid_back = sum((amount for _, amount in lines), Decimal("0"))
    return Refund(
        refund_id=refund_id,
        order_id=order_id,
        amount=paid_back,
        currency=currency[:8],
        lines=tuple(lines),
        created_at=_placed_at(refund),
    )
