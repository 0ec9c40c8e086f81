"""The sandbox platforms in a process of their own, for benchmarks of the app alone.

In a real show the platforms are other machines: the app's process spends nothing on
serving chat. Running the emulators beside the app in one process would bill the app for
the emulators' work (they share one interpreter lock), so the flash-drop benchmark starts
them here, in a child process, and talks to them over a pipe: the child reports where each
emulator listens, waits until the connectors listen, and plays a burst of viewer lines on
a schedule, answering with each line's platform message id and the moment it was typed.

Times are ``time.perf_counter()`` readings; on Linux that is ``CLOCK_MONOTONIC``, one clock
for every process of the machine, so the parent can subtract them from its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from connectors.base import Connector
from shopstream.sandbox_platforms import SandboxPlatforms, connectors_for, sandbox_platforms
from shopstream.settings import Settings
from shopstream.storage.records import Records

_LISTEN_SECONDS = 20.0

Line = tuple[str, str, str, str, float]
"""(platform, text, author_id, author_name, seconds after the burst starts)."""

Sent = tuple[str, str, float]
"""(platform, message id, ``perf_counter()`` when the viewer typed it)."""


async def _wait_listening(platforms: SandboxPlatforms) -> None:
    emus = platforms.emulators
    if "twitch" in emus:
        await emus["twitch"].eventsub.subscribed.wait()
    if "facebook" in emus:
        await emus["facebook"].hub.wait_opened(1)
    if "youtube" in emus:
        youtube = emus["youtube"]
        while youtube.calls("list") < 1 and youtube.streams_opened < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def play_lines(platforms: SandboxPlatforms, lines: Sequence[Line]) -> list[Sent]:
    """Viewers type ``lines`` on their schedule (in this process's emulators)."""
    sent: list[Sent] = []
    start = time.perf_counter()
    for platform, text, author_id, author_name, offset in lines:
        delay = start + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        mid = platforms.say(platform, text, author_id=author_id, author_name=author_name)
        sent.append((platform, mid, time.perf_counter()))
    return sent


async def _serve(names: Sequence[str], youtube_poll_ms: int, conn: Connection) -> None:
    async with sandbox_platforms(names, youtube_poll_ms=youtube_poll_ms) as platforms:
        conn.send(("endpoints", platforms.endpoints()))
        while True:
            command, arg = await asyncio.to_thread(conn.recv)
            if command == "ready":
                async with asyncio.timeout(arg):
                    await _wait_listening(platforms)
                conn.send(("ready", None))
            elif command == "play":
                conn.send(("played", await play_lines(platforms, arg)))
            else:
                conn.send(("stopped", None))
                return


def _child(names: Sequence[str], youtube_poll_ms: int, conn: Connection) -> None:
    asyncio.run(_serve(names, youtube_poll_ms, conn))


@dataclass(slots=True)
class RemotePlatforms:
    """Emulators running in a child process, seen from the app's process."""

    endpoints: dict[str, dict[str, Any]]
    _conn: Connection

    async def _ask(self, command: str, arg: Any) -> Any:
        self._conn.send((command, arg))
        _, answer = await asyncio.to_thread(self._conn.recv)
        return answer

    def connectors(
        self, settings: Settings, records: Records, *, planned_minutes: float | None = None
    ) -> list[Connector]:
        """Production connectors pointed at the child's emulators."""
        return connectors_for(self.endpoints, settings, records, planned_minutes=planned_minutes)

    async def listening(self) -> None:
        """Return once every emulator has seen its connector subscribe or poll (20 s at most)."""
        await self._ask("ready", _LISTEN_SECONDS)

    async def play(self, lines: Sequence[Line]) -> list[Sent]:
        """Viewers type ``lines`` on schedule; return what each platform assigned."""
        answer: list[Sent] = await self._ask("play", list(lines))
        return answer


@contextlib.asynccontextmanager
async def remote_platforms(
    names: Sequence[str], *, youtube_poll_ms: int = 500
) -> AsyncIterator[RemotePlatforms]:
    """Start the emulators of ``names`` in a child process; stop it on exit."""
    ctx = multiprocessing.get_context("spawn")  # no copy of this process's loop or threads
    parent, child = ctx.Pipe()
    process = ctx.Process(
        target=_child, args=(tuple(names), youtube_poll_ms, child), name="sandbox-platforms"
    )
    process.start()
    try:
        _, endpoints = await asyncio.to_thread(parent.recv)
        remote = RemotePlatforms(endpoints, parent)
        yield remote
        await remote._ask("stop", None)
    finally:
        await asyncio.to_thread(process.join, 10)
        if process.is_alive():
            process.kill()
        parent.close()
