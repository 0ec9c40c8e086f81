"""The one call the app makes per reply: checkout URL by strategy, shortened where configured."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator

from checkout_links.config import LinksConfig
from checkout_links.lines import CheckoutRequest
from checkout_links.shortlinks import ShortLinks
from checkout_links.strategies import LinkStrategy

_LOGGER = logging.getLogger(__name__)


def viewer_key(platform: str, viewer_id: str, *, salt: str = "") -> str:
    """Return an opaque, stable key for a viewer (links never carry platform user ids)."""
    digest = hashlib.sha256(f"{salt}\x00{platform}\x00{viewer_id}".encode()).hexdigest()
    return f"v_{digest[:16]}"


class CheckoutLinks:
    """Makes the link a reply carries: the strategy's checkout URL, short where configured."""

    def __init__(
        self, config: LinksConfig, strategy: LinkStrategy, shortlinks: ShortLinks | None
    ) -> None:
        self._config = config
        self._strategy = strategy
        self._short = shortlinks

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Store the short links made inside the block together, at its end."""
        if self._short is None:
            yield
            return
        with self._short.batch():
            yield

    def link_for(self, req: CheckoutRequest) -> str:
        """Return the URL to send for ``req``.

        Raises:
            LinkError: an API strategy could not make a checkout (after its fallback).
            ValueError: the request cannot be expressed as a link.
        """
        url = self._strategy.checkout_url(req)
        if self._short is None or not self._config.shortens(req.platform):
            return url
        return self._short.create(
            url,
            hold_ids=req.hold_ids,
            viewer_key=req.viewer,
            expires_at=req.expires_at,
            show=req.show,
            platform=req.platform,
        )
