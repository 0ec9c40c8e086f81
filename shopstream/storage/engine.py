"""Create database engines: SQLite in WAL mode under the data directory, or PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine


def sqlite_url(data_dir: Path, name: str = "shopstream.db") -> str:
    """Return the SQLite URL of the database file under ``data_dir`` (created if missing)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / name).resolve()}"


def _sqlite_pragmas(busy_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_ms:d}")
        cur.close()

    return on_connect


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url``.

    SQLite gets WAL, a busy timeout and foreign keys; PostgreSQL URLs without a driver
    use psycopg 3. SQLite's busy timeout is 30 s unless the URL names one in seconds
    (``sqlite:///show.db?timeout=5``): how long a write waits for another writer's lock
    before the batch fails and is retried.
    """
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        timeout = float(make_url(url).query.get("timeout", 30))  # type: ignore[arg-type]
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": timeout}
        )
        event.listen(engine, "connect", _sqlite_pragmas(round(timeout * 1000)))
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
