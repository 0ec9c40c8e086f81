"""One link per viewer: their active holds merged into one checkout request, no one else's."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from checkout_links.lines import CheckoutRequest, LineItem, merge_lines

_LOGGER = logging.getLogger(__name__)

ACTIVE_STATUSES = frozenset({"active", "held"})


class HoldLike(Protocol):
    """The hold fields this module reads (shop_sync's ``HoldView`` has them)."""

    @property
    def hold_id(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def viewer_id(self) -> str: ...
    @property
    def variant_id(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def expires_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewerCart:
    """The merged request (None when no hold qualifies) and the hold ids left out, with why."""

    request: CheckoutRequest | None
    refused: tuple[tuple[str, str], ...]
    """(hold id, reason) pairs: "not_this_viewer", "not_active", "expired", "bad_line"
    (a waitlist entry, with no expiry, counts as "not_active")."""


def viewer_cart(
    holds: Iterable[HoldLike],
    *,
    platform: str,
    viewer_id: str,
    viewer_key: str,
    show: str,
    now: datetime,
    active_statuses: frozenset[str] = ACTIVE_STATUSES,
    discount: str | None = None,
    email: str | None = None,
    locale: str | None = None,
) -> ViewerCart:
    """Build ONE checkout request covering all of a viewer's active holds.

    A hold whose ``platform``/``viewer_id`` is not this viewer's never ends up in the request;
    nor does one that is not active or already expired. Lines of the same variant are merged;
    the request expires with the earliest included hold.
    """
    kept: list[HoldLike] = []
    refused: list[tuple[str, str]] = []
    for hold in holds:
        if hold.platform != platform or hold.viewer_id != viewer_id:
            _LOGGER.warning("hold %s is not this viewer's; left out of the link", hold.hold_id)
            refused.append((hold.hold_id, "not_this_viewer"))
        elif hold.status not in active_statuses or hold.expires_at is None:
            refused.append((hold.hold_id, "not_active"))
        elif hold.expires_at <= now:
            refused.append((hold.hold_id, "expired"))
        else:
            try:
                LineItem(variant_id=hold.variant_id, quantity=hold.quantity)
            except ValueError:
                _LOGGER.warning("hold %s has no valid line; left out of the link", hold.hold_id)
                refused.append((hold.hold_id, "bad_line"))
                continue
            kept.append(hold)
    if not kept:
        return ViewerCart(request=None, refused=tuple(refused))
    request = CheckoutRequest(
        lines=merge_lines(LineItem(variant_id=h.variant_id, quantity=h.quantity) for h in kept),
        hold_ids=tuple(dict.fromkeys(h.hold_id for h in kept)),
        show=show,
        platform=platform,
        viewer=viewer_key,
        expires_at=min(h.expires_at for h in kept if h.expires_at is not None),
        discount=discount,
        email=email,
        locale=locale,
    )
    return ViewerCart(request=request, refused=tuple(refused))
