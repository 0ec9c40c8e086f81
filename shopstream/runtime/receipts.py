"""Chat messages of connectors that cannot read again, kept from arrival until committed.

YouTube and Facebook read again from a durable position (:mod:`shopstream.runtime.cursors`).
Twitch pushes each chat message once, over a socket, and has no history to read. Between
its arrival and its batch's commit a message waits at the fairness gate (up to the horizon,
2 s by default) and in the queue; a ``kill -9`` then lost it for good.

:class:`Receipts` stores each such message in ``chat_receipts`` as it is queued (one insert
per round, in a thread of its own, so the event loop never waits) and deletes it once its
batch committed or gave it up for good. At start-up what is left is queued again, before
the connectors start; the message ledger drops what had been taken after all. The window
left is the time from arrival to that insert: a round of the writer (10 ms apart at most,
plus the write). On SQLite the receipts live in a file of their own beside the database
(``<file>-receipts``), so their writes never wait for the pipeline's write lock, nor it
for them; on PostgreSQL in the ``chat_receipts`` table.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.engine import Engine

from connectors.events import ChatMessage, Role
from connectors.status import utc_now
from shop_sync.claim_sql import sqlite_time
from shopstream.runtime.supervisor import Envelope
from shopstream.storage.engine import make_engine
from shopstream.storage.models import ChatReceipt, ProcessedMessage
from shopstream.storage.unit import reading, writing

_LOGGER = logging.getLogger(__name__)

_RECEIPTS: Table = ChatReceipt.__table__  # type: ignore[attr-defined]
_MESSAGES: Table = ProcessedMessage.__table__  # type: ignore[attr-defined]
_FIELDS = tuple(f.name for f in dataclasses.fields(ChatMessage) if f.name != "raw")
_CHUNK = 500  # keys per DELETE (SQLite's bound parameters)

Key = tuple[str, str]


def encode(message: ChatMessage) -> str:
    """The message as JSON (its raw platform payload is not kept)."""
    data: dict[str, Any] = {name: getattr(message, name) for name in _FIELDS}
    data["sent_at"] = message.sent_at.isoformat()
    data["roles"] = sorted(message.roles)
    return json.dumps(data, ensure_ascii=False)


def decode(text: str) -> ChatMessage:
    """The message :func:`encode` stored."""
    data = json.loads(text)
    data["sent_at"] = datetime.fromisoformat(data["sent_at"])
    data["roles"] = frozenset(Role(r) for r in data["roles"])
    return ChatMessage(**data)


class Receipts:
    """Store the chat messages of ``connectors`` from their arrival until they are done."""

    def __init__(
        self,
        engine: Engine,
        connectors: Collection[str],
        *,
        clock: Callable[[], datetime] = utc_now,
        retry_wait: float = 0.5,
        round_every: float = 0.01,
    ) -> None:
        self._engine = engine  # the ledger's (processed_messages)
        self._store: Engine | None = None  # where receipts live (made at first use)
        self._store_lock = threading.Lock()
        self._names = frozenset(connectors)
        self._clock = clock
        self._retry_wait = retry_wait
        # at most one round per this many seconds: a burst is stored in few writes
        self._round_every = round_every
        self._new: dict[Key, tuple[str, ChatMessage, datetime]] = {}
        self._done: set[Key] = set()
        self._wake = asyncio.Event()
        self._writer: ThreadPoolExecutor | None = None
        # through the driver (executemany): a burst of a thousand costs the writer's thread
        # a few ms of the GIL, which the pipeline's worker thread shares
        mark = "%s" if engine.dialect.name == "postgresql" else "?"
        self._pg = engine.dialect.name == "postgresql"
        self._insert_sql = (
            "INSERT INTO chat_receipts (connector, platform, message_id, message, received_at)"
            f" VALUES ({mark}, {mark}, {mark}, {mark}, {mark})"
            " ON CONFLICT (platform, message_id) DO NOTHING"
        )
        self._delete_sql = (
            f"DELETE FROM chat_receipts WHERE platform = {mark} AND message_id = {mark}"
        )
        self.stored = 0  # messages written
        self.replayed = 0  # messages queued again at start-up

    def _receipts(self) -> Engine:
        with self._store_lock:
            if self._store is None:
                self._store = store_engine(self._engine)
            return self._store

    def close(self) -> None:
        """Let go of the receipts' own SQLite file (the ledger's engine is not ours)."""
        with self._store_lock:
            store, self._store = self._store, None
        if store is not None and store is not self._engine:
            store.dispose()

    def _key(self, envelope: Envelope) -> Key | None:
        event = envelope.event
        if envelope.connector not in self._names or not isinstance(event, ChatMessage):
            return None
        return (event.platform, event.message_id)

    def queued(self, envelope: Envelope) -> None:
        """A message was handed over (the pipeline's queue): store it (event loop thread)."""
        key = self._key(envelope)
        if key is None:
            return
        assert isinstance(envelope.event, ChatMessage)
        self._new[key] = (envelope.connector, envelope.event, self._clock())
        self._wake.set()

    def done(self, envelopes: Sequence[Envelope]) -> None:
        """These are committed or given up for good: their receipts go (event loop thread)."""
        for envelope in envelopes:
            key = self._key(envelope)
            if key is not None and self._new.pop(key, None) is None:  # stored, or being stored
                self._done.add(key)
        if self._done:
            self._wake.set()

    async def run(self) -> None:
        """Write what arrived and delete what is done, round after round, until cancelled."""
        loop = asyncio.get_running_loop()
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="receipts")
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                new, self._new = self._new, {}
                done, self._done = self._done, set()
                try:
                    await loop.run_in_executor(self._writer, self._write, new, done)
                    await asyncio.sleep(self._round_every)
                except Exception:  # the database is down: kept for the next round
                    _LOGGER.warning("storing %d chat receipts failed; trying again", len(new))
                    for key, item in new.items():
                        self._new.setdefault(key, item)
                    self._done |= done
                    await asyncio.sleep(self._retry_wait)
                    self._wake.set()
        finally:
            writer, self._writer = self._writer, None
            if writer is not None:
                writer.shutdown(wait=False)

    async def flush(self) -> None:
        """Write what is pending now, after what the writer is doing (the end of a show)."""
        new, self._new = self._new, {}
        done, self._done = self._done, set()
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._writer, self._write, new, done)
        except Exception:  # left for the next start, which deletes what was taken
            _LOGGER.exception("storing the last chat receipts failed")

    def _write(self, new: dict[Key, tuple[str, ChatMessage, datetime]], done: set[Key]) -> None:
        if not new and not done:
            return
        stamp: Callable[[datetime], Any] = (lambda at: at) if self._pg else sqlite_time
        rows = [
            (connector, key[0], key[1], encode(message), stamp(at))
            for key, (connector, message, at) in new.items()
        ]
        with writing(self._receipts(), immediate=True) as conn:
            if rows:
                conn.exec_driver_sql(self._insert_sql, rows)
            if done:
                conn.exec_driver_sql(self._delete_sql, list(done))
        self.stored += len(rows)

    def replay(self) -> list[Envelope]:
        """What an earlier run stored and never finished, oldest first (call at start-up,
        before the connectors start). Receipts of messages taken after all are deleted."""
        store = self._receipts()
        with reading(store) as conn:
            rows = conn.execute(
                select(
                    _RECEIPTS.c.id,
                    _RECEIPTS.c.connector,
                    _RECEIPTS.c.platform,
                    _RECEIPTS.c.message_id,
                    _RECEIPTS.c.message,
                ).order_by(_RECEIPTS.c.id)
            ).all()
        if not rows:
            return []
        taken = self._taken([(str(r.platform), str(r.message_id)) for r in rows])
        out: list[Envelope] = []
        gone: list[int] = []
        for row in rows:
            if (row.platform, row.message_id) in taken:
                gone.append(int(row.id))
                continue
            try:
                out.append(Envelope(str(row.connector), decode(str(row.message))))
            except (ValueError, TypeError, KeyError):  # written by another version
                _LOGGER.exception("chat receipt %s cannot be read; dropped", row.id)
                gone.append(int(row.id))
        with writing(store, immediate=True) as conn:
            for start in range(0, len(gone), _CHUNK):
                conn.execute(
                    delete(_RECEIPTS).where(_RECEIPTS.c.id.in_(gone[start : start + _CHUNK]))
                )
        self.replayed += len(out)
        if out:
            _LOGGER.warning(
                "%d chat messages caught in flight by the last stop: handled now", len(out)
            )
        return out

    def _taken(self, keys: list[Key]) -> set[Key]:
        """Which of ``keys`` the message ledger has taken."""
        found: set[Key] = set()
        columns = tuple_(_MESSAGES.c.platform, _MESSAGES.c.message_id)
        with reading(self._engine) as conn:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                query = select(_MESSAGES.c.platform, _MESSAGES.c.message_id).where(
                    columns.in_(chunk)
                )
                found.update((str(p), str(m)) for p, m in conn.execute(query))
        return found


def store_engine(engine: Engine) -> Engine:
    """Where receipts are written: on SQLite a file of their own beside the database, so
    storing a burst never waits for (or holds up) the pipeline's one write lock; on
    PostgreSQL (row locks) and an in-memory SQLite database, the database itself."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return engine
    path = Path(database)
    store = make_engine(f"sqlite:///{path.with_name(path.name + '-receipts')}")
    _RECEIPTS.create(store, checkfirst=True)
    return store
