"""The running show's state, shared by handlers and scheduled jobs (one writer at a time)."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import replace

from shopstream.show.commands import ModOutcome, apply_mod_command
from shopstream.show.config import ShowControlConfig
from shopstream.show.permissions import Actor, Permissions
from shopstream.show.state import ShowState

_LOGGER = logging.getLogger(__name__)


class ShowControl:
    """Holds the current :class:`ShowState`; every change goes through one lock."""

    def __init__(self, state: ShowState, config: ShowControlConfig | None = None) -> None:
        self._state = state
        self._config = config or ShowControlConfig()
        self._permissions = Permissions(self._config.permissions)
        self._lock = threading.Lock()
        self._version = 0
        self._writers: deque[int] = deque(maxlen=4096)  # the thread of each recent change

    @property
    def state(self) -> ShowState:
        """The current state (an immutable snapshot)."""
        return self._state

    def _set(self, state: ShowState) -> None:  # under the lock
        self._state = state
        self._version += 1
        self._writers.append(threading.get_ident())

    def savepoint(self) -> tuple[ShowState, int]:
        """Where the state is now, to go back to if the work that follows is undone."""
        with self._lock:
            return self._state, self._version

    def rollback_to(self, point: tuple[ShowState, int]) -> bool:
        """Undo this thread's changes since ``point`` (its batch failed and is retried).

        Only when no other thread changed the state since (a scheduled drop opened in the
        meantime is kept, with the batch's changes; logged). Returns whether it went back.
        """
        state, version = point
        me = threading.get_ident()
        with self._lock:
            since = self._version - version
            if since == 0:
                return True
            if since > len(self._writers) or any(t != me for t in list(self._writers)[-since:]):
                _LOGGER.warning(
                    "show state changed elsewhere meanwhile; a failed batch's changes are kept"
                )
                return False
            self._set(state)
            return True

    def command(self, name: str, args: Sequence[str], actor: Actor) -> ModOutcome:
        """Apply a moderator command; denied and invalid ones change nothing."""
        with self._lock:
            state, outcome = apply_mod_command(
                self._state, name, args, actor, permissions=self._permissions, config=self._config
            )
            if state is not self._state:
                self._set(state)
        return outcome

    def take_drop(self, code: str, qty: int) -> None:
        """Count ``qty`` units of an open drop as claimed."""
        with self._lock:
            self._set(self._state.with_drop_taken(code, qty))

    def feature(self, code: str) -> None:
        """Feature ``code`` (scheduled drops and the run-of-show use this)."""
        with self._lock:
            self._set(replace(self._state, featured=code))

    def replace_state(self, state: ShowState) -> None:
        """Swap in a new state (scheduled drops)."""
        with self._lock:
            self._set(state)
