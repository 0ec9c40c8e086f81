"""uvicorn for emulators served inside the running loop, without uvicorn's own signal handling.

``uvicorn.Server.serve()`` on the main thread takes over SIGINT and SIGTERM while it serves,
and raises the captured signal again once it has shut down. Inside a demo or rehearsal the
show owns Ctrl-C (``shopstream.interrupt``): each emulator re-raising it would be a second
Ctrl-C the operator never typed, which quits at once, before the summary.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn


class InLoopServer(uvicorn.Server):
    """A ``uvicorn.Server`` that leaves the process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Take no signals: whoever runs the loop stops this server (``should_exit``)."""
        yield
