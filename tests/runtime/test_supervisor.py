"""The supervisor restarts failing connectors as the error tree says and never loses an error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import TracebackType
from typing import ClassVar, Self

from connectors.backoff import Backoff
from connectors.errors import AuthError, RateLimited, StreamOffline, TransientError
from connectors.events import ChatEvent, ChatMessage, Reply, SendResult
from connectors.limits import PlatformLimits
from connectors.status import Health, Status
from shopstream.runtime.supervisor import Envelope, Supervisor

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


class ScriptedConnector:
    """A connector whose sessions follow a script: each item is an exception or messages."""

    platform: ClassVar[str] = "scripted"

    def __init__(self, name: str, script: list[BaseException | list[str]]) -> None:
        self.name = name
        self.channel = name
        self.limits = PlatformLimits(max_messages=10, window_seconds=1, max_chars=100)
        self.health = Health(name)
        self.script = list(script)
        self.opened = 0
        self.closed = 0

    async def __aenter__(self) -> Self:
        self.opened += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.closed += 1

    async def events(self) -> AsyncIterator[ChatEvent]:
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        for text in step:
            yield ChatMessage(
                platform=self.platform,
                channel=self.channel,
                message_id=f"{self.name}-{text}",
                author_id="a",
                author_name="A",
                text=text,
                sent_at=T0,
            )

    async def send(self, reply: Reply) -> SendResult:
        return SendResult(sent=True)

    async def check(self) -> str:
        return "ok"


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def _backoff() -> Backoff:
    return Backoff(base=1.0, factor=2.0, cap=5.0, jitter=0.5, rand=lambda: 1.0)


def _texts(queue: asyncio.Queue[Envelope]) -> list[str]:
    out = []
    while not queue.empty():
        event = queue.get_nowait().event
        assert isinstance(event, ChatMessage)
        out.append(event.text)
    return out


async def test_a_crashing_connector_is_restarted_and_its_error_kept() -> None:
    boom = RuntimeError("bug in connector")
    conn = ScriptedConnector("c1", [boom, ["a", "b"]])
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    sleep = RecordingSleep()
    sup = Supervisor([conn], queue, sleep=sleep, backoff=_backoff)
    await sup.run()
    assert sup.errors == [boom]
    assert conn.health.last_error == "RuntimeError: bug in connector"
    assert _texts(queue) == ["a", "b"]
    assert conn.opened == 2 and conn.closed == 2  # reopened after the crash
    assert sleep.delays == [1.0]
    assert conn.health.status is Status.STOPPED


async def test_transient_errors_back_off_exponentially_up_to_the_cap() -> None:
    drops: list[BaseException | list[str]] = [TransientError("drop") for _ in range(5)]
    conn = ScriptedConnector("c1", [*drops, ["done"]])
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    sleep = RecordingSleep()
    await Supervisor([conn], queue, sleep=sleep, backoff=_backoff).run()
    assert sleep.delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert conn.opened == 1  # transient errors re-enter events() on the open session
    assert _texts(queue) == ["done"]


async def test_backoff_resets_after_a_healthy_session() -> None:
    script: list[BaseException | list[str]] = [
        TransientError("x"),
        TransientError("x"),
        ["ok"],
    ]
    conn = ScriptedConnector("c1", script)
    # after "ok" the stream ends normally; add another failure cycle by a second connector run
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    sleep = RecordingSleep()
    sup = Supervisor([conn], queue, sleep=sleep, backoff=_backoff)
    await sup.run()
    assert sup.runs["c1"].backoff.attempts == 0  # reset by the healthy session
    assert sleep.delays == [1.0, 2.0]


async def test_rate_limited_waits_what_the_server_said() -> None:
    conn = ScriptedConnector("c1", [RateLimited("slow down", retry_after=42.0), ["m"]])
    sleep = RecordingSleep()
    await Supervisor([conn], asyncio.Queue(), sleep=sleep, backoff=_backoff).run()
    assert sleep.delays == [42.0]


async def test_auth_failure_stops_only_that_connector() -> None:
    bad = ScriptedConnector("bad", [AuthError("token revoked")])
    good = ScriptedConnector("good", [["hello"]])
    queue: asyncio.Queue[Envelope] = asyncio.Queue()
    sleep = RecordingSleep()
    await Supervisor([bad, good], queue, sleep=sleep, backoff=_backoff).run()
    assert bad.health.status is Status.INVALID_AUTH
    assert bad.health.last_error == "token revoked"
    assert good.health.status is Status.STOPPED
    assert _texts(queue) == ["hello"]
    assert sleep.delays == []


async def test_stream_offline_is_reported_while_waiting() -> None:
    seen: list[Status] = []
    conn = ScriptedConnector("c1", [StreamOffline("not live"), ["x"]])

    async def sleep(_delay: float) -> None:
        seen.append(conn.health.status)

    await Supervisor([conn], asyncio.Queue(), sleep=sleep, backoff=_backoff).run()
    assert seen == [Status.STREAM_OFFLINE]


async def test_restart_budget_is_honoured() -> None:
    conn = ScriptedConnector("c1", [RuntimeError(str(i)) for i in range(10)])
    sup = Supervisor(
        [conn], asyncio.Queue(), sleep=RecordingSleep(), backoff=_backoff, max_restarts=3
    )
    await sup.run()
    assert [str(e) for e in sup.errors] == ["0", "1", "2", "3"]
    assert conn.health.status is Status.CANNOT_CONNECT
