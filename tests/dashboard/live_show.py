"""A sandbox show with its dashboard up, for the HTTP and browser tests: the store emulator,
the Twitch emulator (fastest to deliver: EventSub push) and the real connector and runner."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.show.demo import run_sandbox_show, sandbox_settings
from sandbox.show.platforms import SandboxPlatforms, sandbox_platforms
from sandbox.show.store import SandboxStore
from shopstream.core import Core
from shopstream.runtime.show import ShowRunner
from shopstream.settings import parse_settings

HOST_TOKEN = "host-secret-for-tests"
OVERLAY_TOKEN = "overlay-token-for-tests"
LINEUP = """
lineup = [
  {code = "101", handle = "classic-tee"},
  {code = "201", handle = "glow-serum"},
  {code = "301", handle = "canvas-tote"},
]
"""


@dataclass(slots=True)
class LiveShow:
    """A running show: its runner, the emulated platforms, the web app's base URL."""

    runner: ShowRunner
    platforms: SandboxPlatforms
    base_url: str

    @property
    def core(self) -> Core:
        return self.runner.core

    def viewer_says(self, text: str, *, name: str = "Ada Lovelace", uid: str = "4242") -> str:
        return self.platforms.say("twitch", text, author_id=uid, author_name=name)

    def bot_said(self) -> list[str]:
        """What the bot posted in the Twitch chat so far."""
        return [s.text for s in self.platforms.emulators["twitch"].bot_sends if s.sent]

    async def until(self, check: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait (polling the show's own state, not a sleep for time) until ``check()``."""
        async with asyncio.timeout(within):
            while not (value := check()):  # noqa: ASYNC110 - the emulator's state is the sync point
                await asyncio.sleep(0.02)
            return value


@contextlib.asynccontextmanager
async def live_show(tmp_path: Path, database_url: str) -> AsyncIterator[LiveShow]:
    """Run a one-platform sandbox show for as long as the block runs (the dashboard's
    secrets: set ``SHOPSTREAM_DASHBOARD_TOKEN``/``SHOPSTREAM_OVERLAY_TOKEN`` first, see
    the ``show`` fixture)."""
    settings = sandbox_settings(parse_settings({"app": {"data_dir": str(tmp_path)}}))
    ros = tmp_path / "show.toml"
    ros.write_text(LINEUP, encoding="utf-8")
    started: asyncio.Future[LiveShow] = asyncio.get_running_loop().create_future()
    done = asyncio.Event()
    async with sandbox_platforms(("twitch",)) as running:

        async def connectors_for(store: SandboxStore, core: Core) -> list[Any]:
            return running.connectors(settings, core.records)

        async def play(store: SandboxStore, runner: ShowRunner) -> None:
            async with asyncio.timeout(20):
                await running.emulators["twitch"].eventsub.subscribed.wait()
            assert runner.result.web_url  # the web app starts before the connectors
            started.set_result(LiveShow(runner, running, runner.result.web_url))
            await done.wait()

        show = asyncio.create_task(
            run_sandbox_show(
                settings,
                connectors_for,
                database_url=database_url,
                run_of_show=ros,
                after_start=play,
            )
        )
        waiting: set[asyncio.Future[Any]] = {show, started}
        done_first, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if show in done_first:
            show.result()  # the show failed before it started: its error
        try:
            yield started.result()
        finally:
            done.set()
            async with asyncio.timeout(30):
                await show
