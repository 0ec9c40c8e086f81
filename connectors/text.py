"""Fit reply text to a platform's length rule: one splitter for every platform (pure).

A piece never cuts a URL, an ``@mention`` or a grapheme cluster (a letter with its combining
marks, a ZWJ emoji sequence, a flag): text is read as grapheme clusters (``regex``'s ``\\X``,
Unicode's extended grapheme clusters), split between words where it can, and a word that is
neither a link nor a mention and longer than the limit is cut between two clusters. A link or
mention longer than the limit, or a single cluster longer than it, cannot be sent in pieces:
:class:`TextTooLong` says which, and the caller drops the reply (or sends its short form).

Each platform's rule is data (:class:`LengthRule`): its limit and the unit it counts in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import regex

_GRAPHEME = regex.compile(r"\X")
# whitespace that a following mark joins into one cluster (`` \u0301``): only then must words
# be found cluster by cluster; otherwise str.split() finds the same words, much faster
_SPACE_JOINS = regex.compile(r"[\s\x00][\p{GCB=Extend}\p{GCB=SpacingMark}\p{GCB=ZWJ}]")
# a scheme anywhere in the word (``Link:https://…`` too), ``www.``, or a bare host with a path
_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S|^www\.\S|^[\w-]+(?:\.[\w-]+)+/", re.IGNORECASE)
_MENTION = re.compile(r"^@\w")
_EDGE_PUNCTUATION = "()[]<>{}.,;:!?\"'"


class LengthUnit(StrEnum):
    """What a platform counts when it measures a message."""

    CODE_POINTS = "code_points"  # Python's len()
    UTF16 = "utf16"  # UTF-16 code units: an emoji outside the BMP counts 2
    UTF8 = "utf8"  # bytes of UTF-8


@dataclass(frozen=True, slots=True)
class LengthRule:
    """A platform's per-message length limit and the unit it counts in."""

    max_length: int
    unit: LengthUnit = LengthUnit.CODE_POINTS

    def measure(self, text: str) -> int:
        """The length of ``text`` in this rule's unit."""
        return _MEASURE[self.unit](text)

    def fits(self, text: str) -> bool:
        """Whether ``text`` is within the limit."""
        return self.measure(text) <= self.max_length


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


_MEASURE = {
    LengthUnit.CODE_POINTS: len,
    LengthUnit.UTF16: _utf16_units,
    LengthUnit.UTF8: _utf8_bytes,
}


class TextTooLong(ValueError):
    """Text that no split can fit: a link, a mention or one grapheme cluster over the limit."""

    def __init__(self, kind: str, token: str, rule: LengthRule) -> None:
        super().__init__(
            f"a {kind} of {rule.measure(token)} {rule.unit} is longer than {rule.max_length}"
        )
        self.kind = kind
        self.token = token


def graphemes(text: str) -> list[str]:
    """The extended grapheme clusters of ``text``, in order."""
    return _GRAPHEME.findall(text)


def _is_separator(cluster: str) -> bool:
    # NUL too: IRC cannot carry it and no chat shows it
    return cluster.isspace() or cluster == "\x00"


def words(text: str) -> list[str]:
    """The words of ``text``: runs of clusters between whitespace (a cluster that is only
    whitespace separates; one that starts with a space and carries a mark does not)."""
    if not _SPACE_JOINS.search(text):
        return text.replace("\x00", " ").split()
    out: list[str] = []
    current: list[str] = []
    for cluster in graphemes(text):
        if _is_separator(cluster):
            if current:
                out.append("".join(current))
                current = []
        else:
            current.append(cluster)
    if current:
        out.append("".join(current))
    return out


def normalise_spaces(text: str) -> str:
    """Collapse whitespace (newlines included) into single spaces, trimmed at both ends."""
    return " ".join(words(text))


def is_url(word: str) -> bool:
    """Whether a whitespace-free word is, or carries, a link (never cut inside one)."""
    return bool(_URL.search(word.strip(_EDGE_PUNCTUATION)))


def is_mention(word: str) -> bool:
    """Whether a whitespace-free word addresses someone (``@Name``, never cut)."""
    return bool(_MENTION.match(word.lstrip(_EDGE_PUNCTUATION)))


def _atomic_kind(word: str) -> str | None:
    if is_url(word):
        return "link"
    if is_mention(word):
        return "mention"
    return None


def _cut_word(word: str, rule: LengthRule) -> list[str]:
    """Cut a plain word into chunks within the limit, only between grapheme clusters."""
    chunks: list[str] = []
    current, size = "", 0
    for cluster in graphemes(word):
        width = rule.measure(cluster)
        if width > rule.max_length:
            raise TextTooLong("grapheme cluster", cluster, rule)
        if size + width > rule.max_length:
            chunks.append(current)
            current, size = "", 0
        current += cluster
        size += width
    if current:
        chunks.append(current)
    return chunks


def split_text(text: str, rule: LengthRule) -> list[str]:
    """Split ``text`` into messages that each fit ``rule``.

    Whitespace is collapsed to single spaces first (chat shows no line breaks, and IRC would
    read one as a new command). Messages break between words; a plain word longer than the
    limit is cut between grapheme clusters; links and mentions are never cut.

    Args:
        text: The reply text.
        rule: The platform's length rule.

    Returns:
        The messages in order (joined with spaces they give the collapsed text back, except
        that a cut word gains a space); empty when ``text`` is blank.

    Raises:
        ValueError: ``rule.max_length`` is not positive.
        TextTooLong: a link, a mention or a single grapheme cluster is longer than the limit.
    """
    if rule.max_length <= 0:
        raise ValueError("max_length must be positive")
    parts: list[str] = []
    line, size = "", 0
    measure, limit = _MEASURE[rule.unit], rule.max_length
    space = measure(" ")
    for word in words(text):
        width = measure(word)
        if width <= limit:
            pieces = [(word, width)]
        else:
            kind = _atomic_kind(word)
            if kind is not None:
                raise TextTooLong(kind, word, rule)
            pieces = [(chunk, measure(chunk)) for chunk in _cut_word(word, rule)]
        for piece, piece_size in pieces:
            if not line:
                line, size = piece, piece_size
            elif size + space + piece_size <= limit:
                line, size = f"{line} {piece}", size + space + piece_size
            else:
                parts.append(line)
                line, size = piece, piece_size
    if line:
        parts.append(line)
    return parts


def truncate(text: str, rule: LengthRule, ellipsis: str = "…") -> str:
    """Shorten ``text`` to fit ``rule`` at a word boundary, ending with ``ellipsis``.

    A link or mention is never cut: if the cut falls inside one, the whole word goes. A plain
    first word that alone is too long is cut between grapheme clusters.
    """
    text = normalise_spaces(text)
    if rule.fits(text):
        return text
    budget = LengthRule(rule.max_length - rule.measure(ellipsis), rule.unit)
    if budget.max_length <= 0:
        return ""
    out = ""
    for word in words(text):
        candidate = f"{out} {word}" if out else word
        if not budget.fits(candidate):
            break
        out = candidate
    if out:
        return out + ellipsis
    head = words(text)[0]
    if _atomic_kind(head) is not None:
        return ""
    try:
        chunks = _cut_word(head, budget)
    except TextTooLong:
        return ""
    return chunks[0] + ellipsis
