"""The pipeline with the fairness gate: held until the other platforms caught up, or the horizon."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from connectors.status import Status
from shopstream.runtime.pipeline import Pipeline
from shopstream.runtime.supervisor import Envelope
from tests.runtime.test_pipeline import T0, EchoHandler, SetLedger, Sink, _msg

TIMEOUT = 5.0


class Stage:
    """A fake monotonic clock, the watermarks, and a script run at each of the pipeline's sleeps."""

    def __init__(self, queue: asyncio.Queue[Envelope]) -> None:
        self.queue = queue
        self.now = 0.0
        self.marks: dict[str, tuple[Status, datetime | None]] = {}
        self.sleeps: list[float] = []
        self.script: dict[int, Callable[[], None]] = {}

    def clock(self) -> float:
        return self.now

    def watermarks(self) -> dict[str, tuple[Status, datetime | None]]:
        return self.marks

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        step = self.script.pop(len(self.sleeps), None)
        if step is not None:
            step()
        await asyncio.sleep(0)

    def pipeline(self, handler: EchoHandler, horizon: float = 2.0) -> Pipeline:
        sinks = {"yt": Sink(), "tw": Sink(), "fb": Sink()}
        return Pipeline(
            self.queue,
            handler,
            sinks,
            ledger=SetLedger(),
            fairness_horizon=horizon,
            watermarks=self.watermarks,
            clock=self.clock,
            sleep=self.sleep,
            recheck=0.005,
        )


def mark(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def run_until_drained(pipeline: Pipeline, queue: asyncio.Queue[Envelope]) -> None:
    task = asyncio.create_task(pipeline.run())
    try:
        async with asyncio.timeout(TIMEOUT):
            await queue.join()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_later_twitch_claim_waits_for_an_earlier_youtube_one() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    stage = Stage(queue)
    stage.marks = {"yt": (Status.OK, mark(4.0)), "tw": (Status.OK, mark(9.0))}
    queue.put_nowait(Envelope("tw", _msg("twitch", "t5", "buy", 5.0)))

    def youtube_polls() -> None:  # the poll brings an earlier message and moves the watermark
        queue.put_nowait(Envelope("yt", _msg("youtube", "y4", "buy", 4.5)))
        stage.marks["yt"] = (Status.OK, mark(6.0))

    stage.script[10] = youtube_polls
    handler = EchoHandler()
    pipeline = stage.pipeline(handler)
    await run_until_drained(pipeline, queue)
    assert handler.seen == ["y4", "t5"]
    assert pipeline.stats.gate_expired == 0
    assert pipeline.stats.batches == 1
    waits = pipeline.stats.gate_wait_seconds
    assert len(waits) == 2 and abs(waits[0] - 0.0) < 1e-9 and abs(waits[1] - 0.05) < 1e-9
    assert pipeline.stats.gate_held == 1 and abs(pipeline.stats.gate_wait_max - 0.05) < 1e-9
    assert stage.sleeps == [0.005] * 10


async def test_the_horizon_releases_when_a_platform_stalls() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    stage = Stage(queue)
    stage.marks = {"yt": (Status.OK, mark(0.0))}  # youtube "ok" but stuck
    queue.put_nowait(Envelope("tw", _msg("twitch", "t5", "buy", 5.0)))
    handler = EchoHandler()
    pipeline = stage.pipeline(handler, horizon=0.5)
    await run_until_drained(pipeline, queue)
    assert handler.seen == ["t5"]
    assert pipeline.stats.gate_expired == 1
    (wait,) = pipeline.stats.gate_wait_seconds
    assert 0.5 <= wait < 0.5 + 0.006
    assert stage.now == wait


async def test_a_connector_going_down_stops_holding_back() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    stage = Stage(queue)
    stage.marks = {"yt": (Status.OK, mark(0.0))}
    queue.put_nowait(Envelope("tw", _msg("twitch", "t5", "buy", 5.0)))
    stage.script[3] = lambda: stage.marks.update(yt=(Status.RECONNECTING, mark(0.0)))
    handler = EchoHandler()
    pipeline = stage.pipeline(handler)
    await run_until_drained(pipeline, queue)
    assert handler.seen == ["t5"]
    assert pipeline.stats.gate_expired == 0
    assert len(stage.sleeps) == 3


async def test_nothing_to_wait_for_goes_straight_through_and_dedupes() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    stage = Stage(queue)
    for conn, msg in [
        ("yt", _msg("youtube", "y1", "buy", 0.30)),
        ("tw", _msg("twitch", "t1", "buy", 0.10)),
        ("tw", _msg("twitch", "t1", "buy", 0.10)),  # duplicate delivery
    ]:
        queue.put_nowait(Envelope(conn, msg))
    handler = EchoHandler()
    pipeline = stage.pipeline(handler)
    await run_until_drained(pipeline, queue)
    assert handler.seen == ["t1", "y1"]
    assert pipeline.stats.duplicates == 1
    assert stage.sleeps == []
    assert list(pipeline.stats.gate_wait_seconds) == [0.0, 0.0, 0.0]


async def test_horizon_zero_has_no_gate() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    stage = Stage(queue)
    pipeline = stage.pipeline(EchoHandler(), horizon=0.0)
    assert pipeline.gate is None


async def test_released_envelopes_carry_when_the_gate_let_them_through() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    stage = Stage(queue)
    stage.marks = {"yt": (Status.OK, mark(0.0))}  # holds the twitch message back
    queue.put_nowait(Envelope("tw", _msg("twitch", "t5", "buy", 5.0)))
    stage.script[4] = lambda: stage.marks.update(yt=(Status.OK, mark(6.0)))
    seen: list[Envelope] = []
    pipeline = stage.pipeline(EchoHandler())
    pipeline._on_event = lambda envelope, replies: seen.append(envelope)
    await run_until_drained(pipeline, queue)
    (envelope,) = seen
    assert envelope.released is not None and envelope.released >= envelope.received
    ungated: list[Envelope] = []
    queue.put_nowait(Envelope("tw", _msg("twitch", "t6", "buy", 7.0)))
    plain = stage.pipeline(EchoHandler(), horizon=0.0)
    plain._on_event = lambda envelope, replies: ungated.append(envelope)
    await run_until_drained(plain, queue)
    assert [e.released for e in ungated] == [None]


async def test_a_question_is_answered_while_an_earlier_claim_waits() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    stage = Stage(queue)
    stage.marks = {"yt": (Status.OK, mark(0.0))}  # youtube behind: twitch claims wait
    queue.put_nowait(Envelope("tw", _msg("twitch", "t5", "buy", 5.0)))
    queue.put_nowait(Envelope("tw", _msg("twitch", "t6", "how much?", 6.0)))
    stage.script[3] = lambda: stage.marks.update(yt=(Status.OK, mark(9.0)))
    handler = EchoHandler()
    pipeline = stage.pipeline(handler)
    pipeline._needs_order = lambda envelope: getattr(envelope.event, "text", "") != "how much?"
    await run_until_drained(pipeline, queue)
    assert handler.seen == ["t6", "t5"]  # the question did not wait for youtube
    assert len(pipeline.stats.gate_wait_seconds) == 1  # only the claim was held
    broken = stage.pipeline(EchoHandler())
    broken._needs_order = lambda envelope: 1 / 0 > 0  # a classifier bug keeps the order
    assert broken._ordered(Envelope("tw", _msg("twitch", "t7", "buy", 7.0))) is True
