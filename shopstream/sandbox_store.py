"""The sandbox store: the Shopify emulator (Admin, Storefront, checkout) on 127.0.0.1.

Only ``demo``, ``rehearse`` and tests use this; a real show never imports :mod:`sandbox`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shopstream.core import StoreAccess
from shopstream.settings import Settings


@dataclass(slots=True)
class SandboxStore:
    """The running emulator and how the app reaches it."""

    emulator: Any  # sandbox.shopify.ShopifyEmulator
    checkout: Any  # sandbox.shopify.checkout_routes.CheckoutEmulator
    access: StoreAccess

    def deliver_webhooks_to(self, web_url: str) -> None:
        """Send the emulator's signed webhooks to the app's web server."""
        self.emulator.webhooks.target = f"{web_url.rstrip('/')}/webhooks/shopify"


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
