"""Secrets come only from environment variables; named here and kept out of logs."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from pydantic import SecretStr

# name -> what it is. The README's configuration reference is generated from this table.
SECRET_ENV: dict[str, str] = {
    "SHOPSTREAM_SHOPIFY_TOKEN": "Shopify Admin API access token (shpat_...)",
    "SHOPSTREAM_SHOPIFY_CLIENT_ID": "Shopify app client id (client-credentials token refresh)",
    "SHOPSTREAM_SHOPIFY_CLIENT_SECRET": "Shopify app client secret (token refresh)",
    "SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET": "Shopify app secret that signs webhooks (HMAC-SHA256)",
    "SHOPSTREAM_SHOPIFY_STOREFRONT_TOKEN": "Storefront API token (storefront_cart links)",
    "SHOPSTREAM_LINK_SIGNING_KEY": "Key that signs short links (HMAC)",
    "SHOPSTREAM_TWITCH_TOKEN": "Twitch user access token of the bot account",
    "SHOPSTREAM_TWITCH_REFRESH_TOKEN": "Twitch refresh token",
    "SHOPSTREAM_TWITCH_CLIENT_ID": "Twitch application client id",
    "SHOPSTREAM_TWITCH_CLIENT_SECRET": "Twitch application client secret",
    "SHOPSTREAM_YOUTUBE_CLIENT_ID": "Google OAuth client id",
    "SHOPSTREAM_YOUTUBE_CLIENT_SECRET": "Google OAuth client secret",
    "SHOPSTREAM_YOUTUBE_REFRESH_TOKEN": "Google OAuth refresh token of the channel",
    "SHOPSTREAM_FACEBOOK_PAGE_TOKEN": "Facebook Page access token",
    "SHOPSTREAM_FACEBOOK_PAGE_ID": "Facebook Page id (not secret, kept with the token)",
}


def secret(name: str, environ: Mapping[str, str] | None = None) -> SecretStr | None:
    """Return the secret ``name`` from the environment, or None when unset or empty."""
    value = (os.environ if environ is None else environ).get(name, "")
    return SecretStr(value) if value else None


class RedactSecrets(logging.Filter):
    """Replace any secret value that slips into a log line with ``***``."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__()
        env = os.environ if environ is None else environ
        self._values = sorted(
            (env[n] for n in SECRET_ENV if len(env.get(n, "")) >= 6), key=len, reverse=True
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._values:
            return True
        text = record.getMessage()
        redacted = text
        for value in self._values:
            redacted = redacted.replace(value, "***")
        if redacted != text:
            record.msg, record.args = redacted, None
        return True
