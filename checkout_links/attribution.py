"""Pure attribution of a Shopify order (``orders/create`` payload) to its holds, show and platform.

Order of evidence: the ``_shopstream_*`` order attributes (``note_attributes`` in REST/webhook
payloads, ``customAttributes`` in GraphQL), else the ``ref`` / ``utm_*`` query of
``landing_site`` (and ``landing_site_ref``). An order with no evidence is still an
:class:`Attribution` (``attributed`` is False): it is recorded, never dropped.
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


class MalformedOrder(ValueError):
    """The payload is not an order (not an object, or no order id)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderLine:
    """One order line: variant (None for custom lines), product, quantity and unit price."""

    variant_id: str | None
    product_id: str | None
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

    @property
    def attributed(self) -> bool:
        """Whether the order was traced to a show (by holds or by UTM campaign)."""
        return bool(self.hold_ids) or self.show is not None


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
                title=str(item.get("title") or item.get("name") or ""),
                sku=str(item.get("sku") or ""),
                quantity=qty,
                price=price,
            )
        )
    return tuple(lines)


def _placed_at(order: Mapping[str, Any]) -> datetime | None:
    raw = order.get("created_at")
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
        order: An ``orders/create`` webhook payload (REST shape); GraphQL ``customAttributes``
            are read too.

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
    )
