"""Capped exponential backoff with full jitter, written once for every reconnect loop."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Delays ``base * factor**n`` capped at ``cap``, with jitter; ``reset()`` after health.

    ``jitter`` is the fraction of each delay that is randomised (0 = none, 1 = full jitter).
    ``rand`` is injectable so tests get exact delays.
    """

    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    jitter: float = 0.5
    rand: Callable[[], float] = field(default=random.random)
    attempts: int = 0

    def next_delay(self) -> float:
        """Return the next delay in seconds and count the attempt."""
        raw = min(self.cap, self.base * self.factor**self.attempts)
        self.attempts += 1
        return raw * (1.0 - self.jitter) + raw * self.jitter * self.rand()

    def reset(self) -> None:
        """Start again from ``base`` (after a healthy connection)."""
        self.attempts = 0
