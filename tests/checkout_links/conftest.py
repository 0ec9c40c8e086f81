"""Serve FastAPI apps on a real 127.0.0.1 socket (ephemeral port) for the checkout_links tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
import uvicorn
from fastapi import FastAPI

from tests.support.clock import FakeClock


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread; yield its base URL.

    The listening socket is bound before the server starts, so clients can connect at once:
    the kernel queues connections until uvicorn accepts them (no waiting loop needed).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A requests session, closed after the test."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    """A fixed clock at 2026-11-23 20:00 UTC."""
    return FakeClock()
