"""Read positions never run ahead of what the pipeline committed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from connectors.events import ChatMessage
from shopstream.runtime.cursors import DurableCursors, TrackedQueue
from shopstream.runtime.supervisor import Envelope
from shopstream.storage import make_engine
from shopstream.storage.migrate import upgrade
from shopstream.storage.records import Records

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


def _env(connector: str, n: int) -> Envelope:
    msg = ChatMessage(
        platform="youtube",
        channel="c",
        message_id=f"m{n}",
        author_id="a",
        author_name="A",
        text="sold 201",
        sent_at=T0,
    )
    return Envelope(connector, msg)


def _records(db_url: str) -> tuple[Engine, Records]:
    engine = make_engine(db_url)
    upgrade(engine)
    return engine, Records(engine)


def test_a_save_waits_for_the_events_handed_over_before_it(sqlite_db_url: str) -> None:
    engine, records = _records(sqlite_db_url)
    cursors = DurableCursors(records)
    queue = TrackedQueue(cursors)
    yt = cursors.store_for("yt")
    first, second = _env("yt", 1), _env("yt", 2)
    queue.put_nowait(first)
    queue.put_nowait(second)
    yt.set("page", "token-after-2")  # YouTube saves once the page is handed over
    assert records.get("page") is None  # neither event is committed: nothing durable yet
    assert yt.get("page") == "token-after-2"  # the connector still sees its own place
    cursors.done([second])  # the gate let the later one through first
    assert records.get("page") is None
    cursors.done([first])
    assert records.get("page") == "token-after-2"
    assert cursors.pending("yt") == 0
    engine.dispose()


def test_a_later_event_does_not_hold_back_an_earlier_save(sqlite_db_url: str) -> None:
    engine, records = _records(sqlite_db_url)
    cursors = DurableCursors(records)
    queue = TrackedQueue(cursors)
    yt, fb = cursors.store_for("yt"), cursors.store_for("fb")
    one = _env("yt", 1)
    queue.put_nowait(one)
    yt.set("page", "p1")
    later = _env("yt", 2)
    queue.put_nowait(later)
    queue.put_nowait(_env("fb", 3))  # another connector's events are not its concern
    fb.set("fb-pos", "f1")
    assert records.get("fb-pos") is None
    cursors.done([one])
    assert records.get("page") == "p1"  # covers only event 1: it may go
    yt.set("page", "p2")
    assert records.get("page") == "p1"
    cursors.done([later])
    assert records.get("page") == "p2"
    engine.dispose()


class _DownOnce:
    def __init__(self, inner: Records) -> None:
        self.inner, self.down = inner, True

    def get(self, key: str) -> str | None:
        return self.inner.get(key)

    def set(self, key: str, value: str) -> None:
        if self.down:
            self.down = False
            raise ConnectionError("server closed the connection unexpectedly")
        self.inner.set(key, value)


def test_a_save_the_database_failed_is_written_with_the_next_one(sqlite_db_url: str) -> None:
    engine, records = _records(sqlite_db_url)
    cursors = DurableCursors(_DownOnce(records))
    yt = cursors.store_for("yt")
    yt.set("page", "p1")  # nothing outstanding: written at once, but the database is down
    assert records.get("page") is None and cursors.pending("yt") == 1
    yt.set("quota", "q")
    assert records.get("page") == "p1" and records.get("quota") == "q"
    engine.dispose()
