"""Settings of the store sync and of the holds (the ``[shop]`` section).

Secrets never live in settings; they come from these environment variables:

- ``SHOPSTREAM_SHOPIFY_TOKEN``: Admin API access token (``shpat_...``), sent as
  ``X-Shopify-Access-Token``.
- ``SHOPSTREAM_SHOPIFY_CLIENT_ID`` and ``SHOPSTREAM_SHOPIFY_CLIENT_SECRET``: when both are set and
  no static token is, tokens are obtained (and refreshed before they expire) by the
  client-credentials grant at ``POST /admin/oauth/access_token``.
- ``SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET``: the app secret that signs webhooks (HMAC-SHA256).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TOKEN_ENV = "SHOPSTREAM_SHOPIFY_TOKEN"
CLIENT_ID_ENV = "SHOPSTREAM_SHOPIFY_CLIENT_ID"
CLIENT_SECRET_ENV = "SHOPSTREAM_SHOPIFY_CLIENT_SECRET"
WEBHOOK_SECRET_ENV = "SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET"


class HoldConfig(BaseModel):
    """How long a hold lives and how much one buyer may hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ttl_seconds: int = Field(900, gt=0, description="Hold lifetime (default 15 minutes).")
    reminder_lead_seconds: int = Field(
        180, ge=0, description="Remind the buyer this long before the hold expires."
    )
    max_per_product: int = Field(
        3, gt=0, description="Most units one buyer may hold or wait for of one product."
    )
    max_per_show: int = Field(
        10, gt=0, description="Most units one buyer may hold or buy through holds in one show."
    )
    waitlist: bool = Field(True, description="A claim beyond stock joins the variant's waitlist.")
    waitlist_max: int = Field(
        1000, ge=0, description="Most waiting entries per variant; beyond it a claim is sold out."
    )
    durable_claims: bool = Field(
        True,
        description=(
            "PostgreSQL: each claim waits for its WAL flush. false = synchronous_commit off for "
            "claims (several times faster; a server crash may forget the last ~0.5 s of claims)."
        ),
    )

    @property
    def ttl(self) -> timedelta:
        """The hold lifetime."""
        return timedelta(seconds=self.ttl_seconds)

    @property
    def reminder_lead(self) -> timedelta:
        """How long before expiry the reminder goes out."""
        return timedelta(seconds=self.reminder_lead_seconds)


class ShopConfig(BaseModel):
    """The Shopify store that shopstream mirrors (defaults run the sandbox emulator)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    shop: str = Field(
        "demo-shop.myshopify.com", min_length=1, description="The shop's myshopify domain."
    )
    api_version: str = Field(
        "2026-07", pattern=r"^(\d{4}-\d{2}|unstable)$", description="Admin API version (YYYY-MM)."
    )
    admin_base_url: str = Field(
        "",
        description="Admin API base URL; empty = https://{shop}. Sandbox: the emulator's URL.",
    )
    currency: str = Field(
        "", description="Shop currency; empty = read shop.currencyCode during a sync."
    )
    locations: tuple[str, ...] = Field(
        (), description="Location ids (numeric or gid) whose stock counts; empty = all."
    )
    page_size: int = Field(100, gt=0, le=250, description="Variants per productVariants page.")
    full_sync_method: Literal["bulk", "paged"] = Field(
        "bulk", description="Full sync by bulk operation (large catalogs) or by pages."
    )
    bulk_poll_seconds: float = Field(
        1.0, gt=0, description="Interval between polls of a running bulk operation."
    )
    bulk_timeout_seconds: float = Field(
        1800.0, gt=0, description="Give up on a bulk operation after this long."
    )
    request_timeout_seconds: float = Field(
        20.0, gt=0, description="Timeout of one HTTP request to Shopify."
    )
    max_retries: int = Field(
        6, ge=0, description="Retries of one call on throttling, 429, 5xx or network errors."
    )
    full_sync_minutes: int = Field(
        1440, gt=0, description="Interval of the scheduled full sync (minutes)."
    )
    incremental_seconds: int = Field(
        180, gt=0, description="Interval of the incremental (updated_at) sync (seconds)."
    )
    lineup_seconds: int = Field(
        5, gt=0, description="Interval of the lineup re-read while a show runs (seconds)."
    )
    webhook_dedupe_hours: float = Field(
        6.0, ge=5.0, description="How long a webhook/event id is remembered (>= 5 h)."
    )
    dedupe_store: Literal["db", "redis"] = Field(
        "db", description="Where seen webhook ids live: the database or Redis."
    )
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0", description="Redis URL when dedupe_store = redis."
    )
    holds: HoldConfig = Field(default_factory=HoldConfig, description="Holds and waitlists.")

    @property
    def base_url(self) -> str:
        """The Admin API base URL (scheme and host, no trailing slash)."""
        return (self.admin_base_url or f"https://{self.shop}").rstrip("/")

    @property
    def graphql_url(self) -> str:
        """The GraphQL Admin endpoint of the configured version."""
        return f"{self.base_url}/admin/api/{self.api_version}/graphql.json"
