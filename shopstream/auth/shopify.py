"""Shopify: a custom app's Admin token (or the client-credentials grant), its scopes, and the
webhook and Storefront secrets.

commerce.md §1.1: since 2026-01-01 new custom apps come from the Dev Dashboard and get tokens
by ``POST /admin/oauth/access_token`` (``grant_type=client_credentials``; they last 24 h, the
show refreshes them); older custom apps' ``shpat_`` tokens keep working. Scopes the bot needs:
``read_products``, ``read_inventory``, ``read_locations``, ``read_orders``, and
``write_draft_orders`` for draft-order links. The cheap check is
``currentAppInstallation { accessScopes { handle } }`` (shopify.dev, AppInstallation).
"""

from __future__ import annotations

import requests

from checkout_links.config import LinksConfig
from shop_sync.config import ShopConfig
from shopstream.auth.findings import Finding, missing_scopes, unreachable

SCOPES = ("read_products", "read_inventory", "read_locations", "read_orders")
DRAFT_ORDERS = ("write_draft_orders",)
SCOPES_QUERY = "query { currentAppInstallation { accessScopes { handle } } }"
FIX = "run `shopstream auth shopify` (custom app: Dev Dashboard > your app > API credentials)"


def needed_scopes(links: LinksConfig) -> tuple[str, ...]:
    """What the store sync and the configured link strategy use."""
    return SCOPES + (DRAFT_ORDERS if links.strategy == "draft_order" else ())


def validate(
    session: requests.Session, shop: ShopConfig, links: LinksConfig, *, token: str
) -> Finding:
    """One cheap Admin query: is the token accepted, and does the app have every scope?"""
    try:
        reply = session.post(
            shop.graphql_url,
            json={"query": SCOPES_QUERY},
            headers={"X-Shopify-Access-Token": token},
            timeout=15,
        )
    except requests.RequestException as exc:
        return unreachable("store", exc)
    if reply.status_code in (401, 403):
        return Finding("store", "invalid_auth", f"{shop.shop} refused the Admin token", FIX)
    if reply.status_code != 200:
        return Finding("store", "cannot_connect", f"Admin API answered HTTP {reply.status_code}")
    try:
        install = reply.json()["data"]["currentAppInstallation"]
        granted = [str(s["handle"]) for s in install["accessScopes"]]
    except (ValueError, KeyError, TypeError):
        return Finding("store", "cannot_connect", "unexpected answer to the scopes query")
    lacking = missing_scopes(granted, needed_scopes(links))
    if lacking:
        fix = f"add {', '.join(lacking)} to the app's Admin API scopes, reinstall, then {FIX}"
        return Finding("store", "invalid_auth", f"app lacks {', '.join(lacking)}", fix)
    return Finding("store", "ok", f"{shop.shop}, Admin API {shop.api_version}, scopes ok")
