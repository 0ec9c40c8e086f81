"""Values every link strategy takes: line items and one checkout request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

_GID_PREFIX = "gid://shopify/ProductVariant/"


def numeric_variant_id(variant_id: str) -> str:
    """Return the numeric (legacy) id of a variant given as ``123`` or a ``gid://`` id.

    Raises:
        ValueError: the id is neither a positive number nor a ProductVariant gid.
    """
    raw = variant_id.strip()
    if raw.startswith(_GID_PREFIX):
        raw = raw[len(_GID_PREFIX) :].split("?", 1)[0]
    if not raw.isascii() or not raw.isdigit() or int(raw) <= 0:
        raise ValueError(f"not a Shopify variant id: {variant_id!r}")
    return str(int(raw))


def variant_gid(variant_id: str) -> str:
    """Return the ``gid://shopify/ProductVariant/<n>`` form of a variant id.

    Raises:
        ValueError: the id is not a variant id.
    """
    return _GID_PREFIX + numeric_variant_id(variant_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class LineItem:
    """One cart line: a variant (numeric id or gid, as a string) and a positive quantity."""

    variant_id: str
    quantity: int

    def __post_init__(self) -> None:
        numeric_variant_id(self.variant_id)
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValueError(f"quantity must be an int, got {self.quantity!r}")
        if self.quantity <= 0:
            raise ValueError(f"quantity must be positive, got {self.quantity}")


def merge_lines(lines: Iterable[LineItem]) -> tuple[LineItem, ...]:
    """Merge lines of the same variant (quantities add up), keeping first-seen order."""
    totals: dict[str, int] = {}
    for line in lines:
        key = numeric_variant_id(line.variant_id)
        totals[key] = totals.get(key, 0) + line.quantity
    return tuple(LineItem(variant_id=v, quantity=q) for v, q in totals.items())


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutRequest:
    """Everything a strategy needs to make one checkout URL for one viewer.

    ``viewer`` is an opaque viewer key (for instance a hash of platform and viewer id), never a
    display name: it travels in the link. ``expires_at`` is the (earliest) hold expiry, UTC.
    ``discount``, ``locale`` and ``email`` override the per-show configuration when set.
    """

    lines: tuple[LineItem, ...]
    hold_ids: tuple[str, ...]
    show: str
    platform: str
    viewer: str
    expires_at: datetime
    discount: str | None = None
    email: str | None = None
    locale: str | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("a checkout request needs at least one line")
        if not self.hold_ids:
            raise ValueError("a checkout request needs at least one hold id")
        if self.expires_at.tzinfo is None or self.expires_at.utcoffset() is None:
            raise ValueError("CheckoutRequest.expires_at must be timezone-aware (UTC)")
