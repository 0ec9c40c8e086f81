"""Bookkeeping rows written in bulk (SQLite's DB-API, PostgreSQL arrays) read back as
SQLAlchemy would have written them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.base import Executable

from connectors.events import ChatMessage
from shopstream.storage import make_engine
from shopstream.storage.migrate import upgrade
from shopstream.storage.records import Records
from shopstream.storage.sqlite_rows import SqliteRows

T0 = datetime(2026, 11, 24, 9, 30, 0, 0, tzinfo=UTC)  # zero microseconds: the format keeps them


def _msg(n: int, sent_at: datetime = T0) -> ChatMessage:
    return ChatMessage(
        platform="youtube",
        channel="c",
        message_id=f"m-{n}",
        author_id=f"u{n}",
        author_name="Ann",
        text="sold 201",
        sent_at=sent_at,
    )


_META = MetaData()
_PAIRS = Table("pairs", _META, Column("a", Integer, primary_key=True), Column("b", String))
_SINGLES = Table("singles", _META, Column("a", Integer, primary_key=True))


@pytest.mark.parametrize(
    ("table", "statement", "rows", "returned"),
    [
        (  # a conflict clause and RETURNING after the values group: only new rows come back
            _PAIRS,
            sqlite_insert(_PAIRS).on_conflict_do_nothing().returning(_PAIRS.c.a),
            [{"a": 1, "b": "again"}, {"a": 2, "b": "y"}, {"a": 3, "b": "z"}],
            [(2,), (3,)],
        ),
        (  # nothing after the values group
            _PAIRS,
            insert(_PAIRS),
            [{"a": 2, "b": "y"}, {"a": 3, "b": "z"}],
            [],
        ),
        (  # one column per row
            _SINGLES,
            sqlite_insert(_SINGLES).on_conflict_do_nothing().returning(_SINGLES.c.a),
            [{"a": 1}, {"a": 2}],
            [(2,)],
        ),
    ],
)
def test_insert_returning_writes_every_row_and_returns_what_the_statement_returns(
    table: Table, statement: Executable, rows: list[dict[str, Any]], returned: list[Any]
) -> None:
    engine = create_engine("sqlite://")
    _META.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"a": 1, "b": "x"} if table is _PAIRS else {"a": 1}])
        got = SqliteRows(engine.dialect).insert_returning(conn, statement, rows)
        stored = conn.execute(select(table.c.a).order_by(table.c.a)).scalars().all()
    engine.dispose()
    assert sorted(got) == returned
    assert stored == sorted({1} | {r["a"] for r in rows})


def test_insert_returning_splits_rows_over_statements_within_sqlites_parameter_limit() -> None:
    engine = create_engine("sqlite://")
    _META.create_all(engine)
    statement = sqlite_insert(_PAIRS).on_conflict_do_nothing().returning(_PAIRS.c.a)
    rows = [{"a": n, "b": "v"} for n in range(40_000)]  # 80,000 parameters: over 32,766
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)  # SQLite's default build
        conn.execute(insert(_PAIRS), [{"a": n, "b": "old"} for n in range(0, 40_000, 3)])
        got = SqliteRows(engine.dialect).insert_returning(conn, statement, rows)
        count = conn.execute(select(func.count()).select_from(_PAIRS)).scalar_one()
    engine.dispose()
    assert sorted(a for (a,) in got) == [n for n in range(40_000) if n % 3]
    assert count == 40_000


def test_a_take_larger_than_one_statement_returns_only_the_new_rows(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    records = Records(engine, clock=lambda: T0)
    assert records.take_messages([_msg(n) for n in range(0, 4000, 2)]) == {
        ("youtube", f"m-{n}") for n in range(0, 4000, 2)
    }
    # 8,000 rows of 9 columns: three statements on SQLite; half of them were taken before
    taken = records.take_messages([_msg(n) for n in range(8000)])
    assert taken == {("youtube", f"m-{n}") for n in range(8000) if n % 2 or n >= 4000}
    assert records.message_counts() == {"youtube": 8000}
    engine.dispose()


def test_sqlite_times_read_back_equal_and_aware_whatever_their_zone(sqlite_db_url: str) -> None:
    engine = make_engine(sqlite_db_url)
    upgrade(engine)
    records = Records(engine, clock=lambda: T0)
    plus_two = timezone(timedelta(hours=2))
    with records.batch():
        records.audit("claim", subject="a")
    records.take_messages([_msg(1, sent_at=T0.astimezone(plus_two))])
    (entry,) = records.audit_entries("claim")
    assert entry.at == T0 and entry.at.tzinfo is not None
    with engine.connect() as conn:
        (stored,) = conn.exec_driver_sql("SELECT sent_at FROM processed_messages").one()
    assert stored == "2026-11-24 09:30:00.000000"  # SQLAlchemy's own SQLite format, in UTC
    engine.dispose()


def test_a_naive_time_is_refused_and_nothing_is_written(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    records = Records(engine, clock=lambda: datetime(2026, 11, 24, 9, 30))  # naive: a bug
    with pytest.raises(ValueError, match="naive"), records.batch():
        records.audit("claim", subject="a")
        records.audit("claim", subject="b")  # two rows: the bulk path
    assert records.audit_entries() == []
    engine.dispose()


def test_bulk_audit_lines_keep_the_order_they_were_written_in(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    records = Records(engine, clock=lambda: T0)
    subjects = [f"s{n:03d}" for n in range(300)][::-1]
    with records.batch():
        for subject in subjects:
            records.audit("claim", subject=subject, n=subject)
    entries = records.audit_entries("claim")
    assert [e.subject for e in entries] == subjects  # ids in the order written
    assert all(e.at == T0 and e.detail == f'{{"n": "{e.subject}"}}' for e in entries)
    engine.dispose()


def test_chat_text_with_nul_is_stored_on_both_databases(db_url: str) -> None:
    """PostgreSQL text cannot hold NUL: one such message must not fail its batch."""
    engine = make_engine(db_url)
    upgrade(engine)
    records = Records(engine, clock=lambda: T0)
    batch = [
        ChatMessage(
            platform="youtube",
            channel="c",
            message_id=f"m-{n}",
            author_id="u\x00",
            author_name="A\x00nn",
            text="sold\x00 201",
            sent_at=T0,
        )
        for n in range(3)
    ]
    assert len(records.take_messages(batch)) == 3
    with records.batch():
        for n in range(3):
            records.mark_message("youtube", f"m-{n}", intent="claim", outcome="held")
    assert records.message_counts() == {"youtube": 3}
    engine.dispose()
