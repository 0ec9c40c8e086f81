"""Pure text fitting: split at word boundaries without cutting URLs, vary repeated text."""

from __future__ import annotations

import re

_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
ELLIPSIS = "…"


def is_url(token: str) -> bool:
    """Return whether ``token`` looks like a link (never cut inside one)."""
    return bool(_URL.match(token.strip("()[]<>.,;!?\"'")))


def normalise_spaces(text: str) -> str:
    """Collapse runs of whitespace (newlines included) into single spaces."""
    return _SPACE.sub(" ", text).strip()


def split_text(text: str, max_chars: int) -> list[str]:
    """Split ``text`` into messages of at most ``max_chars`` characters.

    Cuts only between words. A word longer than ``max_chars`` is cut hard, except a URL,
    which is kept whole on its own (the caller rejects a part that still does not fit).

    Args:
        text: The message text.
        max_chars: The platform's per-message limit (> 0).

    Returns:
        The parts, in order; empty if ``text`` is blank.

    Raises:
        ValueError: If ``max_chars`` is not positive.
    """
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    text = normalise_spaces(text)
    if not text:
        return []
    if len(text) <= max_chars:
        return [text]
    parts: list[str] = []
    line = ""
    for word in text.split(" "):
        pieces = [word]
        if len(word) > max_chars and not is_url(word):
            pieces = [word[i : i + max_chars] for i in range(0, len(word), max_chars)]
        for piece in pieces:
            if not line:
                line = piece
            elif len(line) + 1 + len(piece) <= max_chars:
                line = f"{line} {piece}"
            else:
                parts.append(line)
                line = piece
    if line:
        parts.append(line)
    return parts


def truncate(text: str, max_chars: int) -> str:
    """Shorten ``text`` to ``max_chars`` at a word boundary, ending with an ellipsis.

    A URL is never cut: if the cut would fall inside one, the whole URL goes.
    """
    text = normalise_spaces(text)
    if len(text) <= max_chars:
        return text
    out = ""
    for word in text.split(" "):
        candidate = f"{out} {word}" if out else word
        if len(candidate) + len(ELLIPSIS) > max_chars:
            break
        out = candidate
    if not out:
        head = text.split(" ", 1)[0]
        return "" if is_url(head) else head[: max(0, max_chars - len(ELLIPSIS))] + ELLIPSIS
    return out + ELLIPSIS


def vary(text: str, attempt: int, max_chars: int) -> str:
    """Return a visibly different variant of ``text`` for duplicate filters.

    Appends an incrementing counter (`` (2)``, `` (3)`` ...); if that no longer fits
    ``max_chars`` the text is shortened first. Never adds invisible characters.

    Args:
        text: The text that was already sent recently.
        attempt: The variant number, from 2 upwards.
        max_chars: The platform's per-message limit.

    Returns:
        The varied text, at most ``max_chars`` long.
    """
    suffix = f" ({attempt})"
    if len(text) + len(suffix) <= max_chars:
        return text + suffix
    return truncate(text, max_chars - len(suffix)) + suffix
