"""Pure: one JSONL chat-log line -> a replay entry (or a reason it was skipped)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from connectors.events import Role

_ROLE_NAMES = {r.value for r in Role}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayEntry:
    """One line of a chat log: who said what, when (seconds from the start)."""

    line: int
    platform: str
    author: str
    author_id: str
    text: str
    offset: float
    message_id: str
    roles: frozenset[Role] = frozenset()


class BadLine(ValueError):
    """A chat-log line that cannot be played; the message says why."""


def parse_line(raw: str, line: int) -> ReplayEntry | None:
    """Parse one line; None for a blank line.

    Raises:
        BadLine: not a JSON object, or a field is missing or has the wrong type.
    """
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise BadLine("not a JSON object")
    problems = []
    for key in ("platform", "author", "text"):
        if not isinstance(data.get(key), str) or not data[key]:
            problems.append(f"{key} must be a non-empty string")
    offset = data.get("offset", 0)
    if isinstance(offset, bool) or not isinstance(offset, int | float) or offset < 0:
        problems.append("offset must be a number of seconds >= 0")
    roles_raw = data.get("roles", [])
    if not isinstance(roles_raw, list) or not all(r in _ROLE_NAMES for r in roles_raw):
        problems.append(f"roles must be a list of {sorted(_ROLE_NAMES)}")
    if problems:
        raise BadLine("; ".join(problems))
    author = str(data["author"])
    return ReplayEntry(
        line=line,
        platform=str(data["platform"]),
        author=author,
        author_id=str(data.get("author_id") or f"{data['platform']}:{author.lower()}"),
        text=str(data["text"]),
        offset=float(offset),
        message_id=str(data.get("message_id") or f"replay-{line}"),
        roles=frozenset(Role(r) for r in roles_raw),
    )
