"""Storage on SQLite and PostgreSQL: migrations match the models; messages are taken once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from connectors.events import ChatMessage
from shopstream.storage import make_engine
from shopstream.storage.migrate import load_metadata, upgrade
from shopstream.storage.models import Claim
from shopstream.storage.records import Records

T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def _msg(message_id: str, platform: str = "twitch") -> ChatMessage:
    return ChatMessage(
        platform=platform,
        channel="c",
        message_id=message_id,
        author_id="u1",
        author_name="Ann",
        text="!buy 101 M",
        sent_at=T0,
    )


def test_migrations_create_exactly_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), load_metadata())
    assert diff == []
    assert "processed_messages" in inspect(engine).get_table_names()
    engine.dispose()


def test_a_message_is_taken_once(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    records = Records(engine, clock=lambda: T0)
    assert records.take_message(_msg("m-1")) is True
    assert records.take_message(_msg("m-1")) is False  # duplicate delivery
    assert records.take_message(_msg("m-1", platform="youtube")) is True  # other platform
    assert records.message_counts() == {"twitch": 1, "youtube": 1}
    batch = [_msg("m-2"), _msg("m-1"), _msg("m-2"), _msg("m-3", platform="facebook")]
    assert records.take_messages(batch) == {("twitch", "m-2"), ("facebook", "m-3")}
    engine.dispose()


def test_batched_bookkeeping_is_written_in_order_at_the_end(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    records = Records(engine, clock=lambda: T0)
    claim = Claim(
        claim_key="youtube:x",
        show_id="s",
        platform="youtube",
        message_id="x",
        text="sold 101",
        status="held",
        sent_at=T0,
        created_at=T0,
        updated_at=T0,
    )
    with records.batch():
        records.record_claim(claim)
        records.set_claim_status("youtube:x", "cancelled")  # same batch, after the insert
        records.audit("claim", subject="youtube:x")
        assert records.claim("youtube:x") is None  # not written yet
    done = records.claim("youtube:x")
    assert done is not None and done.status == "cancelled"
    assert [e.subject for e in records.audit_entries("claim")] == ["youtube:x"]
    engine.dispose()


def test_claims_cursors_and_audit_round_trip(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    now = [T0]
    records = Records(engine, clock=lambda: now[0])
    claim = Claim(
        claim_key="twitch:m-1",
        show_id="s",
        platform="twitch",
        message_id="m-1",
        text="!buy 101 M",
        status="held",
        sent_at=T0,
        created_at=T0,
        updated_at=T0,
    )
    records.record_claim(claim)
    records.record_claim(Claim(**{**claim.model_dump(exclude={"id"}), "status": "waitlisted"}))
    first = records.claim("twitch:m-1")
    assert first is not None and first.status == "held"  # the first claim stands
    now[0] = T0 + timedelta(minutes=3)
    records.set_claim_status("twitch:m-1", "paid", hold_id="h1")
    updated = records.claim("twitch:m-1")
    assert updated is not None and updated.status == "paid" and updated.hold_id == "h1"
    assert updated.updated_at == T0 + timedelta(minutes=3)
    assert updated.updated_at.tzinfo is not None
    assert [c.claim_key for c in records.claims(show_id="s")] == ["twitch:m-1"]

    assert records.get("youtube:page") is None
    records.set("youtube:page", "tok1")
    records.set("youtube:page", "tok2")
    assert records.get("youtube:page") == "tok2"

    records.audit("mod_denied", platform="twitch", actor="eve", subject="!close", role="viewer")
    (entry,) = records.audit_entries("mod_denied")
    assert entry.actor == "eve" and '"role": "viewer"' in entry.detail
    engine.dispose()


def test_interleaved_bookkeeping_is_gathered_without_reordering_what_depends(db_url: str) -> None:
    """A flash drop writes claim, audit and outcome rows message by message; they are
    written per statement at the end, and a status change still follows its claim."""
    engine = make_engine(db_url)
    upgrade(engine)
    records = Records(engine, clock=lambda: T0)
    ids = [f"m-{n}" for n in range(5)]
    records.take_messages([_msg(i) for i in ids])

    def claim(message_id: str, status: str) -> Claim:
        return Claim(
            claim_key=f"twitch:{message_id}",
            show_id="s",
            platform="twitch",
            message_id=message_id,
            text="!buy 101 M",
            status=status,
            sent_at=T0,
            created_at=T0,
            updated_at=T0,
        )

    with records.batch():
        for n, message_id in enumerate(ids):
            records.record_claim(claim(message_id, "held" if n < 2 else "waitlisted"))
            records.audit("claim", subject=f"twitch:{message_id}")
            records.mark_message("twitch", message_id, intent="buy", outcome=f"outcome-{n}")
            if n == 1:  # a status change mid-batch must find the claim inserted before it
                records.set_claim_status("twitch:m-1", "cancelled")
        records.record_claim(claim("m-0", "sold_out"))  # a second claim: the first stands
    statuses = {c.claim_key: c.status for c in records.claims()}
    assert statuses == {
        "twitch:m-0": "held",
        "twitch:m-1": "cancelled",
        "twitch:m-2": "waitlisted",
        "twitch:m-3": "waitlisted",
        "twitch:m-4": "waitlisted",
    }
    assert [e.subject for e in records.audit_entries("claim")] == [f"twitch:{i}" for i in ids]
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT message_id, intent, outcome FROM processed_messages ORDER BY message_id"
        ).all()
    assert [tuple(r) for r in rows] == [(i, "buy", f"outcome-{n}") for n, i in enumerate(ids)]
    engine.dispose()
