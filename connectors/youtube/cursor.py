"""Where the connector keeps its page token and quota spend across restarts."""

from __future__ import annotations

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
