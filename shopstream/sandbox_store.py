"""The sandbox store: the Shopify emulator (Admin, Storefront, checkout) on 127.0.0.1.

Only ``demo``, ``rehearse`` and tests use this; a real show never imports :mod:`sandbox`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shopstream.core import StoreAccess
from shopstream.settings import Settings
from shopstream.settings_errors import SettingsError

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class SandboxStore:
    """The running emulator and how the app reaches it."""

    emulator: Any  # sandbox.shopify.ShopifyEmulator
    checkout: Any  # sandbox.shopify.checkout_routes.CheckoutEmulator
    access: StoreAccess

    def deliver_webhooks_to(self, web_url: str) -> None:
        """Send the emulator's signed webhooks to the app's web server."""
        self.emulator.webhooks.target = f"{web_url.rstrip('/')}/webhooks/shopify"


def sandbox_products(settings: Settings) -> list[dict[str, Any]] | None:
    """The merchant's ``app.sandbox_catalog``, checked (None: the demo catalog).

    Raises:
        SettingsError: the catalog has problems that would oversell or crash a show (each
            with its row or product and field).
    """
    path = settings.app.sandbox_catalog
    if path is None:
        return None
    from sandbox.catalog import load_catalog

    report = load_catalog(path)
    if report.stops:
        raise SettingsError([f"app.sandbox_catalog: {f.line()}" for f in report.errors()])
    for finding in report.assumptions():
        _LOGGER.warning("app.sandbox_catalog: %s", finding.line())
    return report.products


@contextlib.asynccontextmanager
async def sandbox_store(
    settings: Settings, *, products: Iterable[Mapping[str, Any]] | None = None
) -> AsyncIterator[SandboxStore]:
    """Start the store emulator (seeded with the demo catalog or ``products``)."""
    from sandbox.shopify import SANDBOX_WEBHOOK_SECRET, ShopifyEmulator
    from sandbox.shopify.checkout_routes import (
        CheckoutEmulator,
        checkout_routes,
        variants_from_products,
    )

    catalog = list(products) if products is not None else None
    checkout = CheckoutEmulator(
        currency=settings.shop.currency or "USD",
        variants=variants_from_products(catalog) if catalog is not None else None,
    )
    emulator = ShopifyEmulator(
        products=catalog,
        shop=settings.shop.shop,
        api_version=settings.shop.api_version,
        extra_routers=[checkout_routes(checkout)],
        admin_fallbacks=[checkout.handle_admin_mutation],
    )
    async with emulator:
        checkout.base_url = emulator.base_url
        checkout.on_order = emulator.record_order
        yield SandboxStore(
            emulator=emulator,
            checkout=checkout,
            access=StoreAccess(
                admin_base_url=emulator.base_url,
                token=emulator.token,
                webhook_secret=SANDBOX_WEBHOOK_SECRET,
                shop_domain=emulator.base_url,
            ),
        )
