"""Pure translation of Shopify payloads (GraphQL nodes, bulk JSONL, REST webhooks) to records."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelRecord:
    """Available stock of an inventory item at a location."""

    inventory_item_id: str
    location_id: str
    available: int
    updated_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductRecord:
    """A product without its variants."""

    product_id: str
    gid: str
    handle: str
    title: str
    status: str
    tags: tuple[str, ...]
    options: tuple[tuple[str, tuple[str, ...]], ...]
    updated_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantRecord:
    """A variant with its product and (when read from GraphQL) its levels."""

    variant_id: str
    gid: str
    product: ProductRecord
    inventory_item_id: str
    sku: str
    title: str
    position: int
    options: tuple[str | None, str | None, str | None]
    price: Decimal
    tracked: bool | None  # None: the payload does not say (webhooks since 2024-07)
    policy: str
    updated_at: datetime | None
    levels: tuple[LevelRecord, ...] | None = field(default=None)
    levels_after: str | None = field(default=None)
    """The end cursor of ``levels`` when the item has more (``pageInfo.hasNextPage``)."""


def numeric_id(value: Any) -> str:
    """Return the numeric id of a gid (``gid://shopify/X/123?x=y`` -> ``"123"``) or of an int."""
    text = str(value if value is not None else "")
    if text.startswith("gid://"):
        text = text.rsplit("/", 1)[-1].split("?", 1)[0]
    return text


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO 8601 time (``Z`` or offset) to aware UTC; None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    return _parse_time(value)


@functools.lru_cache(maxsize=4096)
def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _price(value: Any) -> Decimal:
    if isinstance(value, Mapping):  # MoneyV2 {amount, currencyCode}
        value = value.get("amount")
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"bad price {value!r}") from None


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    return tuple(str(t) for t in value or ())


def _options(raw: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for opt in sorted(raw or (), key=lambda o: o.get("position") or 0):
        out.append((str(opt.get("name", "")), tuple(str(v) for v in opt.get("values") or ())))
    return tuple(out)


def product_from_node(node: Mapping[str, Any]) -> ProductRecord:
    """Translate a GraphQL ``Product`` selection."""
    gid = str(node["id"])
    return ProductRecord(
        product_id=numeric_id(node.get("legacyResourceId") or gid),
        gid=gid,
        handle=str(node.get("handle") or ""),
        title=str(node.get("title") or ""),
        status=str(node.get("status") or "ACTIVE").upper(),
        tags=_tags(node.get("tags")),
        options=_options(node.get("options")),
        updated_at=parse_time(node.get("updatedAt")),
    )


def _level_from_node(item_id: str, node: Mapping[str, Any]) -> LevelRecord:
    available = 0
    for q in node.get("quantities") or ():
        if q.get("name") == "available":
            available = int(q.get("quantity") or 0)
    return LevelRecord(
        inventory_item_id=item_id,
        location_id=numeric_id((node.get("location") or {}).get("id")),
        available=available,
        updated_at=parse_time(node.get("updatedAt")),
    )


def levels_from_connection(
    item_id: str, connection: Mapping[str, Any]
) -> tuple[tuple[LevelRecord, ...], str | None]:
    """Translate an ``inventoryLevels`` connection (``nodes`` or ``edges``): the levels and
    the end cursor when ``pageInfo.hasNextPage`` says there are more.

    Raises:
        TypeError, ValueError, AttributeError: a malformed connection.
    """
    nodes = connection.get("nodes")
    if nodes is None:
        nodes = [e.get("node") for e in connection.get("edges") or ()]
    levels = tuple(_level_from_node(item_id, n) for n in nodes if n)
    info = connection.get("pageInfo") or {}
    after = info.get("endCursor") if info.get("hasNextPage") else None
    return levels, (str(after) if after else None)


def variant_from_node(
    node: Mapping[str, Any], product: ProductRecord | None = None
) -> VariantRecord | None:
    """Translate a GraphQL ``ProductVariant`` node (see :mod:`shop_sync.queries`); ``product``
    is given when the node has no ``product`` selection (bulk lines).

    Returns None (with a log line) for a malformed node.
    """
    try:
        item = node.get("inventoryItem") or {}
        item_id = numeric_id(item.get("legacyResourceId") or item.get("id"))
        levels_raw = item.get("inventoryLevels")
        levels, after = None, None
        if isinstance(levels_raw, Mapping):
            levels, after = levels_from_connection(item_id, levels_raw)
        selected = [str(o.get("value")) for o in node.get("selectedOptions") or ()]
        selected += [None] * (3 - len(selected))  # type: ignore[list-item]
        gid = str(node["id"])
        return VariantRecord(
            variant_id=numeric_id(node.get("legacyResourceId") or gid),
            gid=gid,
            product=product if product is not None else product_from_node(node["product"]),
            inventory_item_id=item_id,
            sku=str(node.get("sku") or ""),
            title=str(node.get("title") or ""),
            position=int(node.get("position") or 1),
            options=(selected[0], selected[1], selected[2]),
            price=_price(node.get("price")),
            tracked=bool(item.get("tracked", True)),
            policy=str(node.get("inventoryPolicy") or "DENY").upper(),
            updated_at=parse_time(node.get("updatedAt")),
            levels=levels,
            levels_after=after,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        _LOGGER.warning("skipped a malformed variant node: %s", exc)
        return None


_VARIANT_GID = "gid://shopify/ProductVariant/"
_PRODUCT_GID = "gid://shopify/Product/"


def variants_from_bulk(lines: Iterable[str | bytes]) -> list[VariantRecord]:
    """Rebuild variants (with products and levels) from bulk-operation JSONL.

    Children carry ``__parentId`` and come after their parent, but not necessarily right after
    it. Roots may be products (variants are their children) or variants (with an inline
    ``product``); a level's parent may be the variant or its inventory item.
    """
    products: dict[str, ProductRecord | None] = {}
    variants: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}  # variant gid or inventory item gid -> variant gid
    levels: list[dict[str, Any]] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            _LOGGER.warning("skipped malformed bulk line %s", n)
            continue
        if not isinstance(obj, dict):
            continue
        gid = str(obj.get("id", ""))
        if gid.startswith(_PRODUCT_GID):
            try:
                products[gid] = product_from_node(obj)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                _LOGGER.warning("skipped a malformed bulk product: %s", exc)
                products[gid] = None
        elif gid.startswith(_VARIANT_GID):
            item = dict(obj.get("inventoryItem") or {})
            item["inventoryLevels"] = {"nodes": []}
            obj["inventoryItem"] = item
            variants[gid] = obj
            owner[gid] = gid
            if item.get("id"):
                owner[str(item["id"])] = gid
        elif "__parentId" in obj:
            levels.append(obj)
    for child in levels:
        parent = owner.get(str(child["__parentId"]))
        if parent is None:
            _LOGGER.warning("bulk line with unknown parent %s", child["__parentId"])
            continue
        variants[parent]["inventoryItem"]["inventoryLevels"]["nodes"].append(child)
    out = []
    for node in variants.values():
        product = None
        if "product" not in node:
            product = products.get(str(node.get("__parentId")))
            if product is None:
                _LOGGER.warning("bulk variant %s without its product", node.get("id"))
                continue
        record = variant_from_node(node, product)
        if record is not None:
            out.append(record)
    return out


def _webhook_tracked(variant: Mapping[str, Any]) -> bool | None:
    """Whether a webhook variant is tracked, or None when the payload does not say.

    Since 2024-07 variant payloads carry no ``inventory_management`` (shopify.dev/changelog/
    product-variant-field-cleanup: replaced by ``InventoryItem.tracked``, not in this payload);
    older versions send ``"shopify"`` (tracked) or null (untracked).
    """
    if "inventory_management" not in variant:
        return None
    return variant["inventory_management"] is not None


def product_from_webhook(
    payload: Mapping[str, Any],
) -> tuple[ProductRecord, list[VariantRecord]]:
    """Translate a ``products/create|update`` payload (REST shape); variants carry no levels.

    A variant's ``tracked`` is None when the payload does not say, and its
    ``inventory_item_id`` is empty when the payload has none (Shopify's own samples send
    null): the mirror keeps what it knows of both.

    Raises:
        ValueError: the payload is not a product.
    """
    try:
        pid = numeric_id(payload["id"])
        product = ProductRecord(
            product_id=pid,
            gid=str(payload.get("admin_graphql_api_id") or f"gid://shopify/Product/{pid}"),
            handle=str(payload.get("handle") or ""),
            title=str(payload.get("title") or ""),
            status=str(payload.get("status") or "active").upper(),
            tags=_tags(payload.get("tags")),
            options=_options(payload.get("options")),
            updated_at=parse_time(payload.get("updated_at")),
        )
        variants = []
        for v in payload.get("variants") or ():
            vid = numeric_id(v["id"])
            variants.append(
                VariantRecord(
                    variant_id=vid,
                    gid=str(v.get("admin_graphql_api_id") or f"gid://shopify/ProductVariant/{vid}"),
                    product=product,
                    inventory_item_id=numeric_id(v.get("inventory_item_id")),
                    sku=str(v.get("sku") or ""),
                    title=str(v.get("title") or ""),
                    position=int(v.get("position") or 1),
                    options=(v.get("option1"), v.get("option2"), v.get("option3")),
                    price=_price(v.get("price")),
                    tracked=_webhook_tracked(v),
                    policy=str(v.get("inventory_policy") or "deny").upper(),
                    updated_at=parse_time(v.get("updated_at")),
                )
            )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not a product payload: {exc}") from None
    return product, variants


def level_from_webhook(payload: Mapping[str, Any]) -> LevelRecord:
    """Translate an ``inventory_levels/update`` payload.

    Raises:
        ValueError: the payload lacks the item, the location or the quantity.
    """
    try:
        available = payload["available"]
        return LevelRecord(
            inventory_item_id=numeric_id(payload["inventory_item_id"]),
            location_id=numeric_id(payload["location_id"]),
            available=int(available) if available is not None else 0,
            updated_at=parse_time(payload.get("updated_at")),
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # int(1e400): Overflow
        raise ValueError(f"not an inventory level payload: {exc}") from None
