"""One unit of work per batch, proven with driver errors at each write point of a real database.

The production ChatHandler, Records, HoldBook, short links and the outbox's reply rows run
in the production Pipeline over real SQLite and PostgreSQL. A trigger fails the first write
to one table (or the commit itself) with a real driver error; the batch is retried. An
independent count from the database then checks that nothing of the failed try stayed:
every buy has one claim, the held ones one hold and no more stock reserved than held, every
reply one row, the moderator's ``!pause`` ran once (its outcome is "paused", not "already
paused"), and no message was counted as a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from connectors.events import ChatMessage, Reply, Role, SendResult
from connectors.limits import PlatformLimits
from sandbox.show.store import sandbox_store
from shopstream.core import Core, build_core
from shopstream.outbox.outbox import Outbox
from shopstream.outbox.store import SqlSentKeys
from shopstream.runtime.pipeline import Pipeline
from shopstream.runtime.supervisor import Envelope
from shopstream.settings import parse_settings
from tests.app.test_flash_claims import _buy, _catalog, _show
from tests.support.clock import T0
from tests.support.db_faults import db_faults

UNITS = 3
POINTS = [
    ("processed_messages", "INSERT"),  # the take
    ("hold_claim", "INSERT"),  # the claim path (its own driver statements)
    ("hold_hold", "INSERT"),
    ("claims", "INSERT"),  # bookkeeping, written at the end of the batch
    ("processed_messages", "UPDATE"),  # message outcomes
    ("audit_log", "INSERT"),  # the moderator command's audit line
    ("link_short_links", "INSERT"),  # the held buyers' checkout links
    ("outbox_sent_replies", "INSERT"),  # the replies to send
    ("commit", ""),
]


class Sink:
    def __init__(self) -> None:
        self.replies: list[Reply] = []

    async def put(self, reply: Reply) -> None:
        self.replies.append(reply)


def _batch() -> list[Envelope]:
    buys = [_buy(n, ("twitch", "youtube")[n % 2]) for n in range(6)]
    pause = ChatMessage(
        platform="twitch",
        channel="c",
        message_id="twitch-mod-1",
        author_id="mod-1",
        author_name="mod",
        text="!pause",
        sent_at=buys[-1].event.sent_at,  # type: ignore[union-attr]
        roles=frozenset({Role.MODERATOR}),
    )
    return [*buys, Envelope("twitch", pause)]


async def _run(core: Core, envelopes: list[Envelope]) -> tuple[Pipeline, Sink]:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    sink = Sink()

    async def no_pause(_: float) -> None:
        await asyncio.sleep(0)

    pipeline = Pipeline(
        queue,
        core.handler,
        {p: sink for p in ("twitch", "youtube")},
        ledger=core.records,
        fairness_window=0,
        sleep=no_pause,
        replies=SqlSentKeys(core.engine),
    )
    for envelope in envelopes:
        queue.put_nowait(envelope)  # one batch: all queued before the pipeline starts
    task = asyncio.create_task(pipeline.run())
    try:
        async with asyncio.timeout(30):
            await queue.join()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return pipeline, sink


def _facts(core: Core) -> dict[str, list[tuple[object, ...]]]:
    """What the database holds, counted without the app's code."""
    with core.engine.connect() as conn:

        def rows(sql: str) -> list[tuple[object, ...]]:
            return [tuple(r) for r in conn.execute(text(sql))]

        return {
            "messages": rows(
                "SELECT message_id, outcome FROM processed_messages ORDER BY message_id"
            ),
            "claims": rows("SELECT claim_key, kind FROM hold_claim ORDER BY claim_key"),
            "app_claims": rows("SELECT message_id, status FROM claims ORDER BY message_id"),
            "holds": rows("SELECT claim_key FROM hold_hold ORDER BY claim_key"),
            "reserved": rows("SELECT sum(reserved) FROM hold_stock"),
            "replies": rows("SELECT key, status FROM outbox_sent_replies ORDER BY key"),
            "mod": rows("SELECT kind, subject FROM audit_log WHERE kind LIKE 'mod%'"),
        }


@pytest.mark.parametrize(("table", "op"), POINTS, ids=[f"{t}-{o}".strip("-") for t, o in POINTS])
async def test_a_failed_write_leaves_nothing_and_the_retry_is_the_first_try(
    db_url: str, table: str, op: str
) -> None:
    batch = _batch()
    async with _show("faults", db_url, units=UNITS) as core:
        with db_faults(core.engine) as faults:
            name = faults.arm_commit() if table == "commit" else faults.arm(table, op=op)
            pipeline, sink = await _run(core, batch)
            fired = faults.count(name)
        facts = _facts(core)
        paused = core.control.state.paused
    assert fired >= 1  # the fault happened (PostgreSQL: its trigger ran again on the retry)
    assert pipeline.stats.storage_retries == 1
    assert pipeline.stats.duplicates == 0 and pipeline.stats.failures == 0
    _one_outcome_each(facts, batch, sink)
    assert paused


async def test_without_faults_the_same_checks_hold(db_url: str) -> None:
    batch = _batch()
    async with _show("faults", db_url, units=UNITS) as core:
        pipeline, sink = await _run(core, batch)
        facts = _facts(core)
    assert pipeline.stats.storage_retries == 0
    _one_outcome_each(facts, batch, sink)


def _one_outcome_each(
    facts: dict[str, list[tuple[object, ...]]], batch: list[Envelope], sink: Sink
) -> None:
    ids = sorted(e.event.message_id for e in batch if isinstance(e.event, ChatMessage))
    buys = [i for i in ids if "mod" not in i]
    assert [m for m, _ in facts["messages"]] == ids  # each message taken once
    assert dict(facts["messages"])["twitch-mod-1"] == "paused"  # not "already paused": once
    assert [o for _, o in facts["messages"]].count(None) == 0  # every outcome written
    assert [k for k, _ in facts["claims"]] == sorted(f"{i.split('-')[0]}:{i}" for i in buys)
    kinds = Counter(kind for _, kind in facts["claims"])
    assert kinds["held"] == UNITS and len(facts["holds"]) == UNITS  # one hold per held claim
    assert facts["reserved"] == [(UNITS,)]  # no stock reserved by a failed try
    assert [m for m, _ in facts["app_claims"]] == buys
    assert len(facts["mod"]) == 1  # the command's audit line, once
    sent = Counter(r.key for r in sink.replies)
    assert sent and all(n == 1 for n in sent.values())  # each reply routed once
    assert [k for k, _ in facts["replies"]] == sorted(sent)  # one row per reply
    assert {status for _, status in facts["replies"]} == {"queued"}


class Recorder:
    """A platform that accepts every send."""

    limits = PlatformLimits(max_messages=100, window_seconds=30.0, max_chars=500, threads=True)

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, reply: Reply) -> SendResult:
        self.sent.append(reply.key)
        return SendResult(sent=True, platform_message_id=f"p{len(self.sent)}")


async def test_a_commit_whose_answer_was_lost_still_gets_its_replies_sent_once(
    sqlite_db_url: str,
) -> None:
    async with _show("faults", sqlite_db_url, units=UNITS) as core:
        store = SqlSentKeys(core.engine)
        platforms = {p: Recorder() for p in ("twitch", "youtube")}
        outboxes = {
            p: Outbox(r, platform=p, channel="c", store=store, name=p) for p, r in platforms.items()
        }
        tasks = [asyncio.create_task(o.run()) for o in outboxes.values()]
        queue: asyncio.Queue[Envelope] = asyncio.Queue()

        async def no_pause(_: float) -> None:
            await asyncio.sleep(0)

        pipeline = Pipeline(
            queue,
            core.handler,
            outboxes,
            ledger=core.records,
            fairness_window=0,
            sleep=no_pause,
            replies=store,
        )
        batch = [_buy(n, ("twitch", "youtube")[n % 2]) for n in range(6)]
        for envelope in batch:
            queue.put_nowait(envelope)
        with db_faults(core.engine) as faults:
            faults.arm_lost_ack()
            worker = asyncio.create_task(pipeline.run())
            async with asyncio.timeout(30):
                await queue.join()
                for outbox in outboxes.values():
                    await outbox.drained()
        for task in [*tasks, worker]:
            task.cancel()
        await asyncio.gather(*tasks, worker, return_exceptions=True)
        facts = _facts(core)
    assert faults.count("lost_ack") == 1 and pipeline.stats.storage_retries == 1
    assert pipeline.stats.duplicates == len(batch)  # the retry found the try had committed
    sent = Counter(k for r in platforms.values() for k in r.sent)  # buyers coalesced: a+n
    assert sent and all(n == 1 for n in sent.values())  # every message once
    assert len(facts["replies"]) == len(batch)  # one reply row per buyer
    assert {status for _, status in facts["replies"]} == {"sent"}  # each sent, none lost
    assert {s.stats.duplicates_skipped for s in outboxes.values()} == {0}


@contextlib.asynccontextmanager
async def _throttled_show(db_url: str) -> AsyncIterator[Core]:
    """A show whose viewers may each make one claim (``claim_burst`` 1, a slow refill)."""
    settings = parse_settings(
        {
            "show": {"id": "throttle", "featured": "201"},
            "cooldowns": {"claim_burst": 1, "claim_refill_per_minute": 0.001},
        }
    )
    async with sandbox_store(settings, products=_catalog(UNITS)) as store:
        core = build_core(settings, store.access, database_url=db_url)
        core.sync()
        try:
            yield core
        finally:
            core.close()


def _throttled(core: Core) -> int:
    with core.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM audit_log WHERE kind = 'claim_throttled'")
            ).scalar_one()
        )


async def test_a_retried_batch_spends_each_buyers_claim_token_once(db_url: str) -> None:
    """The try that failed took each buyer's one token; the retry must find it again, or
    every buyer of the batch is throttled and their claim lost."""
    batch = [_buy(n, "twitch") for n in range(2)]
    async with _throttled_show(db_url) as core:
        with db_faults(core.engine) as faults:
            faults.arm("hold_hold", op="INSERT")
            pipeline, _ = await _run(core, batch)
        facts = _facts(core)
        throttled = _throttled(core)
    assert pipeline.stats.storage_retries == 1
    assert [status for _, status in facts["app_claims"]] == ["held", "held"]
    assert throttled == 0


async def test_a_retried_batch_counts_a_throttled_claim_once(db_url: str) -> None:
    first = _buy(0, "twitch")
    again = Envelope(
        "twitch",
        replace(first.event, message_id="twitch-again", sent_at=T0 + timedelta(seconds=1)),  # type: ignore[type-var]
    )
    async with _throttled_show(db_url) as core:
        await _run(core, [first])  # the viewer's one claim
        with db_faults(core.engine) as faults:
            faults.arm("audit_log", op="INSERT")
            pipeline, _ = await _run(core, [again])
        facts = _facts(core)
        throttled = _throttled(core)
    assert pipeline.stats.storage_retries == 1
    assert dict(facts["messages"]) == {"twitch-0": "held", "twitch-again": "throttled"}
    assert throttled == 1


@pytest.mark.parametrize("text", ["how much is it?", "!help"])
async def test_a_retried_batch_answers_a_question_its_failed_try_cooled_down(
    db_url: str, text: str
) -> None:
    """Cooldowns live in memory: the failed try's use is undone, so the retry answers."""
    ask = _buy(1, "twitch", text)
    async with _show("faults", db_url, units=UNITS) as core:
        with db_faults(core.engine) as faults:
            faults.arm("outbox_sent_replies", op="INSERT")
            pipeline, sink = await _run(core, [ask])
        facts = _facts(core)
    assert pipeline.stats.storage_retries == 1
    assert len(facts["replies"]) == 1 and len(sink.replies) == 1
