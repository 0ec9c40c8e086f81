"""Many bookkeeping rows as one PostgreSQL statement: an INSERT over ``unnest`` of arrays.

An executemany costs PostgreSQL a statement per row, and a multi-row VALUES insert makes
psycopg convert a new, long query text every time. One array per column keeps the text
fixed (prepared once) and the rows in one round trip. Rows are inserted in the order
given, so ids follow the order the pipeline wrote them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import TextClause


class PgRows:
    """One compiled ``INSERT ... SELECT FROM unnest(...)`` per (table, columns)."""

    def __init__(
        self,
        dialect: Dialect,
        table: Table,
        *,
        conflict: Sequence[str] = (),
        returning: Sequence[str] = (),
    ) -> None:
        self._dialect = dialect
        self._table = table
        self._conflict = tuple(conflict)
        self._returning = tuple(returning)
        self._compiled: dict[tuple[str, ...], tuple[TextClause, tuple[str, ...]]] = {}

    def _statement(self, keys: tuple[str, ...]) -> tuple[TextClause, tuple[str, ...]]:
        found = self._compiled.get(keys)
        if found is None:
            columns = [self._table.c[k] for k in keys]
            arrays = ", ".join(
                f"CAST(:a{i} AS {c.type.compile(dialect=self._dialect)}[])"
                for i, c in enumerate(columns)
            )
            names = ", ".join(f'"{c.name}"' for c in columns)
            values = ", ".join(f"v.c{i}" for i in range(len(columns)))
            aliases = ", ".join(f"c{i}" for i in range(len(columns)))
            sql = (
                f'INSERT INTO "{self._table.name}" ({names})'
                f" SELECT {values} FROM unnest({arrays}) WITH ORDINALITY AS v({aliases}, n)"
                " ORDER BY v.n"
            )
            if self._conflict:
                sql += f" ON CONFLICT ({', '.join(self._conflict)}) DO NOTHING"
            if self._returning:
                sql += f" RETURNING {', '.join(self._returning)}"
            found = (text(sql), keys)
            self._compiled[keys] = found
        return found

    def insert(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Insert ``rows`` (one statement per set of keys); return what RETURNING names."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(row), []).append(row)
        out: list[tuple[Any, ...]] = []
        for keys, same in groups.items():
            statement, order = self._statement(keys)
            params = {f"a{i}": [_checked(row[k]) for row in same] for i, k in enumerate(order)}
            result = conn.execute(statement, params)
            if self._returning:
                out.extend(tuple(r) for r in result)
        return out


def _checked(value: Any) -> Any:
    """UTCDateTime's rule, kept on this path: a naive datetime is a bug, not a UTC time."""
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("naive datetime given where UTC is required")
    return value
