"""Safe readings of untrusted wire values: bounded ASCII integers and in-range UTC times.

Every translator reads numbers and times through these, so one malformed value is a value
the translator can refuse, never an exception that stops a connector (issue 15):
``"²".isdigit()`` is True but ``int("²")`` raises, ``int("٣")`` is 3, and
``0001-01-01T00:00:00+01:00`` parses but has no UTC time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_MAX_DIGITS = 30  # far beyond any id or count a platform sends; int() of more is slow

# What json.loads raises on untrusted text: bad JSON (ValueError, UnicodeDecodeError among
# them) and nesting deeper than the interpreter's recursion limit ("[" * 100_000).
JSON_ERRORS = (ValueError, RecursionError)


class BadPayload(ValueError):
    """An inbound item that lacks a field its kind needs; the message says which.

    Translators raise it; the connector turns it (and any other failure of one item) into a
    counted skip of that item (:meth:`connectors.status.Health.skip`).
    """


def ascii_int(value: object, *, lo: int = 0, hi: int) -> int | None:
    """``value`` as an int within ``lo..hi``, or None.

    Accepts an int (not a bool) or a string of ASCII digits with one optional leading ``-``
    and surrounding whitespace; any other digit (superscripts, other scripts) is refused.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if not digits or len(digits) > _MAX_DIGITS or not (digits.isascii() and digits.isdigit()):
            return None
        number = int(text)
    else:
        return None
    return number if lo <= number <= hi else None


def to_utc(parsed: datetime) -> datetime | None:
    """An aware datetime moved to UTC; None when it is naive or its UTC time is out of range."""
    if parsed.utcoffset() is None:
        return None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in the year 0 in UTC
        return None


def later(at: datetime, seconds: float) -> datetime | None:
    """``at`` plus ``seconds``; None when the result is past what a datetime can hold."""
    try:
        return at + timedelta(seconds=seconds)
    except OverflowError:
        return None
