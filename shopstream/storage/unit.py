"""One unit of work: every storage write of a pipeline batch in one transaction.

While :func:`unit_of_work` is open in a thread, the stores built over the same engine
(messages and bookkeeping, the hold book's claims, short links, the outbox's reply rows)
read and write through its one connection and leave the commit to it: the batch's work
stays whole or not at all. Outside a unit each store runs its own short transactions.

A connection that failed is never handed out again: after an error the unit rolls back,
and if the error was the connection's (the server restarted, the socket dropped) or the
rollback itself failed, the connection is invalidated so the pool opens a fresh one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine

from shopstream.storage.errors import is_conflict, is_transient

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class _Unit:
    engine: Engine
    conn: Connection
    committed: list[Callable[[], object]] = field(default_factory=list)
    rolled_back: list[Callable[[], object]] = field(default_factory=list)


_LOCAL = threading.local()
_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def _writer(engine: Engine) -> threading.RLock | None:
    """SQLite: this process's writers take turns on a lock, so a waiting writer starts the
    moment the lock is free (SQLite's own busy handler sleeps 1, 2, 5 ... 100 ms between
    tries; other processes still meet that). None on PostgreSQL (row locks)."""
    if engine.dialect.name != "sqlite":
        return None
    with _WRITERS_LOCK:
        lock = _WRITERS.get(engine)
        if lock is None:
            lock = _WRITERS[engine] = threading.RLock()
        return lock


@contextlib.contextmanager
def _turn(engine: Engine) -> Iterator[None]:
    lock = _writer(engine)
    if lock is None:
        yield
        return
    got = lock.acquire(timeout=_TURN_TIMEOUT)  # past it, SQLite's busy timeout decides
    try:
        yield
    finally:
        if got:
            lock.release()


_TURN_TIMEOUT = 30.0


def on_commit(engine: Engine, fn: Callable[[], object]) -> None:
    """Run ``fn`` once the open unit over ``engine`` commits (at once when there is none):
    what lives in memory follows the database only when the database kept the work."""
    unit: _Unit | None = getattr(_LOCAL, "unit", None)
    if unit is None or unit.engine is not engine:
        fn()
    else:
        unit.committed.append(fn)


def on_rollback(engine: Engine, fn: Callable[[], object]) -> None:
    """Run ``fn`` if the open unit over ``engine`` fails (never when there is none)."""
    unit: _Unit | None = getattr(_LOCAL, "unit", None)
    if unit is not None and unit.engine is engine:
        unit.rolled_back.append(fn)


def _run(hooks: list[Callable[[], object]]) -> None:
    for fn in hooks:
        try:
            fn()
        except Exception:  # one hook's bug must not skip the others
            _LOGGER.exception("a unit-of-work hook failed")


def active(engine: Engine) -> Connection | None:
    """The connection of the unit of work open in this thread over ``engine``, if any."""
    unit: _Unit | None = getattr(_LOCAL, "unit", None)
    if unit is not None and unit.engine is engine:
        return unit.conn
    return None


def in_unit() -> bool:
    """Whether a unit of work is open in this thread (over any engine)."""
    return getattr(_LOCAL, "unit", None) is not None


def discard(conn: Connection, error: BaseException) -> None:
    """Roll ``conn`` back after ``error``; invalidate it when it cannot be trusted again."""
    try:
        conn.rollback()
    except Exception:  # the connection is gone: the pool must not hand it out again
        with contextlib.suppress(Exception):
            conn.invalidate()
        return
    if is_transient(error) and not is_conflict(error):
        with contextlib.suppress(Exception):
            conn.invalidate()  # a dropped server may have left it half-open: start afresh


def _begin(conn: Connection, *, immediate: bool) -> None:
    """Begin explicitly, so the commit also commits what went through the driver itself
    (the claim path, the bulk row writers); on SQLite ``immediate`` takes the write lock."""
    conn.begin()
    if immediate and conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextlib.contextmanager
def unit_of_work(engine: Engine) -> Iterator[Connection]:
    """Open one write transaction for this thread; commit when the block ends normally.

    SQLite takes the write lock at once (``BEGIN IMMEDIATE``: one writer, no upgrade
    deadlock). Nested use joins the open unit.
    """
    current = active(engine)
    if current is not None:
        yield current
        return
    unit: _Unit | None = None
    with _turn(engine):
        conn = engine.connect()
        try:
            _begin(conn, immediate=True)
            unit = _LOCAL.unit = _Unit(engine, conn)
            try:
                yield conn
            finally:
                _LOCAL.unit = None
            conn.commit()
        except BaseException as error:
            discard(conn, error)
            if unit is not None:
                _run(unit.rolled_back)
            raise
        finally:
            conn.close()
    _run(unit.committed)


@contextlib.contextmanager
def writing(engine: Engine, *, immediate: bool = False) -> Iterator[Connection]:
    """A connection to write through: the open unit's (its commit decides), or a short
    transaction of its own (``immediate``: SQLite's ``BEGIN IMMEDIATE``)."""
    current = active(engine)
    if current is not None:
        yield current
        return
    with _turn(engine), engine.connect() as conn:
        _begin(conn, immediate=immediate)
        try:
            yield conn
        except BaseException as error:
            discard(conn, error)
            raise
        conn.commit()


@contextlib.contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection to read through: the open unit's (it sees the unit's own writes)."""
    current = active(engine)
    if current is not None:
        yield current
        return
    with engine.connect() as conn:
        yield conn
