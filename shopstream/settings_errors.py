"""Turn validation failures into one line per problem: file, key path, what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError


class SettingsError(Exception):
    """Settings could not be loaded; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def key_path(loc: Iterable[Any]) -> str:
    """Render a pydantic location as a dotted TOML key path (list indexes in brackets)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_EXPECTED = {
    "extra_forbidden": "no such key (unknown setting)",
    "missing": "a value (this key is required)",
}


def describe(error: Any) -> str:
    """Say what was expected, in words, for one pydantic error dict."""
    kind = error.get("type", "")
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    msg = str(error.get("msg", "invalid value"))
    got = error.get("input")
    shown = repr(got) if not isinstance(got, dict) else "a table"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{msg[0].lower() + msg[1:]} (got {shown})"


def problems_from(exc: ValidationError, source: Path | str) -> list[str]:
    """Return one line per problem in ``exc``: ``source: key.path: expected ...``."""
    return [f"{source}: {key_path(e['loc'])}: {describe(e)}" for e in exc.errors()]
