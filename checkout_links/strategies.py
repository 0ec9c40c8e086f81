"""Link strategies: cart permalink, Storefront cart, draft order; chosen by settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC
from typing import Any, Protocol

import requests

from checkout_links.config import ADMIN_TOKEN_ENV, STOREFRONT_TOKEN_ENV, LinksConfig
from checkout_links.errors import LinkUnavailable
from checkout_links.keys import (
    HOLD_ATTRIBUTE,
    PLATFORM_ATTRIBUTE,
    SHOW_ATTRIBUTE,
    UTM_MEDIUM,
    VIEWER_ATTRIBUTE,
    check_hold_id,
)
from checkout_links.lines import CheckoutRequest, merge_lines, variant_gid
from checkout_links.permalink import build_cart_permalink, shop_base_url
from checkout_links.shopify_api import AdminDraftOrderClient, StorefrontClient

_LOGGER = logging.getLogger(__name__)


class LinkStrategy(Protocol):
    """Turns one checkout request into the URL the viewer opens."""

    def checkout_url(self, req: CheckoutRequest) -> str:
        """Return the checkout URL for ``req``.

        Raises:
            LinkError: (API strategies) the link could not be made.
            ValueError: the request cannot be expressed as a link.
        """
        ...


def cart_attributes(req: CheckoutRequest, config: LinksConfig) -> list[dict[str, str]]:
    """Return the ``[{key, value}]`` attributes every API-made cart or draft order carries."""
    show = config.show(req.show)
    attrs = [
        {"key": HOLD_ATTRIBUTE, "value": ",".join(check_hold_id(h) for h in req.hold_ids)},
        {"key": SHOW_ATTRIBUTE, "value": req.show},
        {"key": PLATFORM_ATTRIBUTE, "value": req.platform},
    ]
    if req.viewer:
        attrs.append({"key": VIEWER_ATTRIBUTE, "value": req.viewer})
    attrs += [
        {"key": "utm_source", "value": req.platform},
        {"key": "utm_medium", "value": UTM_MEDIUM},
        {"key": "utm_campaign", "value": show.utm_campaign or req.show},
    ]
    return attrs


def _discount(req: CheckoutRequest, config: LinksConfig) -> str | None:
    return req.discount or config.show(req.show).discount


def cart_input(req: CheckoutRequest, config: LinksConfig) -> dict[str, Any]:
    """Return the Storefront ``CartInput`` for ``req`` (pure)."""
    data: dict[str, Any] = {
        "lines": [
            {"merchandiseId": variant_gid(li.variant_id), "quantity": li.quantity}
            for li in merge_lines(req.lines)
        ],
        "attributes": cart_attributes(req, config),
    }
    discount = _discount(req, config)
    if discount:
        data["discountCodes"] = [discount]
    if req.email:
        data["buyerIdentity"] = {"email": req.email}
    return data


def draft_order_input(req: CheckoutRequest, config: LinksConfig) -> dict[str, Any]:
    """Return the Admin ``DraftOrderInput`` for ``req`` (pure); stock is reserved until expiry."""
    until = req.expires_at.astimezone(UTC).replace(microsecond=0)
    data: dict[str, Any] = {
        "lineItems": [
            {"variantId": variant_gid(li.variant_id), "quantity": li.quantity}
            for li in merge_lines(req.lines)
        ],
        "customAttributes": cart_attributes(req, config),
        "reserveInventoryUntil": until.isoformat().replace("+00:00", "Z"),
        "tags": ["shopstream", f"show:{req.show}", f"platform:{req.platform}"],
    }
    discount = _discount(req, config)
    if discount:
        data["discountCodes"] = [discount]
    if req.email:
        data["email"] = req.email
    return data


class PermalinkStrategy:
    """Stateless cart permalinks (the default; no API call, no token)."""

    def __init__(self, config: LinksConfig, *, shop_domain: str | None = None) -> None:
        self._config = config
        self._shop = shop_domain or config.shop_domain
        if not self._shop:
            raise ValueError("links.shop_domain is not set")

    def checkout_url(self, req: CheckoutRequest) -> str:
        """Return the cart permalink for ``req``."""
        show = self._config.show(req.show)
        return build_cart_permalink(
            self._shop,
            req.lines,
            hold_ids=req.hold_ids,
            show=req.show,
            platform=req.platform,
            viewer=req.viewer,
            ref=show.ref,
            discount=_discount(req, self._config),
            email=req.email,
            locale=req.locale or self._config.locale,
            utm_campaign=show.utm_campaign,
        )


class StorefrontCartStrategy:
    """Storefront ``cartCreate`` → ``checkoutUrl`` (attributes and discount codes on the cart)."""

    def __init__(self, client: StorefrontClient, config: LinksConfig) -> None:
        self._client = client
        self._config = config

    def checkout_url(self, req: CheckoutRequest) -> str:
        """Create a cart for ``req`` and return its checkout URL."""
        return self._client.cart_create(cart_input(req, self._config)).checkout_url


class DraftOrderStrategy:
    """Admin ``draftOrderCreate`` reserving stock until the hold expires → ``invoiceUrl``."""

    def __init__(self, client: AdminDraftOrderClient, config: LinksConfig) -> None:
        self._client = client
        self._config = config

    def checkout_url(self, req: CheckoutRequest) -> str:
        """Create a draft order for ``req`` and return its invoice URL."""
        return self._client.draft_order_create(draft_order_input(req, self._config)).invoice_url


class FallbackStrategy:
    """Use ``primary``; when the shop API is unavailable, fall back (a link now beats none)."""

    def __init__(self, primary: LinkStrategy, fallback: LinkStrategy) -> None:
        self._primary = primary
        self._fallback = fallback

    def checkout_url(self, req: CheckoutRequest) -> str:
        """Return the primary strategy's URL, or the fallback's when the API is unavailable."""
        try:
            return self._primary.checkout_url(req)
        except LinkUnavailable as exc:
            _LOGGER.warning("checkout API unavailable (%s); sending a cart permalink", exc)
            return self._fallback.checkout_url(req)


def make_strategy(
    config: LinksConfig,
    *,
    session: requests.Session,
    environ: Mapping[str, str] | None = None,
    sandbox: bool = False,
    shop_domain: str | None = None,
) -> LinkStrategy:
    """Build the strategy ``config.strategy`` names; API strategies fall back to permalinks.

    Args:
        config: The ``[links]`` settings.
        session: The ``requests`` session API strategies use.
        environ: Where tokens are read (default ``os.environ``).
        sandbox: In sandbox mode (asked for explicitly) a missing Admin token is allowed
            (the emulator decides); a live show needs it.
        shop_domain: Overrides ``config.shop_domain`` (the app passes the emulator URL).

    Raises:
        ValueError: no shop domain, or ``draft_order`` in live mode without an Admin token.
    """
    env = os.environ if environ is None else environ
    shop = shop_domain or config.shop_domain
    permalink = PermalinkStrategy(config, shop_domain=shop)
    if config.strategy == "permalink":
        return permalink
    if config.strategy == "storefront_cart":
        client = StorefrontClient(
            session,
            base_url=config.storefront_url or shop_base_url(shop),
            api_version=config.api_version,
            token=env.get(STOREFRONT_TOKEN_ENV) or None,
            timeout=config.request_timeout_s,
        )
        return FallbackStrategy(StorefrontCartStrategy(client, config), permalink)
    token = env.get(ADMIN_TOKEN_ENV) or None
    if token is None and not sandbox:
        raise ValueError(f"links.strategy = draft_order needs {ADMIN_TOKEN_ENV} in live mode")
    admin = AdminDraftOrderClient(
        session,
        base_url=config.admin_url or shop_base_url(shop),
        api_version=config.api_version,
        token=token,
        timeout=config.request_timeout_s,
    )
    return FallbackStrategy(DraftOrderStrategy(admin, config), permalink)
