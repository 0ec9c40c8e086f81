"""What a credential check found: one line per platform, with the fix in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import requests


class AuthFlowError(Exception):
    """An authorisation flow could not finish; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Finding:
    """The result of validating one part's credentials (never holds a secret)."""

    part: str
    key: str  # a connector status key: ok, invalid_auth, cannot_connect, ...
    summary: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        """Whether a show can start with these credentials."""
        return self.key == "ok"

    def lines(self) -> list[str]:
        """``part: key (summary)`` and, when not ok, ``part:   fix: ...``."""
        out = [f"{self.part}: {self.key} ({self.summary})"]
        if self.fix:
            out.append(f"{self.part}:   fix: {self.fix}")
        return out


def missing_scopes(granted: list[str] | str, needed: tuple[str, ...]) -> list[str]:
    """The needed scopes not in ``granted`` (a list, or a space- or comma-separated string)."""
    have = set(granted.replace(",", " ").split()) if isinstance(granted, str) else set(granted)
    return [s for s in needed if s not in have]


def for_humans(seconds: float) -> str:
    """``3h 59m`` / ``59 days``."""
    left = timedelta(seconds=int(seconds))
    if left.days >= 2:
        return f"{left.days} days"
    hours, rest = divmod(left.seconds + left.days * 86400, 3600)
    return f"{hours}h {rest // 60:02d}m"


def unreachable(part: str, exc: requests.RequestException) -> Finding:
    """A network failure, as a finding."""
    return Finding(part, "cannot_connect", f"{type(exc).__name__}", "check the network and URLs")
