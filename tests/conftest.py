"""Shared fixtures: real SQLite and PostgreSQL databases; tests stay on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fuzz import register_profiles

# Leaked sockets, threads and temporary files fail the test that leaked them (tests/leaks.py).
pytest_plugins = ("tests.leaks", "pytester")

PG_ADMIN_URL = os.environ.get(
    "SHOPSTREAM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

# --- offline guard -------------------------------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _allowed(address: Any) -> bool:
    if isinstance(address, str):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _allowed(address):
        raise RuntimeError(f"tests never reach beyond 127.0.0.1 (tried {address!r})")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _allowed(address):
        raise RuntimeError(f"tests never reach beyond 127.0.0.1 (tried {address!r})")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


# --- property tests: the same examples on every CI run --------------------------------------

register_profiles()


# --- databases -----------------------------------------------------------------------------


def _pg_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(
            PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3
        ):
            return None
    except Exception as exc:  # the reason is shown in the skip
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"


_PG_SKIP = _pg_reachable()


@pytest.fixture
def sqlite_db_url(tmp_path: Any) -> str:
    """A fresh SQLite database file (WAL) for one test."""
    return f"sqlite:///{tmp_path / 'test.db'}"


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # "gw0", "gw1", ... under xdist


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql")


@pytest.fixture(scope="session")
def pg_worker_url() -> Iterator[str]:
    """This worker's own PostgreSQL database (``<db>_<worker>``), made for the session and
    dropped after it, so parallel workers never share a database."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    import psycopg

    base, _, admin_db = PG_ADMIN_URL.rpartition("/")
    name = f"{admin_db}_{WORKER}_{os.getpid()}"
    with psycopg.connect(_plain(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(_plain(PG_ADMIN_URL), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_db_url(pg_worker_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema in this worker's database for one test (search_path set in the
    URL, so other processes using the URL see the same schema); dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_plain(pg_worker_url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{pg_worker_url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(_plain(pg_worker_url), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def redis_prefix() -> str:
    """A Redis key prefix of this worker and test, so parallel workers never share keys."""
    return f"test:{WORKER}:{uuid.uuid4().hex}:"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Run a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_db_url"))
    return str(request.getfixturevalue("pg_db_url"))
