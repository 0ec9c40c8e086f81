"""Fit a reply into YouTube chat: 200 characters, no threads, the viewer addressed by name."""

from __future__ import annotations

import re

MAX_CHARS = 200

_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)|^[\w-]+(?:\.[\w-]+)+/", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def is_url(token: str) -> bool:
    """Whether a whitespace-free token is a link (which must never be cut)."""
    return bool(_URL.match(token))


def clean(text: str) -> str:
    """Flatten whitespace and drop an IRC-style ``/me`` prefix (YouTube prints it literally)."""
    flat = _SPACE.sub(" ", text).strip()
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


def split_words(text: str, max_chars: int) -> list[str] | None:
    """Split at spaces into parts of at most ``max_chars``; None if a link alone is too long.

    Words that are not links and are longer than ``max_chars`` are cut hard.
    """
    parts: list[str] = []
    current = ""
    for word in text.split(" "):
        if not word:
            continue
        if len(word) > max_chars:
            if is_url(word):
                return None
            if current:
                parts.append(current)
                current = ""
            while len(word) > max_chars:
                parts.append(word[:max_chars])
                word = word[max_chars:]
            current = word
            continue
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= max_chars:
            current = candidate
        else:
            parts.append(current)
            current = word
    if current:
        parts.append(current)
    return parts


def fit_message(
    text: str,
    *,
    mention: str | None = None,
    short: str | None = None,
    max_chars: int = MAX_CHARS,
    max_parts: int = 3,
) -> list[str]:
    """Return the chat messages that carry ``text`` (empty when it cannot be sent).

    The full text is used when it fits; else the compact ``short`` form if it fits; else the
    text is split at word boundaries (never inside a link) into at most ``max_parts``
    messages, the first addressed to the viewer.
    """
    full = address(clean(text), mention)
    if not full:
        return []
    if len(full) <= max_chars:
        return [full]
    compact = address(clean(short), mention) if short else ""
    if compact and len(compact) <= max_chars:
        return [compact]
    for candidate in (full, compact):
        if not candidate:
            continue
        parts = split_words(candidate, max_chars)
        if parts and len(parts) <= max_parts:
            return parts
    return []
