"""Text clean-up before parsing: decorations off, case and accents folded, tokens out."""

from __future__ import annotations

import re
import unicodedata

_ACTION_START = "\x01ACTION "
_MENTION_RE = re.compile(r"@[\w.\-]+")
_COMBINING_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_TOKEN_RE = re.compile(r"\+\d{1,4}|(?:qu|[cdjlmnst])'|[^\W_]+(?:['\-.][^\W_]+)*")


def clean(text: str, max_chars: int = 500) -> str:
    """Return ``text`` folded for matching, or ``""`` when nothing is left.

    Drops an IRC ``/me`` ACTION wrapper, ``@mentions`` (Twitch's leading ``@parent``
    included), accents and case; emoji, zero-width joiners and direction marks vanish
    later because the tokenizer only keeps letters, digits and a few joiners.
    """
    s = text[:max_chars]
    if s.startswith(_ACTION_START):
        s = s[len(_ACTION_START) :].rstrip("\x01")
    s = s.strip()
    if s[:4].lower() == "/me ":
        s = s[4:]
    if s.isascii():
        s = s.lower()
    else:
        s = unicodedata.normalize("NFKD", s)
        s = _COMBINING_RE.sub("", s).translate(_APOSTROPHES).casefold()
    if "@" in s:
        s = _MENTION_RE.sub(" ", s)
    return s


def tokenize(cleaned: str) -> list[str]:
    """Split cleaned text into word tokens (``i'll``, ``t-shirt``, ``x2``, ``+1``, ``ct-101-s``).

    French elisions stand alone (``l'echarpe`` -> ``l'``, ``echarpe``).
    """
    return _TOKEN_RE.findall(cleaned)


def fold(phrase: str) -> tuple[str, ...]:
    """Fold a keyword or catalog phrase the same way messages are folded."""
    return tuple(tokenize(clean(phrase, max_chars=1000)))


def is_question_text(cleaned: str) -> bool:
    """Whether the text carries a question mark (``?``, ``¿`` or the full-width one)."""
    return "?" in cleaned or "¿" in cleaned or "？" in cleaned
