"""The pipeline with the fairness gate: held until the other platforms caught up, or the horizon."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from connectors.status import Status
from shopstream.runtime.pipeline import Pipeline
from shopstream.runtime.supervisor import Envelope
from tests.runtime.test_pipeline import T0, EchoHandler, SetLedger, Sink, _msg

TIMEOUT = 5.0


class Stage:
    """A fake monotonic clock, the watermarks, and steps that happen at given (fake) times.

    The pipeline's injected ``sleep`` moves the clock; whatever is due by then happens (a poll
    brings a message, a watermark moves, a connector drops), however the pipeline slices its
    waiting.
    """

    def __init__(self, queue: asyncio.Queue[Envelope]) -> None:
        self.queue = queue
        self.now = 0.0
        self.marks: dict[str, tuple[Status, datetime | None]] = {}
        self.sleeps: list[float] = []
        self._steps: list[tuple[float, Callable[[], None]]] = []

    def clock(self) -> float:
        return self.now

    def watermarks(self) -> dict[str, tuple[Status, datetime | None]]:
        return self.marks

    def at(self, seconds: float, step: Callable[[], None]) -> None:
        """Run ``step`` once the clock reaches ``seconds``."""
        self._steps.append((seconds, step))
        self._steps.sort(key=lambda s: s[0])

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        while self._steps and self._steps[0][0] <= self.now + 1e-9:
            _, step = self._steps.pop(0)
            step()
        await asyncio.sleep(0)

    def pipeline(self, handler: EchoHandler, horizon: float = 2.0, **kw: Any) -> Pipeline:
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
            **kw,
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

    stage.at(0.05, youtube_polls)
    handler = EchoHandler()
    pipeline = stage.pipeline(handler)
    await run_until_drained(pipeline, queue)
    assert handler.seen == ["y4", "t5"]
    assert pipeline.stats.gate_expired == 0
    assert pipeline.stats.batches == 1
    waits = pipeline.stats.gate_wait_seconds
    assert len(waits) == 2 and abs(waits[0] - 0.0) < 1e-9 and abs(waits[1] - 0.05) < 1e-9
    assert pipeline.stats.gate_held == 1 and abs(pipeline.stats.gate_wait_max - 0.05) < 1e-9
    assert stage.now == pytest.approx(0.05)  # released as soon as the poll moved the mark


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
    stage.at(0.015, lambda: stage.marks.update(yt=(Status.RECONNECTING, mark(0.0))))
    handler = EchoHandler()
    pipeline = stage.pipeline(handler)
    await run_until_drained(pipeline, queue)
    assert handler.seen == ["t5"]
    assert pipeline.stats.gate_expired == 0
    # held only until youtube went down, far short of the 2 s horizon
    assert list(pipeline.stats.gate_wait_seconds) == [pytest.approx(0.015)]
    assert stage.now == pytest.approx(0.015)


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
    assert stage.sleeps == [] and stage.now == 0.0  # nothing waited
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
    stage.at(0.02, lambda: stage.marks.update(yt=(Status.OK, mark(6.0))))
    seen: list[Envelope] = []
    pipeline = stage.pipeline(
        EchoHandler(), on_event=lambda envelope, replies: seen.append(envelope)
    )
    await run_until_drained(pipeline, queue)
    (envelope,) = seen
    assert envelope.released is not None and envelope.released >= envelope.received
    ungated: list[Envelope] = []
    queue.put_nowait(Envelope("tw", _msg("twitch", "t6", "buy", 7.0)))
    plain = stage.pipeline(
        EchoHandler(), horizon=0.0, on_event=lambda envelope, replies: ungated.append(envelope)
    )
    await run_until_drained(plain, queue)
    assert [e.released for e in ungated] == [None]


def _is_claim(envelope: Envelope) -> bool:
    return getattr(envelope.event, "text", "") != "how much?"


async def test_a_question_is_answered_while_an_earlier_claim_waits() -> None:
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    stage = Stage(queue)
    stage.marks = {"yt": (Status.OK, mark(0.0))}  # youtube behind: twitch claims wait
    queue.put_nowait(Envelope("tw", _msg("twitch", "t5", "buy", 5.0)))
    queue.put_nowait(Envelope("tw", _msg("twitch", "t6", "how much?", 6.0)))
    stage.at(0.015, lambda: stage.marks.update(yt=(Status.OK, mark(9.0))))
    handler = EchoHandler()
    pipeline = stage.pipeline(handler, needs_order=_is_claim)
    await run_until_drained(pipeline, queue)
    assert handler.seen == ["t6", "t5"]  # the question did not wait for youtube
    assert len(pipeline.stats.gate_wait_seconds) == 1  # only the claim was held


async def test_a_classifier_bug_keeps_the_order() -> None:
    def broken(envelope: Envelope) -> bool:
        raise ZeroDivisionError("a classifier bug")

    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    stage = Stage(queue)
    stage.marks = {"yt": (Status.OK, mark(0.0))}
    queue.put_nowait(Envelope("tw", _msg("twitch", "t5", "buy", 5.0)))
    queue.put_nowait(Envelope("tw", _msg("twitch", "t6", "how much?", 6.0)))
    stage.at(0.015, lambda: stage.marks.update(yt=(Status.OK, mark(9.0))))
    handler = EchoHandler()
    pipeline = stage.pipeline(handler, needs_order=broken)
    await run_until_drained(pipeline, queue)
    assert handler.seen == ["t5", "t6"]  # in doubt, both waited for youtube, in order
    assert len(pipeline.stats.gate_wait_seconds) == 2
    assert list(pipeline.stats.gate_wait_seconds) == [pytest.approx(0.015)] * 2
