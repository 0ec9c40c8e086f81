"""Storage: one SQLModel metadata, SQLite (WAL) by default, PostgreSQL by URL."""

from shopstream.storage.engine import make_engine, sqlite_url

__all__ = ["make_engine", "sqlite_url"]
