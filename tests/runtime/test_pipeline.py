"""The pipeline: each message once, fair order across platforms; a failing handler stops nothing."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from connectors.events import ChatMessage, Reply
from shopstream.runtime.pipeline import Pipeline
from shopstream.runtime.supervisor import Envelope

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


def _msg(platform: str, mid: str, text: str, seconds: float) -> ChatMessage:
    return ChatMessage(
        platform=platform,
        channel="c",
        message_id=mid,
        author_id=f"{platform}-{mid}",
        author_name="V",
        text=text,
        sent_at=T0 + timedelta(seconds=seconds),
    )


class EchoHandler:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def handle_many(self, envelopes: Sequence[Envelope]) -> list[Sequence[Reply] | Exception]:
        out: list[Sequence[Reply] | Exception] = []
        for envelope in envelopes:
            event = envelope.event
            assert isinstance(event, ChatMessage)
            if event.text == "explode":
                out.append(ValueError("malformed"))
                continue
            self.seen.append(event.message_id)
            reply = Reply(
                platform=event.platform, channel="c", text=event.text, key=event.message_id
            )
            out.append([reply])
        return out


class Sink:
    def __init__(self) -> None:
        self.replies: list[Reply] = []

    async def put(self, reply: Reply) -> None:
        self.replies.append(reply)


class SetLedger:
    """Takes each (platform, message_id) once, in memory; counts batches. Its unit of work
    is all or nothing, like the database's: a failed unit takes nothing."""

    def __init__(self) -> None:
        self.taken: set[tuple[str, str]] = set()
        self.batches = 0

    @contextlib.contextmanager
    def unit(self) -> Iterator[None]:
        before = set(self.taken)
        try:
            yield
        except BaseException:
            self.taken = before
            raise

    def take_messages(self, msgs: Sequence[ChatMessage]) -> set[tuple[str, str]]:
        new = {(m.platform, m.message_id) for m in msgs} - self.taken
        self.taken |= new
        return new

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        self.batches += 1
        yield


async def _run_until_drained(pipeline: Pipeline, queue: asyncio.Queue[Envelope]) -> None:
    task = asyncio.create_task(pipeline.run())
    await queue.join()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_orders_a_batch_by_platform_timestamp_and_dedupes() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    # arrival order differs from the platforms' timestamps
    for conn, msg in [
        ("yt", _msg("youtube", "y1", "buy", 0.30)),
        ("tw", _msg("twitch", "t1", "buy", 0.10)),
        ("fb", _msg("facebook", "f1", "buy", 0.20)),
        ("tw", _msg("twitch", "t1", "buy", 0.10)),  # duplicate delivery
    ]:
        queue.put_nowait(Envelope(conn, msg))
    handler = EchoHandler()
    sinks = {"yt": Sink(), "tw": Sink(), "fb": Sink()}

    async def no_wait(_: float) -> None:
        return None

    pipeline = Pipeline(queue, handler, sinks, ledger=SetLedger(), sleep=no_wait)
    await _run_until_drained(pipeline, queue)
    assert handler.seen == ["t1", "f1", "y1"]
    assert pipeline.stats.duplicates == 1
    assert [r.key for r in sinks["tw"].replies] == ["t1"]
    assert [r.text for r in sinks["yt"].replies] == ["buy"]


async def test_the_reordering_window_runs_from_arrival_so_a_backlog_is_not_delayed() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    arrived = time.perf_counter()
    # waited in the queue for a second already (a backlog behind a big batch)
    queue.put_nowait(Envelope("tw", _msg("twitch", "1", "buy", 0), received=arrived - 1.0))
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    pipeline = Pipeline(queue, EchoHandler(), {"tw": Sink()}, ledger=SetLedger(), sleep=record)
    await _run_until_drained(pipeline, queue)
    assert waits == []  # its window ended long ago
    queue.put_nowait(Envelope("tw", _msg("twitch", "2", "buy", 1)))  # just arrived
    await _run_until_drained(pipeline, queue)
    assert len(waits) == 1 and 0 < waits[0] <= 0.02  # what is left of the 20 ms window


async def test_a_failing_message_is_logged_and_the_show_goes_on() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    queue.put_nowait(Envelope("tw", _msg("twitch", "1", "explode", 0)))
    queue.put_nowait(Envelope("tw", _msg("twitch", "2", "fine", 1)))
    handler = EchoHandler()
    sink = Sink()
    pipeline = Pipeline(queue, handler, {"tw": sink}, ledger=SetLedger(), fairness_window=0)
    await _run_until_drained(pipeline, queue)
    assert pipeline.stats.failures == 1
    assert [r.key for r in sink.replies] == ["2"]


class FailingLedger(SetLedger):
    """A database that fails some writes: the take or the bookkeeping at the end of a batch
    (either way the unit rolls back: nothing of the try is kept)."""

    def __init__(self, fail_takes: int = 0, fail_flushes: int = 0) -> None:
        super().__init__()
        self.fail_takes, self.fail_flushes = fail_takes, fail_flushes

    def take_messages(self, msgs: Sequence[ChatMessage]) -> set[tuple[str, str]]:
        if self.fail_takes:
            self.fail_takes -= 1
            raise ConnectionError("server closed the connection unexpectedly")
        return super().take_messages(msgs)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        with super().batch():
            yield
        if self.fail_flushes:
            self.fail_flushes -= 1
            raise ConnectionError("server closed the connection unexpectedly")


@pytest.mark.parametrize(
    ("fail_takes", "fail_flushes", "handled"),
    [
        (2, 0, ["t1", "t2"]),  # nothing taken: handled once the database is back
        (0, 1, ["t1", "t2", "t1", "t2"]),  # the take went with the unit: handled again
        (1, 2, ["t1", "t2", "t1", "t2", "t1", "t2"]),
    ],
)
async def test_a_failing_database_pauses_the_batch_and_loses_nothing(
    fail_takes: int, fail_flushes: int, handled: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    for mid, at in (("t1", 0.1), ("t2", 0.2), ("t1", 0.1)):  # and a duplicate delivery
        queue.put_nowait(Envelope("tw", _msg("twitch", mid, "sold 201", at)))
    handler, sink = EchoHandler(), Sink()
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    ledger = FailingLedger(fail_takes, fail_flushes)
    pipeline = Pipeline(
        queue, handler, {"tw": sink}, ledger=ledger, sleep=record, fairness_window=0
    )
    await _run_until_drained(pipeline, queue)
    failures = fail_takes + fail_flushes
    assert handler.seen == handled
    assert [r.key for r in sink.replies] == ["t1", "t2"]  # answered once, after the last try
    assert pipeline.stats.storage_retries == failures
    assert pipeline.stats.duplicates == 1  # the copy, counted by the try that committed
    assert waits == [0.5, 1.0, 2.0][:failures]  # a growing pause
    assert "storing a batch of 3 events failed" in caplog.text


class PoisonLedger(SetLedger):
    """A database that refuses, every time, the batch that holds one particular message."""

    def __init__(self, poison: str) -> None:
        super().__init__()
        self.poison = poison
        self.batch_ids: list[str] = []

    def take_messages(self, msgs: Sequence[ChatMessage]) -> set[tuple[str, str]]:
        self.batch_ids = [m.message_id for m in msgs]
        return super().take_messages(msgs)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        with super().batch():
            yield
        if self.poison in self.batch_ids:
            raise ValueError("a value the database refuses")


async def test_a_failure_that_would_repeat_costs_only_its_own_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    for mid, at in (("t1", 0.1), ("bad", 0.2), ("t2", 0.3)):
        queue.put_nowait(Envelope("tw", _msg("twitch", mid, "sold 201", at)))
    handler, sink = EchoHandler(), Sink()
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    pipeline = Pipeline(
        queue, handler, {"tw": sink}, ledger=PoisonLedger("bad"), sleep=record, fairness_window=0
    )
    await _run_until_drained(pipeline, queue)
    assert [r.key for r in sink.replies] == ["t1", "t2"]  # the others are answered
    assert pipeline.stats.failures == 1 and pipeline.stats.storage_retries == 0
    assert waits == []  # no pause: waiting would not help
    assert "one by one now" in caplog.text and "failed for good" in caplog.text
