"""Serve an ASGI app with uvicorn on 127.0.0.1 (port 0 = any free port) in a worker thread."""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn


class ServedApp:
    """An app listening on a loopback port; ``url`` is known as soon as it is constructed
    started, because the socket is bound and listening before uvicorn takes it over."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(128)
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", ws="none"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> ServedApp:
        """Start serving (connections made before this wait in the listen backlog)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the worker thread."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> ServedApp:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
