"""Where the connector keeps its page token and quota spend across restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@runtime_checkable
class CursorStore(Protocol):
    """A tiny string key-value store; the application backs it with its database."""

    def get(self, key: str) -> str | None:
        """Return the value saved under ``key``, or None."""
        ...

    def set(self, key: str, value: str) -> None:
        """Save ``value`` under ``key`` (overwriting)."""
        ...


class MemoryCursorStore:
    """A :class:`CursorStore` in memory (tests, demo, one process)."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        """Return the value saved under ``key``, or None."""
        return self._data.get(key)

    def set(self, key: str, value: str) -> None:
        """Save ``value`` under ``key``."""
        self._data[key] = value


def page_token_key(live_chat_id: str) -> str:
    """Return the store key of one live chat's page token."""
    return f"youtube:page_token:{live_chat_id}"


QUOTA_KEY = "youtube:quota"


@dataclass(frozen=True, slots=True)
class Progress:
    """Where reading stands: the page to fetch and the last item of it already handed over."""

    token: str | None = None
    after: str | None = None


def encode_progress(progress: Progress) -> str:
    """Serialise :class:`Progress` for a :class:`CursorStore`."""
    return json.dumps({"token": progress.token, "after": progress.after}, separators=(",", ":"))


def decode_progress(text: str | None) -> Progress | None:
    """Read a saved :class:`Progress` (a bare page token is accepted; None if nothing saved)."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return Progress(token=text)
    if not isinstance(data, dict):
        return Progress(token=text)
    token, after = data.get("token"), data.get("after")
    return Progress(
        token=token if isinstance(token, str) and token else None,
        after=after if isinstance(after, str) and after else None,
    )
