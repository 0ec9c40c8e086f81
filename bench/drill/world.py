"""The drill's world: emulators in the drill's process, the bot in its own, viewers, status.

Everything the checker later compares comes from here, never from the app: what viewers
typed (:class:`~bench.drill.checker.Typed`), what each emulated chat accepted from the bot,
what the store emulator delivered, and samples of the app's ``/status`` endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.drill.checker import Delivery, Sample, Sent, Typed
from bench.drill.postgres import free_port
from bench.drill.show import BUY_CODE, YOUTUBE_POLL_MS, YOUTUBE_QUOTA, catalog, drill_settings
from sandbox.show.platforms import PLATFORMS, SandboxPlatforms
from sandbox.show.store import SandboxStore, sandbox_store


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


@contextlib.asynccontextmanager
async def emulators() -> AsyncIterator[SandboxPlatforms]:
    """YouTube (a quota no drill spends), Facebook and Twitch (bot is a moderator).

    YouTube's first read (no page token) returns the recent history, as the platform does
    (the emulator's ``backlog``, 20): a buy typed between the bot's start and its first
    read is read then, not lost to a drill that started reading at the end."""
    from sandbox.facebook import FacebookEmulator
    from sandbox.twitch import TwitchEmulator
    from sandbox.youtube import YouTubeEmulator

    running = SandboxPlatforms()
    async with contextlib.AsyncExitStack() as stack:
        running.emulators["youtube"] = await stack.enter_async_context(
            YouTubeEmulator(polling_interval_ms=YOUTUBE_POLL_MS, daily_quota=YOUTUBE_QUOTA)
        )
        running.emulators["facebook"] = await stack.enter_async_context(FacebookEmulator())
        twitch = await stack.enter_async_context(TwitchEmulator())
        twitch.set_moderator(True)
        running.emulators["twitch"] = twitch
        yield running


@dataclass(slots=True)
class World:
    """One backend's run: emulators, store, the bot process, viewers and the status log."""

    platforms: SandboxPlatforms
    store: SandboxStore
    database_url: str
    workdir: Path
    web_port: int = field(default_factory=free_port)
    typed: list[Typed] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    bot: subprocess.Popen[bytes] | None = None
    bot_starts: int = 0
    bot_dead: bool = False  # from the kill until the next process starts
    _viewer: int = 0
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def status_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}/status"

    # --- the bot --------------------------------------------------------------------------

    def _config(self) -> Path:
        access = self.store.access
        config = {
            "endpoints": self.platforms.endpoints(),
            "store": {
                "admin_base_url": access.admin_base_url,
                "token": access.token,
                "webhook_secret": access.webhook_secret,
                "shop_domain": access.shop_domain,
            },
            "database_url": self.database_url,
            "web_port": self.web_port,
        }
        path = self.workdir / "bot.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        return path

    async def start_bot(self, within: float = 60.0) -> None:
        """Start the bot process; return once its status shows every connector ``ok``."""
        log = (self.workdir / "bot.log").open("ab")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        self.bot = subprocess.Popen(  # noqa: ASYNC220 - returns at once
            [sys.executable, "-m", "bench.drill.bot", str(self._config())],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        log.close()
        self.bot_dead = False
        self.bot_starts += 1
        self.store.deliver_webhooks_to(f"http://127.0.0.1:{self.web_port}")
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.bot.poll() is not None:
                    raise RuntimeError(f"the bot exited ({self.bot.returncode}); see bot.log")
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    rows = (await client.get(self.status_url)).json()["connectors"]
                    names = [r for r in rows if r["name"].split(":")[0] in PLATFORMS]
                    if len(names) >= len(PLATFORMS) and all(r["status"] == "ok" for r in names):
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError("the bot's connectors did not all come up in time")

    async def kill_bot(self) -> None:
        """``kill -9``: no drain, no goodbye."""
        assert self.bot is not None
        self.bot_dead = True
        self.bot.kill()
        await asyncio.to_thread(self.bot.wait)

    async def stop_bot(self) -> None:
        """SIGTERM: the show ends, queued work drains."""
        if self.bot is None or self.bot.poll() is not None:
            return
        self.bot.terminate()
        try:
            await asyncio.wait_for(asyncio.to_thread(self.bot.wait), 60)
        except TimeoutError:
            self.bot.kill()
            await asyncio.to_thread(self.bot.wait)

    # --- viewers and the status log -------------------------------------------------------

    def buy(self, platform: str) -> Typed:
        """A new viewer types a buy on ``platform`` (logged here, the checker's truth)."""
        self._viewer += 1
        n = self._viewer
        viewer = str(700_000_000 + n)
        name = f"buyer{n}"
        at = time.time()
        mid = self.platforms.say(platform, f"!buy {BUY_CODE}", author_id=viewer, author_name=name)
        heard = True
        if platform == "twitch":
            # no client connected, or only a killed process's socket not yet seen closed
            heard = mid not in self.platforms.emulators["twitch"].unheard and not self.bot_dead
        line = Typed(platform, mid, viewer, at, heard)
        self.typed.append(line)
        return line

    async def viewers(self, per_second: float) -> None:
        """Buys at a steady rate, round robin over the platforms, until :meth:`quiet`."""
        n = 0
        start = time.monotonic()
        while not self._stop.is_set():
            self.buy(PLATFORMS[n % len(PLATFORMS)])
            n += 1
            delay = start + n / per_second - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)

    async def watch_status(self, every: float = 0.05) -> None:
        """Read ``/status`` every ``every`` seconds until :meth:`quiet`."""
        async with httpx.AsyncClient(timeout=0.5) as client:
            while not self._stop.is_set():
                at = time.time()
                rows: dict[str, tuple[str, int]] | None
                try:
                    body = (await client.get(self.status_url)).json()
                    rows = {
                        str(r["name"]): (str(r["status"]), int(r.get("skipped") or 0))
                        for r in body["connectors"]
                    }
                except (httpx.HTTPError, ValueError, KeyError, TypeError):
                    rows = None
                self.samples.append(Sample(at, rows))
                await asyncio.sleep(every)

    def quiet(self) -> None:
        """Viewers stop typing, the status log stops."""
        self._stop.set()

    # --- what the emulators received ------------------------------------------------------

    def sent(self) -> list[Sent]:
        """Every message an emulated chat accepted from the bot."""
        emus = self.platforms.emulators
        out: list[Sent] = []
        for item in emus["youtube"].state.chat.sent:
            snippet = item["snippet"]
            at = _epoch(datetime.fromisoformat(snippet["publishedAt"].replace("Z", "+00:00")))
            out.append(Sent("youtube", str(snippet["textMessageDetails"]["messageText"]), at))
        for reply in emus["facebook"].replies:
            out.append(Sent("facebook", reply.text, _epoch(reply.at)))
        lines = emus["twitch"].world.lines
        for send in emus["twitch"].bot_sends:
            line = lines.get(send.message_id or "")
            if send.sent and line is not None:
                out.append(Sent("twitch", send.text, _epoch(line.sent_at)))
        return out

    def deliveries(self) -> list[Delivery]:
        """Every webhook the store emulator posted and the answer it got."""
        return [
            Delivery(d.webhook_id, int(status), time.time())
            for d, status in self.store.emulator.webhooks.sent
        ]


@contextlib.asynccontextmanager
async def world(database_url: str, workdir: Path) -> AsyncIterator[World]:
    """Emulators and store up, the bot not yet started."""
    settings = drill_settings(free_port())
    async with sandbox_store(settings, products=catalog()) as store, emulators() as platforms:
        yield World(platforms, store, database_url, workdir)
