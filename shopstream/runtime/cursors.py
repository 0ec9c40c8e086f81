"""Read positions that never run ahead of what is durable.

A connector saves its place (YouTube's page token and the last item handed over) as soon as
it has handed events over; the pipeline commits them later, after the fairness gate and a
batch. Saved at once, a crash in between would lose the events in flight: the next run reads
on from past them. :class:`DurableCursors` holds each save back until every event the
connector had handed over before it has been committed (or given up for good) by the
pipeline; only then is it written to the real store. Reading a key gives the connector its
own latest save (an in-process restart goes on where it was; a new process starts from what
was durable, and the message ledger drops what it had already taken).

The bookkeeping runs on the event loop thread (connectors, the queue, the pipeline's
completion callback), so there is no locking; the writes themselves go to one thread of
their own, in order, so the event loop never waits for the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from shopstream.runtime.supervisor import Envelope

_LOGGER = logging.getLogger(__name__)


class CursorStore(Protocol):
    """Where read positions persist (``Records`` fits)."""

    def get(self, key: str) -> str | None:
        """The stored value of ``key``."""
        ...

    def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        ...


@dataclass(slots=True)
class _Connector:
    outstanding: dict[int, int] = field(default_factory=dict)  # id(event) -> seq
    pending: list[tuple[int, str, str]] = field(default_factory=list)  # (barrier, key, value)
    latest: dict[str, str] = field(default_factory=dict)


class DurableCursors:
    """Per-connector cursor stores whose writes wait for the pipeline's commits."""

    def __init__(self, store: CursorStore) -> None:
        self._store = store
        self._writer: ThreadPoolExecutor | None = None  # started with the first write
        self._seq = 0
        self._connectors: dict[str, _Connector] = {}

    def _of(self, connector: str) -> _Connector:
        found = self._connectors.get(connector)
        if found is None:
            found = self._connectors[connector] = _Connector()
        return found

    def store_for(self, connector: str) -> ConnectorCursors:
        """The cursor store to give the connector named ``connector``."""
        return ConnectorCursors(self, connector)

    def queued(self, envelope: Envelope) -> None:
        """An event was handed over (put on the pipeline's queue)."""
        self._seq += 1
        self._of(envelope.connector).outstanding[id(envelope.event)] = self._seq

    def done(self, envelopes: Sequence[Envelope]) -> None:
        """These events are committed (or given up for good): saves they held back may go."""
        touched: set[str] = set()
        for envelope in envelopes:
            state = self._connectors.get(envelope.connector)
            if state is not None and state.outstanding.pop(id(envelope.event), None) is not None:
                touched.add(envelope.connector)
        for name in touched:
            self._flush(self._connectors[name])

    def pending(self, connector: str) -> int:
        """Saves of ``connector`` still held back."""
        state = self._connectors.get(connector)
        return len(state.pending) if state else 0

    def get_for(self, connector: str, key: str) -> str | None:
        """``connector``'s latest save of ``key``, else the stored value."""
        state = self._connectors.get(connector)
        if state is not None and key in state.latest:
            return state.latest[key]
        return self._store.get(key)

    def set_for(self, connector: str, key: str, value: str) -> None:
        """Save for ``connector``: written once what it handed over before is committed."""
        state = self._of(connector)
        state.latest[key] = value
        state.pending.append((self._seq, key, value))
        self._flush(state)

    def _flush(self, state: _Connector) -> None:
        oldest = min(state.outstanding.values(), default=None)
        count = 0
        for barrier, _, _ in state.pending:
            if oldest is not None and oldest <= barrier:
                break  # an event handed over before this save is not committed yet
            count += 1
        if not count:
            return
        ready, state.pending = state.pending[:count], state.pending[count:]
        due = {key: value for _, key, value in ready}  # the latest of each key is enough
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (tests, tools): write here and now
            try:
                self._write(due)
            except Exception:
                self._failed(state, ready)
            return
        # off the event loop: a write may wait for the pipeline's unit (SQLite has one
        # writer), and one thread keeps the writes in order
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cursors")
        future = loop.run_in_executor(self._writer, self._write, due)
        future.add_done_callback(
            lambda done: self._failed(state, ready) if done.exception() is not None else None
        )

    def _write(self, due: dict[str, str]) -> None:
        for key, value in due.items():
            self._store.set(key, value)

    def _failed(self, state: _Connector, ready: list[tuple[int, str, str]]) -> None:
        state.pending = ready + state.pending  # the database is down: kept for the next flush
        _LOGGER.warning("saving a read position failed; kept for the next try")

    async def drained(self) -> None:
        """Wait until the saves handed to the writer are written."""
        if self._writer is not None:
            await asyncio.get_running_loop().run_in_executor(self._writer, lambda: None)

    def close(self) -> None:
        """Write what was handed to the writer, and stop its thread (a later write starts
        another)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)


class ConnectorCursors:
    """One connector's view of :class:`DurableCursors` (a ``CursorStore``)."""

    def __init__(self, owner: DurableCursors, connector: str) -> None:
        self._owner = owner
        self._connector = connector

    def get(self, key: str) -> str | None:
        """The connector's own latest save of ``key``, else the stored one."""
        return self._owner.get_for(self._connector, key)

    def set(self, key: str, value: str) -> None:
        """Save ``value``: written once the events handed over before it are committed."""
        self._owner.set_for(self._connector, key, value)


class Handover(Protocol):
    """Told of each event handed over to the pipeline (``Receipts`` fits)."""

    def queued(self, envelope: Envelope) -> None:
        """``envelope`` was put on the pipeline's queue."""
        ...


class TrackedQueue(asyncio.Queue[Envelope]):
    """The pipeline's queue, telling :class:`DurableCursors` (and ``also``) of each event
    handed over."""

    def __init__(self, cursors: DurableCursors, also: Handover | None = None) -> None:
        super().__init__()
        self._cursors = cursors
        self._also = also

    def put_nowait(self, item: Envelope) -> None:
        """Queue ``item`` (``put`` comes here too)."""
        self._cursors.queued(item)
        if self._also is not None:
            self._also.queued(item)
        super().put_nowait(item)


__all__ = ["ConnectorCursors", "CursorStore", "DurableCursors", "TrackedQueue"]
