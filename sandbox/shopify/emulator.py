"""``ShopifyEmulator``: the emulated Shopify Admin API on 127.0.0.1, with control methods.

Usage (tests and the in-process demo)::

    async with ShopifyEmulator(webhook_url=app_url + "/webhooks/shopify") as shop:
        shop.base_url          # -> ShopConfig(admin_base_url=shop.base_url)
        shop.set_available("44000000001", 0)       # + signed inventory_levels/update
        shop.place_order([("44000000001", 1)], note_attributes={"_shopstream_hold": "abc"})
        shop.webhooks.pause(); ...; shop.webhooks.flush(reverse=True)   # out of order
        shop.webhooks.duplicate_next(2)                                  # duplicates
        shop.inject("throttled", times=2)                                # faults

It is also a plain (synchronous) context manager, for benchmarks and scripts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter

from sandbox.shopify.app import AdminControl, AdminFallback, create_app
from sandbox.shopify.app_scopes import AppScopes
from sandbox.shopify.graphql import AdminGraphQL, Bucket
from sandbox.shopify.serve import ServedApp
from sandbox.shopify.store import MAIN_LOCATION, EmulatedStore, generate_catalog, load_demo
from sandbox.shopify.webhook_sender import WebhookSender

SANDBOX_TOKEN = "shpat_sandbox"
SANDBOX_WEBHOOK_SECRET = "sandbox-webhook-secret"


class ShopifyEmulator:
    """The emulated store and its Admin API server.

    Args:
        products: Products in ``products.json`` shape; default the demo catalog.
        variants: Generate a catalog of this many variants instead.
        locations: Location ids; stock starts at the first.
        token: The static Admin access token it accepts.
        webhook_url: Where signed webhooks go (None: not sent, still recorded as payloads).
        webhook_secret: The app secret webhooks are signed with.
        bucket_max, restore_rate: The cost bucket (Standard plan: 2000 / 100).
        monotonic: Clock of the cost bucket (tests pass a fake one shared with the client).
        extra_routers: More routes on the same host (e.g. the checkout emulator's).
        admin_fallbacks: Answer Admin GraphQL documents this emulator does not know.
    """

    def __init__(
        self,
        *,
        products: Iterable[Mapping[str, Any]] | None = None,
        variants: int | None = None,
        locations: Sequence[str] = (MAIN_LOCATION,),
        shop: str = "demo-shop.myshopify.com",
        api_version: str = "2026-07",
        token: str = SANDBOX_TOKEN,
        webhook_url: str | None = None,
        webhook_secret: str = SANDBOX_WEBHOOK_SECRET,
        bucket_max: float = 2000.0,
        restore_rate: float = 100.0,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        extra_routers: Iterable[APIRouter] = (),
        admin_fallbacks: Iterable[AdminFallback] = (),
    ) -> None:
        if variants is not None:
            catalog: Iterable[Mapping[str, Any]] = generate_catalog(variants)
        else:
            catalog = load_demo() if products is None else products
        self.store = EmulatedStore(catalog, locations=locations, clock=clock)
        self.control = AdminControl(tokens={token})
        self.admin = AdminGraphQL(
            self.store,
            Bucket(maximum=bucket_max, restore_rate=restore_rate, clock=monotonic),
            shop=shop,
        )
        self.webhooks = WebhookSender(
            secret=webhook_secret, shop=shop, api_version=api_version, target=webhook_url
        )
        self.admin.notify = self.webhooks.send  # the webhooks GraphQL mutations cause
        self.shop = shop
        self.api_version = api_version
        self.token = token
        self.app_scopes = AppScopes()  # sandbox/shopify/app_scopes.py
        self.app = create_app(
            self.admin,
            self.control,
            extra_routers=extra_routers,
            admin_fallbacks=(*admin_fallbacks, self.app_scopes.answer),
        )
        self._served: ServedApp | None = None
        self.webhooks.clock = clock  # X-Shopify-Triggered-At by the store's clock

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The Admin API base URL (``http://127.0.0.1:<port>``)."""
        if self._served is None:
            raise RuntimeError("the emulator is not running")
        return self._served.url

    def __enter__(self) -> ShopifyEmulator:
        self._served = ServedApp(self.app).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._served is not None:
            self._served.stop()
            self._served = None

    async def __aenter__(self) -> ShopifyEmulator:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.to_thread(self.__exit__)

    # --- control --------------------------------------------------------------------------

    def inject(self, fault: str, times: int = 1) -> None:
        """Make the next ``times`` Admin API calls fail: ``http_429`` (Retry-After 2),
        ``http_429_bare``, ``http_500``, ``http_503``, ``throttled`` (HTTP 200),
        ``graphql_error`` or ``http_401``."""
        self.control.faults.extend([fault] * times)

    def revoke_issued_tokens(self) -> None:
        """Expire every token issued by the client-credentials grant."""
        self.control.issued.clear()

    def set_available(
        self, variant_id: str, available: int, *, location: str | None = None, notify: bool = True
    ) -> dict[str, Any]:
        """Set a variant's available stock; send ``inventory_levels/update`` unless told not to."""
        payload = self.store.set_available(str(variant_id), available, location=location)
        if notify:
            self.webhooks.send("inventory_levels/update", payload)
        return payload

    def update_variant(
        self, variant_id: str, *, notify: bool = True, **changes: Any
    ) -> dict[str, Any]:
        """Change variant fields; send ``products/update``."""
        payload = self.store.update_variant(str(variant_id), **changes)
        if notify:
            self.webhooks.send("products/update", payload)
        return payload

    def add_product(self, product: Mapping[str, Any], *, notify: bool = True) -> dict[str, Any]:
        """Create a product; send ``products/create``."""
        payload = self.store.add_product(product)
        if notify:
            self.webhooks.send("products/create", payload)
        return payload

    def delete_product(self, product_id: str, *, notify: bool = True) -> dict[str, Any]:
        """Delete a product; send ``products/delete``."""
        payload = self.store.delete_product(str(product_id))
        if notify:
            self.webhooks.send("products/delete", payload)
        return payload

    def place_order(
        self,
        lines: Sequence[tuple[str, int]],
        *,
        note_attributes: Mapping[str, str] | Sequence[Mapping[str, str]] | None = None,
        notify: bool = True,
        financial_status: str = "paid",
    ) -> dict[str, Any]:
        """Place an order: stock drops; send ``orders/create`` then the level updates."""
        order, levels = self.store.place_order(
            [(str(v), q) for v, q in lines],
            note_attributes=note_attributes,
            financial_status=financial_status,
        )
        if notify:
            self.webhooks.send("orders/create", order)
            for level in levels:
                self.webhooks.send("inventory_levels/update", level)
        return order

    def mark_paid(self, order_id: str, *, notify: bool = True) -> dict[str, Any]:
        """Capture an unpaid order's payment; send ``orders/paid``."""
        payload = self.store.mark_paid(str(order_id))
        if notify:
            self.webhooks.send("orders/paid", payload)
        return payload

    def cancel_order(
        self, order_id: str, *, restock: bool = True, notify: bool = True
    ) -> dict[str, Any]:
        """Cancel an order (restocking it); send ``orders/cancelled`` then the level updates."""
        payload, levels = self.store.cancel_order(str(order_id), restock=restock)
        if notify:
            self.webhooks.send("orders/cancelled", payload)
            for level in levels:
                self.webhooks.send("inventory_levels/update", level)
        return payload

    def refund(
        self,
        order_id: str,
        lines: Sequence[tuple[int | str, int]] = (),
        *,
        amount: Decimal | None = None,
        notify: bool = True,
    ) -> dict[str, Any]:
        """Refund order lines (or an amount); send ``refunds/create``."""
        payload = self.store.refund(str(order_id), lines, amount=amount)
        if notify:
            self.webhooks.send("refunds/create", payload)
        return payload

    def record_order(self, order: Mapping[str, Any], *, notify: bool = True) -> dict[str, Any]:
        """Take an order placed elsewhere (the checkout emulator's ``on_order``): stock drops
        for its ``line_items``; ``orders/create`` and the level updates are sent."""
        lines = [
            (str(li["variant_id"]), int(li["quantity"]))
            for li in order.get("line_items", [])
            if str(li.get("variant_id")) in self.store.variants
        ]
        placed, levels = self.store.place_order(lines, order=order)
        if notify:
            self.webhooks.send("orders/create", placed)
            for level in levels:
                self.webhooks.send("inventory_levels/update", level)
        return placed
