"""A bounded memory of recent ids (stream and backfill deliver the same comment twice)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RecentIds(Generic[K, V]):
    """Remember up to ``capacity`` keys (with a value each); the oldest are forgotten first."""

    __slots__ = ("_items", "capacity")

    def __init__(self, capacity: int = 50_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def add(self, key: K, value: V) -> bool:
        """Remember ``key``; return False if it was already known (the value is kept)."""
        if key in self._items:
            return False
        self._items[key] = value
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return True

    def get(self, key: K) -> V | None:
        """The value stored with ``key``, or None."""
        return self._items.get(key)

    def discard(self, key: K) -> None:
        """Forget ``key`` if known."""
        self._items.pop(key, None)
