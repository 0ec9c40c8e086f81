"""Bookkeeping rows written straight through SQLite's DB-API.

SQLAlchemy spends about as long preparing each row's parameters (bind processors, one
dict per row) as SQLite spends writing it. For the few statements the pipeline writes by
the thousand (messages taken, claims, audit lines, message outcomes), this compiles the
statement once per set of columns and hands sqlite3 plain tuples, inside the caller's
SQLAlchemy transaction (the same connection, so the same commit).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.base import Executable
from sqlalchemy.types import NullType

from shop_sync.claim_sql import sqlite_time
from shopstream.storage.types import UTCDateTime, require_aware

# SQLite's default limit on host parameters is 32,766; keep multi-row statements well under
_MAX_PARAMS = 30_000


def _value(value: Any) -> Any:
    """What UTCDateTime would bind on SQLite: naive UTC text; other values as they are."""
    if isinstance(value, datetime):
        return sqlite_time(require_aware(value))
    return value


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    order: tuple[str, ...]  # parameter names, in the order of the ``?`` marks
    row: Callable[[dict[str, Any]], tuple[Any, ...]]  # a row's values in that order
    convert: tuple[int, ...]  # positions that may hold datetimes


class SqliteRows:
    """Compiled SQL per (statement, columns), and the writes that use it."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._compiled: dict[tuple[Executable, tuple[str, ...]], _Compiled] = {}

    def _sql(self, statement: Executable, keys: tuple[str, ...]) -> _Compiled:
        found = self._compiled.get((statement, keys))
        if found is None:
            compiled = statement.compile(dialect=self._dialect, column_keys=list(keys))  # type: ignore[attr-defined]
            order = tuple(compiled.positiontup or ())
            # datetimes need converting: typed DateTime columns, and any untyped parameter
            convert = tuple(
                i
                for i, name in enumerate(order)
                if isinstance(compiled.binds[name].type, (UTCDateTime, DateTime, NullType))
            )
            getter = operator.itemgetter(*order) if len(order) > 1 else _one(order)
            found = _Compiled(str(compiled), order, getter, convert)
            self._compiled[(statement, keys)] = found
        return found

    @staticmethod
    def _tuples(compiled: _Compiled, rows: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
        getter, convert = compiled.row, compiled.convert
        if not convert:
            return list(map(getter, rows))
        out = []
        for row in rows:
            values = list(getter(row))
            for i in convert:
                values[i] = _value(values[i])
            out.append(tuple(values))
        return out

    def write_many(
        self, conn: Connection, statement: Executable, rows: list[dict[str, Any]]
    ) -> None:
        """Execute ``statement`` once per row (rows with the same keys share one compile)."""
        raw = conn.connection.driver_connection
        assert raw is not None
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(row), []).append(row)
        for keys, same in groups.items():
            compiled = self._sql(statement, keys)
            raw.executemany(compiled.sql, self._tuples(compiled, same))

    def insert_returning(
        self, conn: Connection, statement: Executable, rows: list[dict[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """Run an ``INSERT ... RETURNING`` for ``rows`` as multi-row statements; return what
        it returns (sqlite3's executemany cannot return rows)."""
        if not rows:
            return []
        raw = conn.connection.driver_connection
        assert raw is not None
        compiled = self._sql(statement, tuple(rows[0]))
        width = len(compiled.order)
        head, values, tail = _split_values(compiled.sql, width)
        per_statement = max(1, _MAX_PARAMS // max(1, width))
        out: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [p for t in self._tuples(compiled, chunk) for p in t]
            many = f"{head}{', '.join([values] * len(chunk))}{tail}"
            out.extend(raw.execute(many, params).fetchall())
        return out


def _one(order: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    (name,) = order or ("",)
    return lambda row: (row[name],) if order else ()


def _split_values(sql: str, params: int) -> tuple[str, str, str]:
    """Split ``INSERT ... VALUES (?, ...) rest`` into its head, values group and rest."""
    group = "(" + ", ".join(["?"] * params) + ")"
    at = sql.index("VALUES " + group)
    head = sql[: at + len("VALUES ")]
    return head, group, sql[at + len("VALUES ") + len(group) :]
