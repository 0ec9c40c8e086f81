"""The live catalog: products from the store mirror, the parser's index, and product views.

The index is rebuilt only when the products change (a sync or a webhook), never per message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chat_commands.catalog import CatalogProduct, CatalogVariant, load_products_json
from chat_commands.config import ParserConfig
from chat_commands.index import CatalogIndex
from chat_commands.language import load_config_languages
from shopstream.answers import ProductView, VariantView

_LOGGER = logging.getLogger(__name__)

ProductsSource = Callable[[], Sequence[Mapping[str, Any]]]


class LiveCatalog:
    """Products by handle and variant id, plus the parser index built from them."""

    def __init__(
        self,
        source: ProductsSource,
        *,
        parser: ParserConfig,
        currency: str = "USD",
        lineup: Mapping[str, str] | None = None,
    ) -> None:
        self._source = source
        self._parser = parser
        self.currency = currency
        self._lineup: dict[str, str] = dict(lineup or {})
        self._languages = load_config_languages(parser)  # merchant files and aliases too
        self._lock = threading.Lock()
        self.products: dict[str, CatalogProduct] = {}
        self.variants: dict[str, tuple[CatalogProduct, CatalogVariant]] = {}
        self.index = CatalogIndex.build(())  # built for real by refresh()
        self.version = 0

    def refresh(self) -> int:
        """Reload products from the source and rebuild the index; return the product count."""
        products = load_products_json({"products": list(self._source())})
        index = CatalogIndex.build(
            products,
            lineup=self._lineup,
            aliases=self._parser.product_aliases,
            language_data=self._languages,
        )
        with self._lock:
            self.products = {p.handle: p for p in products}
            self.variants = {v.variant_id: (p, v) for p in products for v in p.variants}
            self.index = index
            self.version += 1
        _LOGGER.info("catalog: %d products, %d variants", len(products), len(self.variants))
        return len(products)

    def resolve(self, ref: str) -> CatalogProduct | None:
        """Find a product by handle or live code (lineup first, then its ``live:`` tag)."""
        if ref in self.products:
            return self.products[ref]
        handle = self._lineup.get(ref) or self._lineup.get(ref.upper())
        if handle and handle in self.products:
            return self.products[handle]
        for product in self.products.values():
            if product.live_code and product.live_code.casefold() == ref.casefold():
                return product
        return None

    def code_of(self, handle: str) -> str:
        """The live code viewers type for ``handle`` (lineup, then tag, then the handle)."""
        for code, h in self._lineup.items():
            if h == handle:
                return code
        product = self.products.get(handle)
        return (product.live_code if product else None) or handle

    def view(self, handle: str, free: Callable[[str], int | None]) -> ProductView | None:
        """A product as answers see it, with live free stock per variant."""
        product = self.products.get(handle)
        if product is None:
            return None
        option_names = tuple(o.name for o in product.options)
        if option_names == ("Title",):
            option_names = ()
        return ProductView(
            title=product.title,
            handle=product.handle,
            currency=self.currency,
            options=option_names,
            variants=tuple(
                VariantView(
                    title=v.title,
                    options=v.options if option_names else (),
                    price=v.price,
                    available=free(v.variant_id),
                )
                for v in product.variants
            ),
            code=self.code_of(handle),
        )
