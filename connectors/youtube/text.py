"""Fit a reply into YouTube chat: 200 characters, no threads, the viewer addressed by name."""

from __future__ import annotations

from connectors.text import LengthRule, LengthUnit, TextTooLong, normalise_spaces, split_text

# ``messageText`` is 1-200 characters (platforms.md §1.8, adanalife/tripbot PR #814). YouTube
# does not say what it counts, so we count UTF-16 units: never fewer than code points, so a
# message within 200 units is within 200 by either count.
MAX_CHARS = 200
YOUTUBE_TEXT = LengthRule(MAX_CHARS, LengthUnit.UTF16)


def clean(text: str) -> str:
    """Flatten whitespace and drop an IRC-style ``/me`` prefix (YouTube prints it literally)."""
    flat = normalise_spaces(text)
    if flat.lower().startswith("/me "):
        flat = flat[4:].lstrip()
    return flat


def address(text: str, mention: str | None) -> str:
    """Prefix ``@Name`` unless the text already starts with the viewer's name."""
    if not mention:
        return text
    name = mention.strip().lstrip("@")
    if not name or text.startswith((f"@{name}", name)):
        return text
    return f"@{name} {text}"


def fit_message(
    text: str,
    *,
    mention: str | None = None,
    short: str | None = None,
    rule: LengthRule = YOUTUBE_TEXT,
    max_parts: int = 3,
) -> list[str]:
    """Return the chat messages that carry ``text`` (empty when it cannot be sent).

    The full text is used when it fits; else the compact ``short`` form if it fits; else the
    text is split at word boundaries (never inside a link, a mention or a grapheme cluster,
    see :func:`connectors.text.split_text`) into at most ``max_parts`` messages, the first
    addressed to the viewer.
    """
    full = address(clean(text), mention)
    if not full:
        return []
    if rule.fits(full):
        return [full]
    compact = address(clean(short), mention) if short else ""
    if compact and rule.fits(compact):
        return [compact]
    for candidate in (full, compact):
        if not candidate:
            continue
        try:
            parts = split_text(candidate, rule)
        except TextTooLong:
            continue
        if parts and len(parts) <= max_parts:
            return parts
    return []
