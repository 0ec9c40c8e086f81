"""Parse a run-of-show TOML file (lineup, scheduled drops, timers) with line-numbered errors.

Example::

    lineup = [{code = "101", handle = "classic-tee"}, {code = "102", handle = "hoodie"}]

    [[drops]]
    at = "+00:15:00"      # after the show starts (H:MM:SS)
    code = "101"
    qty = 20
    cap = 1               # optional, per buyer

    [[timers]]
    every_minutes = 10
    text = "Type !buy 101 M to claim"
    min_chat_messages = 5 # optional: only if chat was this active since the last one
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeGuard

from shopstream.show.state import LineupItem

MAX_TIMER_MINUTES = 24 * 60
_AT = re.compile(r"^\+?(\d{1,3}):([0-5]\d):([0-5]\d)$")
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z_]+)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z_.]+)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=")

_SECTIONS = {
    "lineup": {"code": True, "handle": True},
    "drops": {"at": True, "code": True, "qty": True, "cap": False},
    "timers": {"every_minutes": True, "text": True, "min_chat_messages": False},
}


class RunOfShowError(Exception):
    """The run-of-show file is invalid; ``problems`` holds ``source:line: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledDrop:
    """A drop opened automatically ``at`` after the show starts."""

    at: timedelta
    code: str
    qty: int
    cap: int
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Timer:
    """An announcement every ``every_minutes``, only if chat saw ``min_chat_messages`` since."""

    every_minutes: float
    text: str
    min_chat_messages: int = 0
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOfShow:
    """A parsed run-of-show."""

    lineup: tuple[LineupItem, ...] = ()
    drops: tuple[ScheduledDrop, ...] = ()
    timers: tuple[Timer, ...] = ()


class _Lines:
    """Find the line of a section item or of a key inside it (1-based; 0 = unknown)."""

    def __init__(self, text: str) -> None:
        self.top: dict[str, int] = {}
        self.items: dict[tuple[str, int], int] = {}
        self.keys: dict[tuple[str, int, str], int] = {}
        counts: dict[str, int] = {}
        current: tuple[str, int] | None = None
        inline: str | None = None
        for lineno, line in enumerate(text.splitlines(), start=1):
            code = line.split("#", 1)[0]
            if m := _HEADER.match(code):
                name = m.group(1)
                counts[name] = counts.get(name, -1) + 1
                current = (name, counts[name])
                self.items.setdefault(current, lineno)
                inline = None
                continue
            if m := _TABLE.match(code):
                current, inline = None, None
                self.top.setdefault(m.group(1), lineno)
                continue
            if current is None and (m := _KEY.match(code)):
                self.top.setdefault(m.group(1), lineno)
                inline = m.group(1) if m.group(1) in _SECTIONS else None
            elif current is not None and (m := _KEY.match(code)):
                self.keys.setdefault((*current, m.group(1)), lineno)
            if inline is not None:
                for chunk in code.split("{")[1:]:
                    counts[inline] = counts.get(inline, -1) + 1
                    item = (inline, counts[inline])
                    self.items.setdefault(item, lineno)
                    for key in re.findall(r"([A-Za-z_][A-Za-z0-9_-]*)\s*=", chunk):
                        self.keys.setdefault((*item, key), lineno)

    def of(self, section: str, index: int, key: str | None = None) -> int:
        if key is not None and (section, index, key) in self.keys:
            return self.keys[(section, index, key)]
        return self.items.get((section, index), self.top.get(section, 0))


def parse_at(text: str) -> timedelta | None:
    """Parse ``+H:MM:SS`` (or ``H:MM:SS``) into a delay after the show starts."""
    m = _AT.match(text.strip())
    if not m:
        return None
    h, mnt, s = (int(g) for g in m.groups())
    return timedelta(hours=h, minutes=mnt, seconds=s)


def parse_run_of_show(
    text: str, source: str = "run-of-show.toml", *, default_cap: int = 1
) -> RunOfShow:
    """Parse and check a run-of-show; reject it whole with every problem and its line.

    Args:
        text: The TOML text.
        source: The file name used in messages.
        default_cap: Per-buyer cap of a drop that names none.

    Returns:
        The run-of-show.

    Raises:
        RunOfShowError: With ``source:line: problem`` for each problem found.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POS.search(str(exc))
        line = m.group(1) if m else "?"
        raise RunOfShowError([f"{source}:{line}: {exc}"]) from exc
    lines = _Lines(text)
    problems: list[str] = []

    def bad(line: int, message: str) -> None:
        problems.append(f"{source}:{line}: {message}")

    for key in data:
        if key not in _SECTIONS:
            bad(lines.top.get(key, 0), f"unknown key {key!r} (expected lineup, drops, timers)")
    rows: dict[str, list[dict[str, Any]]] = {}
    for section, fields in _SECTIONS.items():
        raw = data.get(section, [])
        if not isinstance(raw, list):
            bad(lines.top.get(section, 0), f"{section} must be a list of tables")
            raw = []
        rows[section] = []
        for i, row in enumerate(raw):
            if not isinstance(row, dict):
                bad(lines.of(section, i), f"{section}[{i}] must be a table")
                continue
            for key in row:
                if key not in fields:
                    bad(lines.of(section, i, key), f"{section}[{i}]: unknown key {key!r}")
            for key, required in fields.items():
                if required and key not in row:
                    bad(lines.of(section, i), f"{section}[{i}]: missing {key!r}")
            rows[section].append(row)

    lineup: list[LineupItem] = []
    for i, row in enumerate(rows["lineup"]):
        code, handle = row.get("code"), row.get("handle")
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)
        if not isinstance(code, str) or not code.strip():
            bad(lines.of("lineup", i, "code"), f"lineup[{i}]: code must be a non-empty string")
            continue
        if not isinstance(handle, str) or not handle.strip():
            bad(lines.of("lineup", i, "handle"), f"lineup[{i}]: handle must be a non-empty string")
            continue
        if any(item.code == code.strip() for item in lineup):
            bad(lines.of("lineup", i, "code"), f"lineup[{i}]: code {code!r} appears twice")
            continue
        lineup.append(LineupItem(code=code.strip(), handle=handle.strip()))
    codes = {item.code for item in lineup}

    drops: list[ScheduledDrop] = []
    for i, row in enumerate(rows["drops"]):
        line = lines.of("drops", i)
        at = parse_at(row["at"]) if isinstance(row.get("at"), str) else None
        code = row.get("code")
        code = str(code) if isinstance(code, int) and not isinstance(code, bool) else code
        qty, cap = row.get("qty"), row.get("cap", default_cap)
        ok = True
        if at is None and "at" in row:
            bad(lines.of("drops", i, "at"), f'drops[{i}]: at must look like "+00:15:00"')
            ok = False
        if "code" in row and code not in codes:
            bad(lines.of("drops", i, "code"), f"drops[{i}]: code {code!r} is not in the lineup")
            ok = False
        if "qty" in row and (not _is_int(qty) or qty < 1):
            bad(lines.of("drops", i, "qty"), f"drops[{i}]: qty must be a whole number >= 1")
            ok = False
        if not _is_int(cap) or cap < 1:
            bad(lines.of("drops", i, "cap"), f"drops[{i}]: cap must be a whole number >= 1")
            ok = False
        if ok and at is not None and isinstance(code, str) and _is_int(qty):
            drops.append(ScheduledDrop(at=at, code=code, qty=qty, cap=min(cap, qty), line=line))

    timers: list[Timer] = []
    for i, row in enumerate(rows["timers"]):
        every, words = row.get("every_minutes"), row.get("text")
        least = row.get("min_chat_messages", 0)
        ok = True
        if "every_minutes" in row and (
            not isinstance(every, int | float)
            or isinstance(every, bool)
            or not 0 < every <= MAX_TIMER_MINUTES
        ):
            bad(
                lines.of("timers", i, "every_minutes"),
                f"timers[{i}]: every_minutes must be > 0 and <= {MAX_TIMER_MINUTES}",
            )
            ok = False
        if "text" in row and (not isinstance(words, str) or not words.strip()):
            bad(lines.of("timers", i, "text"), f"timers[{i}]: text must be a non-empty string")
            ok = False
        if not _is_int(least) or least < 0:
            bad(
                lines.of("timers", i, "min_chat_messages"),
                f"timers[{i}]: min_chat_messages must be a whole number >= 0",
            )
            ok = False
        if ok and isinstance(every, int | float) and isinstance(words, str):
            timers.append(
                Timer(
                    every_minutes=float(every),
                    text=words.strip(),
                    min_chat_messages=least,
                    line=lines.of("timers", i),
                )
            )
    if problems:
        raise RunOfShowError(problems)
    return RunOfShow(
        lineup=tuple(lineup),
        drops=tuple(sorted(drops, key=lambda d: d.at)),
        timers=tuple(timers),
    )


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


DEMO_PATH = Path(__file__).with_name("demo_run_of_show.toml")
"""A run-of-show for the demo catalog (``sandbox/data/demo_products.json``)."""


def load_run_of_show(path: Path, *, default_cap: int = 1) -> RunOfShow:
    """Read and parse a run-of-show file.

    Raises:
        RunOfShowError: If the file is unreadable or invalid (with line numbers).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunOfShowError([f"{path}: cannot read: {exc}"]) from exc
    return parse_run_of_show(text, str(path), default_cap=default_cap)
