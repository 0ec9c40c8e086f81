"""Pure coalescing: answer several buyers in one message (mentions plus short links)."""

from __future__ import annotations

from collections.abc import Sequence

from connectors.events import Priority, Reply
from connectors.text import LengthRule

SEPARATOR = " | "


def can_coalesce(reply: Reply) -> bool:
    """Return whether ``reply`` may share a message with other buyers.

    Only public claim outcomes that carry a compact form and name their viewer qualify.
    """
    return (
        reply.priority is Priority.CLAIM
        and not reply.private
        and bool(reply.short)
        and bool(reply.mention)
    )


def can_digest(reply: Reply) -> bool:
    """Return whether ``reply`` may be told by one top-level message shared with others.

    Public claim outcomes only; the outbox shares a message only among replies whose texts
    are the same, so nothing personal (a link, a waitlist place) is ever shared.
    """
    return reply.priority is Priority.CLAIM and not reply.private


def coalesced_piece(reply: Reply) -> str:
    """Return one buyer's part of a coalesced message: ``@name short``."""
    return f"@{reply.mention} {reply.short}"


def pack(replies: Sequence[Reply], rule: LengthRule, max_buyers: int) -> tuple[str, int]:
    """Fit the leading ``replies`` into one message within ``rule``.

    Args:
        replies: Coalescible replies in send order (see :func:`can_coalesce`).
        rule: The platform's per-message length rule.
        max_buyers: Most buyers in one message.

    Returns:
        The message text and how many of the leading replies it answers (0 if even the
        first piece does not fit).
    """
    text = ""
    taken = 0
    for reply in replies[:max_buyers]:
        piece = coalesced_piece(reply)
        candidate = f"{text}{SEPARATOR}{piece}" if text else piece
        if not rule.fits(candidate):
            break
        text = candidate
        taken += 1
    return text, taken
