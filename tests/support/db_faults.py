"""Driver errors at chosen write points of a real database, for the app's own code paths.

A trigger on a table fails the first ``times`` writes to it, inside the database, whatever
path wrote them (SQLAlchemy, the claim path's driver connection, the bulk row writers):

- PostgreSQL: a PL/pgSQL trigger raises SQLSTATE 40001 (serialization failure) while a
  sequence, which a rollback does not undo, counts its calls; ``at_commit`` makes it a
  deferred constraint trigger, so the error comes from ``COMMIT`` itself.
- SQLite: the trigger calls a Python function registered on every connection of the
  engine (SQLAlchemy's ``connect`` event), which raises: sqlite3 reports it as an
  ``OperationalError``. SQLite has no deferred triggers: ``at_commit`` fails the commit
  through SQLAlchemy's ``commit`` event, before the driver commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine


class DbFaults:
    """Arm faults on ``engine``'s database (call :meth:`close` or use :func:`db_faults`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.left: dict[str, int] = {}
        self.fired: dict[str, int] = {}
        self._commit_left = 0
        self._lost_acks = 0
        if self.sqlite:
            event.listen(engine, "connect", self._register)
            engine.dispose()  # every connection from now on has the function
        event.listen(engine, "commit", self._on_commit)

    def _register(self, dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.create_function("ss_fault", 1, self._fault)

    def _fault(self, name: str) -> int:
        if self.left.get(name, 0) > 0:
            self.left[name] -= 1
            self.fired[name] = self.fired.get(name, 0) + 1
            raise sqlite3.OperationalError(f"injected fault at {name}")
        return 0

    def _on_commit(self, conn: Any) -> None:
        if self._lost_acks > 0:
            self._lost_acks -= 1
            self.fired["lost_ack"] = self.fired.get("lost_ack", 0) + 1
            conn.connection.dbapi_connection.commit()  # it reaches the disk...
            raise sqlite3.OperationalError("injected fault: the commit's answer was lost")
        if self._commit_left > 0:
            self._commit_left -= 1
            self.fired["commit"] = self.fired.get("commit", 0) + 1
            raise sqlite3.OperationalError("injected fault at commit (disk I/O error)")

    def arm(self, table: str, *, op: str = "INSERT", times: int = 1) -> str:
        """Fail the next ``times`` ``op`` statements on ``table``; return the fault's name."""
        name = f"f_{table}_{op.lower()}"
        with self.engine.begin() as conn:
            if self.sqlite:
                self.left[name] = times
                conn.exec_driver_sql(
                    f"CREATE TRIGGER {name} BEFORE {op} ON {table}"
                    f" BEGIN SELECT ss_fault('{name}'); END"
                )
            else:
                conn.exec_driver_sql(f"CREATE SEQUENCE {name}")
                conn.exec_driver_sql(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                    f" BEGIN IF nextval('{name}') <= {times:d} THEN"
                    f" RAISE EXCEPTION 'injected fault at {name}' USING ERRCODE = '40001';"
                    " END IF; RETURN NULL; END $$"
                )
                conn.exec_driver_sql(
                    f"CREATE TRIGGER {name} BEFORE {op} ON {table}"
                    f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                )
        return name

    def arm_commit(self, table: str = "processed_messages", *, times: int = 1) -> str:
        """Fail the next ``times`` commits (of a transaction that inserted into ``table``)."""
        name = "commit"
        if self.sqlite:
            self._commit_left = times
            return name
        with self.engine.begin() as conn:
            conn.exec_driver_sql("CREATE SEQUENCE f_commit")
            conn.exec_driver_sql(
                "CREATE FUNCTION f_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN IF nextval('f_commit') <= {times:d} THEN"
                " RAISE EXCEPTION 'injected fault at commit' USING ERRCODE = '40001';"
                " END IF; RETURN NULL; END $$"
            )
            conn.exec_driver_sql(
                f"CREATE CONSTRAINT TRIGGER f_commit AFTER INSERT ON {table}"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION f_commit()"
            )
        return name

    def arm_lost_ack(self, *, times: int = 1) -> str:
        """SQLite: the next ``times`` commits go through, then fail as if the answer was lost."""
        assert self.sqlite, "SQLite only"
        self._lost_acks = times
        return "lost_ack"

    def count(self, name: str) -> int:
        """How often fault ``name`` fired (PostgreSQL: how often its trigger ran)."""
        if self.sqlite:
            return self.fired.get(name, 0)
        seq = "f_commit" if name == "commit" else name
        with self.engine.connect() as conn:
            row = conn.execute(text(f"SELECT last_value, is_called FROM {seq}")).one()
        return int(row[0]) if row[1] else 0

    def close(self) -> None:
        """Stop injecting (the triggers stay; they no longer fail)."""
        if self.sqlite:
            self.left.clear()
            self._commit_left = 0
        event.remove(self.engine, "commit", self._on_commit)


@contextmanager
def db_faults(engine: Engine) -> Iterator[DbFaults]:
    """:class:`DbFaults` for the block."""
    faults = DbFaults(engine)
    try:
        yield faults
    finally:
        faults.close()
