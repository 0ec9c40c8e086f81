"""The running show's state, shared by handlers and scheduled jobs (one writer at a time)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

from shopstream.show.commands import ModOutcome, apply_mod_command
from shopstream.show.config import ShowControlConfig
from shopstream.show.permissions import Actor, Permissions
from shopstream.show.state import ShowState


class ShowControl:
    """Holds the current :class:`ShowState`; every change goes through one lock."""

    def __init__(self, state: ShowState, config: ShowControlConfig | None = None) -> None:
        self._state = state
        self._config = config or ShowControlConfig()
        self._permissions = Permissions(self._config.permissions)
        self._lock = threading.Lock()

    @property
    def state(self) -> ShowState:
        """The current state (an immutable snapshot)."""
        return self._state

    def command(self, name: str, args: Sequence[str], actor: Actor) -> ModOutcome:
        """Apply a moderator command; denied and invalid ones change nothing."""
        with self._lock:
            self._state, outcome = apply_mod_command(
                self._state, name, args, actor, permissions=self._permissions, config=self._config
            )
        return outcome

    def take_drop(self, code: str, qty: int) -> None:
        """Count ``qty`` units of an open drop as claimed."""
        with self._lock:
            self._state = self._state.with_drop_taken(code, qty)

    def feature(self, code: str) -> None:
        """Feature ``code`` (scheduled drops and the run-of-show use this)."""
        with self._lock:
            self._state = replace(self._state, featured=code)

    def replace_state(self, state: ShowState) -> None:
        """Swap in a new state (scheduled drops)."""
        with self._lock:
            self._state = state
