"""Which database errors pass (the server restarts, a connection drops, a lock is held too
long) and which a retry would only repeat (a bug, a value the database refuses).

This is the one classification for the whole app: the pipeline, the hold book, the stock
writes and the claim path all ask it.
"""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy import exc as sa_exc

_TRANSIENT: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,  # SQLAlchemy's wrapping of the two below
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # no pooled connection came free in time
    sqlite3.OperationalError,  # "database is locked" past the busy timeout, disk I/O
    psycopg.OperationalError,  # connection lost, server shutting down, cannot connect
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
    OSError,  # the socket itself (ConnectionError and friends)
)


def is_transient(error: BaseException) -> bool:
    """Whether trying the same work again later may succeed."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, _TRANSIENT)


_CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock detected


def is_conflict(error: BaseException) -> bool:
    """Whether PostgreSQL aborted the transaction for a deadlock or serialization failure:
    running the same transaction again at once is the cure (a subset of transient)."""
    if isinstance(error, sa_exc.DBAPIError):
        error = error.orig if error.orig is not None else error
    return (
        isinstance(error, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure))
        or getattr(error, "sqlstate", None) in _CONFLICT_SQLSTATES
    )
