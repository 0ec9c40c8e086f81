"""The Shopify Admin API emulator (GraphQL, bulk operations, signed webhooks)."""

from __future__ import annotations

from sandbox.shopify.app import create_app
from sandbox.shopify.emulator import SANDBOX_TOKEN, SANDBOX_WEBHOOK_SECRET, ShopifyEmulator

__all__ = ["SANDBOX_TOKEN", "SANDBOX_WEBHOOK_SECRET", "ShopifyEmulator", "create_app"]
