"""Names shared by the link builders and attribution: cart attribute keys and the ref prefix."""

from __future__ import annotations

HOLD_ATTRIBUTE = "_shopstream_hold"
"""Cart/order attribute carrying the hold id(s), comma-separated when a link covers several."""
SHOW_ATTRIBUTE = "_shopstream_show"
"""Cart/order attribute carrying the show id."""
PLATFORM_ATTRIBUTE = "_shopstream_platform"
"""Cart/order attribute carrying the chat platform the link was sent on."""
VIEWER_ATTRIBUTE = "_shopstream_viewer"
"""Cart/order attribute carrying the opaque viewer key."""
REF_PREFIX = "ss:"
"""Default ``ref`` value prefix; the rest is the comma-separated hold ids (attribution fallback)."""
UTM_MEDIUM = "livestream"
"""``utm_medium`` of every link."""


def check_hold_id(hold_id: str) -> str:
    """Return ``hold_id`` if it can travel in a link (non-empty, printable, no comma).

    Raises:
        ValueError: the id is empty, too long or contains a comma or a control character.
    """
    if not hold_id or len(hold_id) > 64 or "," in hold_id or not hold_id.isprintable():
        raise ValueError(f"hold id cannot travel in a link: {hold_id!r}")
    return hold_id


def default_ref(hold_ids: tuple[str, ...] | list[str]) -> str:
    """Return the ``ref`` a link carries when the caller gives none: ``ss:<id>[,<id>...]``."""
    return REF_PREFIX + ",".join(check_hold_id(h) for h in hold_ids)


def hold_ids_from_ref(ref: str) -> tuple[str, ...]:
    """Return the hold ids a default ``ref`` carries, or () for any other ref."""
    if not ref.startswith(REF_PREFIX):
        return ()
    return tuple(p.strip() for p in ref[len(REF_PREFIX) :].split(",") if p.strip())
