"""The catalog the parser grounds references in, loaded from Shopify's products.json shape."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

_LOGGER = logging.getLogger(__name__)

LIVE_TAG_PREFIX = "live:"


class CatalogError(ValueError):
    """The catalog document as a whole is unusable (not a products.json shape)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogOption:
    """One product option (``Size``, ``Color``...) and its values in store order."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogVariant:
    """One sellable variant; ``options`` holds its values in the product's option order."""

    variant_id: str
    sku: str | None
    title: str
    options: tuple[str, ...]
    price: Decimal
    available: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogProduct:
    """One product with its live code (from a ``live:<CODE>`` tag), options and variants."""

    handle: str
    title: str
    product_id: str
    tags: tuple[str, ...]
    live_code: str | None
    options: tuple[CatalogOption, ...]
    variants: tuple[CatalogVariant, ...]


def split_tags(raw: Any) -> tuple[str, ...]:
    """Return the tags of a product: Shopify writes one comma-separated string."""
    if isinstance(raw, str):
        parts = raw.split(",")
    elif isinstance(raw, list | tuple):
        parts = [str(p) for p in raw]
    else:
        return ()
    return tuple(p.strip() for p in parts if p.strip())


def live_code_of(tags: tuple[str, ...]) -> str | None:
    """Return the live code of the first ``live:<CODE>`` tag, if any."""
    for tag in tags:
        if tag[: len(LIVE_TAG_PREFIX)].lower() == LIVE_TAG_PREFIX:
            code = tag[len(LIVE_TAG_PREFIX) :].strip()
            if code:
                return code
    return None


def _variant(raw: Mapping[str, Any], option_count: int) -> CatalogVariant:
    values = []
    for position in range(1, max(option_count, 1) + 1):
        value = raw.get(f"option{position}")
        values.append(str(value) if value is not None else "")
    qty = raw.get("inventory_quantity")
    sku = raw.get("sku")
    return CatalogVariant(
        variant_id=str(raw["id"]),
        sku=str(sku) if sku else None,
        title=str(raw.get("title") or " / ".join(v for v in values if v)),
        options=tuple(values[:option_count]) if option_count else tuple(values),
        price=Decimal(str(raw.get("price", "0"))),
        available=int(qty)
        if isinstance(qty, int | float | str) and str(qty).lstrip("-").isdigit()
        else None,
    )


def _options(raw: Mapping[str, Any]) -> tuple[CatalogOption, ...]:
    options = []
    for index, opt in enumerate(raw.get("options") or ()):
        name = str(opt.get("name") or f"Option{index + 1}")
        values = opt.get("values")
        if not isinstance(values, list) or not values:
            key = f"option{index + 1}"
            values = list(
                dict.fromkeys(v.get(key) for v in raw.get("variants") or () if v.get(key))
            )
        options.append(CatalogOption(name=name, values=tuple(str(v) for v in values)))
    if not options:
        options.append(CatalogOption(name="Title", values=("Default Title",)))
    return tuple(options[:3])


def product_from_json(raw: Mapping[str, Any]) -> CatalogProduct:
    """Translate one products.json product; raises ``KeyError``/``ValueError`` if malformed."""
    tags = split_tags(raw.get("tags"))
    options = _options(raw)
    variants = tuple(_variant(v, len(options)) for v in raw["variants"])
    if not variants:
        raise ValueError("product has no variants")
    return CatalogProduct(
        handle=str(raw["handle"]),
        title=str(raw.get("title") or raw["handle"]),
        product_id=str(raw.get("id", "")),
        tags=tags,
        live_code=live_code_of(tags),
        options=options,
        variants=variants,
    )


def load_products_json(data: Mapping[str, Any]) -> tuple[CatalogProduct, ...]:
    """Load a Shopify ``products.json`` document; malformed products are logged and skipped.

    Raises:
        CatalogError: ``data`` has no ``products`` list.
    """
    products = data.get("products") if isinstance(data, Mapping) else None
    if not isinstance(products, list):
        raise CatalogError("catalog must be an object with a 'products' list")
    loaded: list[CatalogProduct] = []
    for position, raw in enumerate(products):
        try:
            loaded.append(product_from_json(raw))
        except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
            _LOGGER.warning("skipping malformed catalog product #%s: %r", position, exc)
    return tuple(loaded)
