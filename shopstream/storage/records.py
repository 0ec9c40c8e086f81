"""Reads and writes of the application's own tables (messages, claims, audit, cursors)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.base import Executable
from sqlmodel import Session, SQLModel, col, select

from connectors.events import ChatMessage
from connectors.status import utc_now
from shopstream.storage.models import AuditEntry, Claim, ConnectorCursor, ProcessedMessage
from shopstream.storage.pg_rows import PgRows
from shopstream.storage.sqlite_rows import SqliteRows
from shopstream.storage.unit import unit_of_work, writing


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


_MESSAGES = _table(ProcessedMessage)
_CLAIMS = _table(Claim)
_AUDIT = _table(AuditEntry)
_CURSORS = _table(ConnectorCursor)
_AUDIT_INSERT = _AUDIT.insert()
_MARK_MESSAGE = (
    update(_MESSAGES)
    .where(_MESSAGES.c.platform == bindparam("p"), _MESSAGES.c.message_id == bindparam("m"))
    .values(intent=bindparam("i"), outcome=bindparam("o"))
)
_SET_STATUS = (
    update(_CLAIMS)
    .where(_CLAIMS.c.claim_key == bindparam("k"))
    .values(status=bindparam("s"), updated_at=bindparam("u"))
)
_SET_STATUS_HOLD = (
    update(_CLAIMS)
    .where(_CLAIMS.c.claim_key == bindparam("k"))
    .values(status=bindparam("s"), updated_at=bindparam("u"), hold_id=bindparam("h"))
)


# PostgreSQL: many message outcomes as one UPDATE over arrays (one statement, compiled once)
_MARK_MESSAGES_PG = text(
    "UPDATE processed_messages AS t SET intent = v.i, outcome = v.o"
    " FROM unnest(CAST(:p AS text[]), CAST(:m AS text[]), CAST(:i AS text[]),"
    " CAST(:o AS text[])) AS v(p, m, i, o)"
    " WHERE t.platform = v.p AND t.message_id = v.m"
)


class Records:
    """The application's storage, over one engine.

    Outside :meth:`batch`, every write is one short transaction. Inside it, bookkeeping
    writes (message outcomes, claims, audit lines, claim status changes) are kept in order
    and written together when the batch ends: one transaction per batch instead of several
    per message. Stock itself never waits for this: holds commit in the hold book at once.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self._local = threading.local()
        self._claim_insert = self._upsert_ignore(_CLAIMS, "claim_key")
        insert_fn = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        upsert = insert_fn(_CURSORS)
        self._cursor_upsert = upsert.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": upsert.excluded.value, "updated_at": upsert.excluded.updated_at},
        )
        self._gatherable: frozenset[Executable] = frozenset(
            {self._claim_insert, _AUDIT_INSERT, _MARK_MESSAGE}
        )
        self._take_insert = self._upsert_ignore(_MESSAGES, "platform", "message_id").returning(
            _MESSAGES.c.platform, _MESSAGES.c.message_id
        )
        # the rows written by the thousand skip the per-row work: on SQLite SQLAlchemy's
        # (through the DB-API), on PostgreSQL the statement per row (arrays, one statement)
        dialect = engine.dialect
        self._sqlite = SqliteRows(dialect) if dialect.name == "sqlite" else None
        self._pg: dict[Executable, PgRows] = {}
        if dialect.name == "postgresql":
            self._pg = {
                self._claim_insert: PgRows(_CLAIMS, conflict=("claim_key",)),
                _AUDIT_INSERT: PgRows(_AUDIT),
            }
            self._pg_take = PgRows(
                _MESSAGES,
                conflict=("platform", "message_id"),
                returning=("platform", "message_id"),
            )

    # -- write-behind batches -------------------------------------------------------------

    def unit(self) -> contextlib.AbstractContextManager[Connection]:
        """One transaction for this thread's writes over the engine (a pipeline batch)."""
        return unit_of_work(self.engine)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Collect bookkeeping writes of this thread and write them in one transaction.

        Written only when the block ends normally: when it raises (the database failed the
        batch), none of them stays, and the retry of the batch writes them again.
        """
        if getattr(self._local, "pending", None) is not None:
            yield  # already batching
            return
        self._local.pending = []
        try:
            yield
        except BaseException:
            self._local.pending = None  # the block failed: its work is redone, not half-kept
            raise
        pending, self._local.pending = self._local.pending, None
        if pending:  # in the pipeline's unit of work: committed with the rest of the batch
            with writing(self.engine) as conn:
                self._flush(conn, pending)

    def _flush(self, conn: Any, pending: list[tuple[Executable, dict[str, Any]]]) -> None:
        """Write pending rows, each statement's rows together.

        Inserts of claims and audit lines and message outcomes touch rows nothing else in
        the batch reads, so they are gathered per statement however they interleave. Any
        other write (a claim status change) is a barrier: what was gathered before it is
        written first, so it always finds the claim it changes.
        """
        gathered: dict[Executable, list[dict[str, Any]]] = {}
        for statement, params in pending:
            if statement in self._gatherable:
                gathered.setdefault(statement, []).append(params)
                continue
            for earlier, rows in gathered.items():
                self._write_many(conn, earlier, rows)
            gathered.clear()
            conn.execute(statement, params)
        for earlier, rows in gathered.items():
            self._write_many(conn, earlier, rows)

    def _write_many(self, conn: Any, statement: Executable, rows: list[dict[str, Any]]) -> None:
        """Write one statement's rows: on SQLite an executemany through the DB-API; on
        PostgreSQL one statement over arrays (an executemany there costs a statement per
        row: for message outcomes alone, about a third of a flash drop's handling time)."""
        if self._sqlite is not None:
            self._sqlite.write_many(conn, statement, rows)
        elif statement in self._pg and len(rows) > 1:
            self._pg[statement].insert(conn, rows)
        elif statement is _MARK_MESSAGE and len(rows) > 1 and self._pg:
            conn.execute(_MARK_MESSAGES_PG, {k: [r[k] for r in rows] for k in ("p", "m", "i", "o")})
        else:
            conn.execute(statement, rows)

    def _write(self, statement: Executable, params: dict[str, Any]) -> None:
        pending = getattr(self._local, "pending", None)
        if pending is not None:
            pending.append((statement, params))
            return
        with writing(self.engine) as conn:
            conn.execute(statement, params)

    def _upsert_ignore(self, table: Table, *keys: str) -> Any:
        insert_fn = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        return insert_fn(table).on_conflict_do_nothing(index_elements=list(keys))

    # -- invariant 2: one outcome per (platform, message_id) --------------------------------

    def _message_row(self, msg: ChatMessage) -> dict[str, Any]:
        return {
            "platform": msg.platform,
            "message_id": msg.message_id,
            "channel": msg.channel,
            "author_id": msg.author_id,
            "author_name": msg.author_name,
            "text": msg.text[:4000],
            "sent_at": msg.sent_at,
            "received_at": self.clock(),
            "intent": "pending",
        }

    def take_message(self, msg: ChatMessage) -> bool:
        """Record ``msg``; return False when it was already taken (a duplicate delivery)."""
        return bool(self.take_messages([msg]))

    def take_messages(self, msgs: Sequence[ChatMessage]) -> set[tuple[str, str]]:
        """Record several messages in one transaction; return the (platform, id) taken now.

        A message already taken (by this or another process) is left out.
        """
        rows = {(m.platform, m.message_id): self._message_row(m) for m in msgs}  # 1st copy only
        if not rows:
            return set()
        with writing(self.engine) as conn:  # RETURNING names only the new rows
            if self._sqlite is not None:
                result = self._sqlite.insert_returning(conn, self._take_insert, list(rows.values()))
            elif self._pg:
                result = self._pg_take.insert(conn, list(rows.values()))
            else:
                result = list(conn.execute(self._take_insert, list(rows.values())))
            return {(str(p), str(m)) for p, m in result}

    def mark_message(self, platform: str, message_id: str, *, intent: str, outcome: str) -> None:
        """Store what the pipeline made of a message."""
        self._write(
            _MARK_MESSAGE,
            {"p": platform, "m": message_id, "i": intent[:32], "o": outcome[:64]},
        )

    def message_counts(self) -> dict[str, int]:
        """Messages taken in, per platform."""
        from sqlalchemy import func

        with Session(self.engine) as session:
            rows = session.exec(
                select(ProcessedMessage.platform, func.count()).group_by(ProcessedMessage.platform)
            ).all()
        return {platform: int(n) for platform, n in rows}

    # -- claims -----------------------------------------------------------------------------

    def record_claim(self, claim: Claim | Mapping[str, Any]) -> None:
        """Insert a claim; a second claim with the same key is ignored (the first stands)."""
        values = dict(claim) if isinstance(claim, Mapping) else claim.model_dump(exclude={"id"})
        self._write(self._claim_insert, values)

    def set_claim_status(self, claim_key: str, status: str, *, hold_id: str | None = None) -> None:
        """Move a claim to ``status`` (held, waitlisted, paid, expired, cancelled...)."""
        params = {"k": claim_key, "s": status, "u": self.clock()}
        if hold_id is None:
            self._write(_SET_STATUS, params)
        else:
            self._write(_SET_STATUS_HOLD, {**params, "h": hold_id})

    def set_status_by_holds(self, hold_ids: Sequence[str], status: str) -> None:
        """Move the claims that hold these holds to ``status`` (an order paid them)."""
        if not hold_ids:
            return
        with writing(self.engine) as conn:
            conn.execute(
                update(_CLAIMS)
                .where(_CLAIMS.c.hold_id.in_(list(hold_ids)))
                .values(status=status, updated_at=self.clock())
            )

    def claim(self, claim_key: str) -> Claim | None:
        """One claim by key."""
        with Session(self.engine) as session:
            return session.exec(select(Claim).where(Claim.claim_key == claim_key)).first()

    def claims(self, *, show_id: str | None = None) -> Sequence[Claim]:
        """Every claim, oldest first (by the platform's timestamp)."""
        with Session(self.engine) as session:
            query = select(Claim).order_by(col(Claim.sent_at), col(Claim.id))
            if show_id:
                query = query.where(Claim.show_id == show_id)
            return session.exec(query).all()

    # -- audit ------------------------------------------------------------------------------

    def audit(
        self,
        kind: str,
        *,
        platform: str | None = None,
        actor: str | None = None,
        subject: str | None = None,
        **detail: Any,
    ) -> None:
        """Append one line to the audit log."""
        row = {
            "at": self.clock(),
            "kind": kind,
            "platform": platform,
            "actor": actor,
            "subject": subject,
            "detail": json.dumps(detail, default=str, sort_keys=True),
        }
        self._write(_AUDIT_INSERT, row)

    def audit_entries(self, kind: str | None = None) -> Sequence[AuditEntry]:
        """Audit lines, oldest first."""
        with Session(self.engine) as session:
            query = select(AuditEntry).order_by(col(AuditEntry.id))
            if kind:
                query = query.where(AuditEntry.kind == kind)
            return session.exec(query).all()

    # -- cursors (CursorStore protocol: get/set) --------------------------------------------

    def get(self, key: str) -> str | None:
        """Return the stored cursor ``key``."""
        with Session(self.engine) as session:
            row = session.get(ConnectorCursor, key)
            return row.value if row else None

    def set(self, key: str, value: str) -> None:
        """Store cursor ``key`` (one upsert: connectors save their place after every read)."""
        row = {"key": key, "value": value, "updated_at": self.clock()}
        with writing(self.engine) as conn:
            conn.execute(self._cursor_upsert, row)
