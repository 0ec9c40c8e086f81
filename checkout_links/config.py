"""Settings of the ``[links]`` section: strategy, shop, short links, per-show UTM and discounts.

Secrets are never settings; they come from these environment variables:

- ``SHOPSTREAM_SHOPIFY_STOREFRONT_TOKEN``: Storefront API token (``storefront_cart`` strategy;
  optional: without it the cart is created tokenless).
- ``SHOPSTREAM_SHOPIFY_TOKEN``: Admin API token (``draft_order`` strategy; required in live mode).
- ``SHOPSTREAM_LINK_SIGNING_KEY``: HMAC key of short links (required in live mode; in sandbox
  mode a missing key is replaced by an ephemeral one, and a log line says so).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

STOREFRONT_TOKEN_ENV = "SHOPSTREAM_SHOPIFY_STOREFRONT_TOKEN"
ADMIN_TOKEN_ENV = "SHOPSTREAM_SHOPIFY_TOKEN"
SIGNING_KEY_ENV = "SHOPSTREAM_LINK_SIGNING_KEY"

Strategy = Literal["permalink", "storefront_cart", "draft_order"]


class ShowLinkConfig(BaseModel):
    """Per-show link options (``[links.shows.<show id>]``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    utm_campaign: str | None = Field(
        None, description="utm_campaign of this show's links (default: the show id)."
    )
    discount: str | None = Field(
        None, description="Discount code applied by this show's links (no comma)."
    )
    ref: str | None = Field(
        None, description="Fixed ref of this show's links (default: ss:<hold ids>)."
    )


class LinksConfig(BaseModel):
    """How checkout links are made, shortened and attributed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: Strategy = Field(
        "permalink",
        description=(
            "permalink: stateless cart permalink; storefront_cart: Storefront cartCreate "
            "checkoutUrl; draft_order: Admin draftOrderCreate invoiceUrl reserving stock."
        ),
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="Public base URL of the web app serving /l/{code}."
    )
    shop_domain: str = Field(
        "",
        description=(
            "Shop domain for permalinks (example.myshopify.com or a custom domain); "
            "empty = the app fills it (emulator URL in sandbox mode)."
        ),
    )
    storefront_url: str = Field(
        "", description="Storefront API base URL; empty = https://{shop_domain}."
    )
    admin_url: str = Field("", description="Admin API base URL; empty = https://{shop_domain}.")
    api_version: str = Field(
        "2026-07", pattern=r"^(\d{4}-\d{2}|unstable)$", description="Shopify API version."
    )
    locale: str | None = Field(None, description="Locale prefix of checkout links (fr, en-ca).")
    shows: dict[str, ShowLinkConfig] = Field(
        default_factory=dict, description="Per-show UTM campaign, discount code and ref."
    )
    short_links: dict[str, bool] = Field(
        default_factory=lambda: {"youtube": True, "facebook": True, "twitch": True},
        description="Per platform: send a short /l/{code} link instead of the full URL.",
    )
    short_links_default: bool = Field(
        True, description="Short links for platforms not listed in short_links."
    )
    request_timeout_s: float = Field(
        10.0, gt=0, le=60, description="Timeout of one Storefront/Admin API call, seconds."
    )

    def show(self, show_id: str) -> ShowLinkConfig:
        """Return the options of ``show_id`` (defaults when the show is not listed)."""
        return self.shows.get(show_id, ShowLinkConfig())

    def shortens(self, platform: str) -> bool:
        """Whether links sent on ``platform`` go through a short link."""
        return self.short_links.get(platform, self.short_links_default)
