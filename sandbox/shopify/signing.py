"""Shopify webhook signatures: base64 HMAC-SHA256 of the raw body with the app secret."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(body: bytes, secret: str) -> str:
    """Return the ``X-Shopify-Hmac-Sha256`` value for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
