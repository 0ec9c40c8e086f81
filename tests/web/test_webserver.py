"""The web server's socket: Nagle's algorithm off for every connection it accepts, so a page
written in pieces (headers, then body) is not held back for the client's delayed ACK."""

from __future__ import annotations

import socket

import pytest

from shopstream.runtime.webserver import listening_socket


def test_accepted_connections_have_tcp_nodelay() -> None:
    server = listening_socket("127.0.0.1", 0)
    with server, socket.create_connection(server.getsockname()[:2], timeout=5) as client:
        accepted, _ = server.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            client.sendall(b"ping")
            assert accepted.recv(4) == b"ping"


def test_a_taken_port_is_one_sentence() -> None:
    with listening_socket("127.0.0.1", 0) as first:
        port = first.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"127.0.0.1:{port} did not start"):
            listening_socket("127.0.0.1", port).close()
