"""Vary repeated text for duplicate filters (splitting is :mod:`connectors.text`'s, one for all)."""

from __future__ import annotations

from connectors.text import LengthRule, truncate


def vary(text: str, attempt: int, rule: LengthRule) -> str:
    """Return a visibly different variant of ``text`` for duplicate filters.

    Appends an incrementing counter (`` (2)``, `` (3)`` ...); if that no longer fits
    ``rule`` the text is shortened first (never inside a link, a mention or a grapheme
    cluster). Never adds invisible characters.

    Args:
        text: The text that was already sent recently.
        attempt: The variant number, from 2 upwards.
        rule: The platform's length rule.

    Returns:
        The varied text, within ``rule``.
    """
    suffix = f" ({attempt})"
    if rule.fits(text + suffix):
        return text + suffix
    room = LengthRule(rule.max_length - rule.measure(suffix), rule.unit)
    return truncate(text, room) + suffix
