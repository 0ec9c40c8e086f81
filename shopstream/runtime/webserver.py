"""Serve an ASGI app with uvicorn inside the running event loop (port 0 = any free port)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn


class _InShowServer(uvicorn.Server):
    """uvicorn without its own Ctrl-C handling: the show owns the signals and stops the
    server when it ends (uvicorn's handler would stop only the web app, then raise the
    signal again once it has, a second Ctrl-C the operator never typed)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_asgi(app: Any, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Start ``app`` and yield its base URL; stop it on exit.

    Raises:
        RuntimeError: the server could not start (for example, the port is taken).
    """
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    server = _InShowServer(config)
    task = asyncio.create_task(server.serve(), name=f"uvicorn:{host}:{port}")
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError(f"web server on {host}:{port} did not start")
        await asyncio.sleep(0.005)  # polling uvicorn's own flag; it offers no event
    sock = server.servers[0].sockets[0].getsockname()
    try:
        yield f"http://{host}:{sock[1]}"
    finally:
        server.should_exit = True
        await task
