"""Values the hold book takes and returns: claims, outcomes and hold views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ClaimKind = Literal["held", "waitlisted", "sold_out", "capped", "invalid"]
HOLD_NOTE_ATTRIBUTE = "_shopstream_hold"
"""Order note attribute carrying the hold id(s) a checkout link was built for (comma-separated)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimRequest:
    """One buy message asking for stock; ``claim_key`` is ``"platform:message_id"``."""

    claim_key: str
    platform: str
    viewer_id: str
    viewer_name: str
    variant_id: str
    product_handle: str
    quantity: int
    show_id: str
    sent_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldView:
    """A hold as the app sees it; ``status``: active, expired, cancelled, released, converted
    (and ``left_waitlist`` for a cancelled waitlist entry, whose ``hold_id`` starts with ``w``)."""

    hold_id: str
    claim_key: str
    platform: str
    viewer_id: str
    viewer_name: str
    variant_id: str
    product_handle: str
    sku: str
    quantity: int
    status: str
    created_at: datetime
    expires_at: datetime | None
    show_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimOutcome:
    """What one claim got. ``available_after`` is the free stock after it (None = unlimited)."""

    kind: ClaimKind
    hold: HoldView | None = None
    waitlist_position: int | None = None
    duplicate: bool = False
    available_after: int | None = None
    reason: str | None = None
