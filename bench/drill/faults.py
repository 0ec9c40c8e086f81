"""The faults the drill injects into a running show, each through a public control.

Each injector does its fault and returns the :class:`~bench.drill.checker.Fault` it did:
when the fault began and which status row should show it. The database faults need the
backend (:class:`Backend`): a throwaway PostgreSQL cluster, or the SQLite file.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from bench.drill.checker import Fault
from bench.drill.postgres import Cluster
from bench.drill.world import World

_poison = itertools.count(1)
_restarts = itertools.count(1)
PG_DOWN_SECONDS = 1.0
SQLITE_BUSY_SECONDS = 1.0  # the bot's ?timeout= on the SQLite URL
SQLITE_LOCK_SECONDS = 3.0  # held past it


@dataclass(slots=True)
class Backend:
    """The database under the bot: ``cluster`` for PostgreSQL, ``sqlite`` for the file."""

    url: str
    cluster: Cluster | None = None
    sqlite: Path | None = None

    @property
    def name(self) -> str:
        return "postgresql" if self.cluster is not None else "sqlite"


Injector = Callable[[World, Backend], Awaitable[Fault]]


async def pg_restart(world: World, db: Backend) -> Fault:
    """Stop PostgreSQL (fast: disconnects every client), 1 s down, start it again."""
    assert db.cluster is not None
    at = time.time()
    await asyncio.to_thread(db.cluster.restart, PG_DOWN_SECONDS)
    return Fault("pg_restart", at, ("storage", "down"))


async def pg_terminate(world: World, db: Backend) -> Fault:
    """``pg_terminate_backend`` every connection the bot holds."""
    assert db.cluster is not None
    at = time.time()
    await asyncio.to_thread(db.cluster.terminate_backends)
    return Fault("pg_terminate", at, ("storage", "down"))


def _lock(path: Path, seconds: float, got: list[float] | None = None) -> None:
    conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")  # may wait for the bot's own write to finish
        if got is not None:
            got.append(time.time())
        time.sleep(seconds)
        conn.execute("ROLLBACK")
    finally:
        conn.close()


async def sqlite_lock(world: World, db: Backend) -> Fault:
    """Hold the SQLite file's write lock past the bot's busy timeout. The outage starts when
    the busy timeout has run out: that is the fault's time."""
    assert db.sqlite is not None
    got: list[float] = []
    await asyncio.to_thread(_lock, db.sqlite, SQLITE_LOCK_SECONDS, got)
    return Fault("sqlite_lock", got[0] + SQLITE_BUSY_SECONDS, ("storage", "down"))


async def bot_kill9(world: World, db: Backend) -> Fault:
    """``kill -9`` the bot, start it again; status shows it when it answers again."""
    at = time.time()
    await world.kill_bot()
    await world.start_bot()
    return Fault("bot_kill9", at, ("", "back"))


async def twitch_drop(world: World, db: Backend) -> Fault:
    """Every EventSub and IRC connection dropped, no close frame."""
    at = time.time()
    world.platforms.emulators["twitch"].drop_connections()
    return Fault("twitch_drop", at, ("twitch", "down"))


# The bot reads YouTube's chat over streamList (the ``stream`` route; ``list`` is only the
# polling fallback): a fault is answered when a stream opens, so the open one is ended too
# (cleanly, as YouTube ends a stream now and then) and the bot's next open meets the fault.
READ_ROUTE = "stream"


async def youtube_5xx(world: World, db: Backend) -> Fault:
    """The next three chat reads answer 503 ``backendError``."""
    at = time.time()
    emu = world.platforms.emulators["youtube"]
    emu.fail_next(READ_ROUTE, "backendError", count=3)
    emu.end_streams()
    return Fault("youtube_5xx", at, ("youtube", "down"))


async def youtube_quota(world: World, db: Backend) -> Fault:
    """A chat read answers 403 ``quotaExceeded``: YouTube reads nothing more until the reset
    (midnight Pacific), so the drill injects this last."""
    at = time.time()
    emu = world.platforms.emulators["youtube"]
    emu.fail_next(READ_ROUTE, "quotaExceeded")
    emu.end_streams()
    return Fault("youtube_quota", at, ("youtube", "down"))


async def facebook_cut(world: World, db: Backend) -> Fault:
    """Every live-comment stream cut without a clean end."""
    at = time.time()
    world.platforms.emulators["facebook"].disconnect_streams(clean=False)
    return Fault("facebook_cut", at, ("facebook", "down"))


async def poison_youtube(world: World, db: Backend) -> Fault:
    """A ban of 10**12 seconds (an OverflowError in a translator, issue 15), or a message
    stamped at a time that has none in UTC (streamList carries it: the translator must skip
    it). The ban is read as a ban (nothing to skip, nothing for status to show)."""
    at = time.time()
    n = next(_poison)
    emu = world.platforms.emulators["youtube"]
    if n % 2:
        emu.ban_user(f"UCpoison{n}", duration_seconds=10**12)
        return Fault("poison_youtube", at, None)
    snippet = {
        "type": "textMessageEvent",
        "publishedAt": "0001-01-01T00:00:00+01:00",
        "hasDisplayContent": True,
        "displayMessage": f"poison {n}",
        "textMessageDetails": {"messageText": f"poison {n}"},
    }
    emu.inject_raw({"kind": "youtube#liveChatMessage", "id": f"poison{n}", "snippet": snippet})
    return Fault("poison_youtube", at, ("youtube", "skipped"))


async def poison_facebook(world: World, db: Backend) -> Fault:
    """A comment stamped at year 1 in +01:00 (issue 15's ``created_time`` case). It is read
    with the time it arrived instead (no skip: status has nothing to show; the emulator
    cannot send a comment the translator must drop, one without an id)."""
    at = time.time()
    n = next(_poison)
    year_one = datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=1)))
    world.platforms.emulators["facebook"].inject_message(
        f"poison {n}", author_id=str(600_000_000 + n), author_name=f"poison{n}", created=year_one
    )
    return Fault("poison_facebook", at, None)


async def poison_twitch(world: World, db: Backend) -> Fault:
    """A ``channel.chat.message`` notification whose fields have the wrong types."""
    at = time.time()
    n = next(_poison)
    event = {
        "broadcaster_user_id": world.platforms.emulators["twitch"].world.broadcaster.id,
        "chatter_user_id": n,
        "message_id": f"poison-{n}",
        "message": {"text": ["not", "text"], "fragments": "x"},
        "badges": "moderator",
    }
    world.platforms.emulators["twitch"].eventsub.notify("channel.chat.message", event)
    return Fault("poison_twitch", at, ("twitch", "skipped"))


async def emulator_restart(world: World, db: Backend) -> Fault:
    """The YouTube or the Facebook front end restarts (1 s down, same port, same state)."""
    at = time.time()
    platform = "youtube" if next(_restarts) % 2 else "facebook"
    await world.platforms.emulators[platform].restart(1.0)
    return Fault(f"restart_{platform}", at, (platform, "down"))


def _webhook(world: World) -> int | None:
    emulator = world.store.emulator
    variant = next(
        v for v in emulator.store.variants.values() if str(v.get("sku", "")).startswith("CM-401")
    )
    level = (int(time.time() * 10) % 50) + 1
    return emulator.set_available(str(variant["id"]), level)


async def webhook_db_down(world: World, db: Backend) -> Fault:
    """A stock webhook delivered while the database is down (stopped, or locked: then, as
    for :func:`sqlite_lock`, the outage starts when the busy timeout has run out)."""
    at = time.time()
    if db.cluster is not None:
        cluster = db.cluster
        await asyncio.to_thread(cluster.stop)
        try:
            await asyncio.to_thread(_webhook, world)
            await asyncio.sleep(PG_DOWN_SECONDS)
        finally:
            await asyncio.to_thread(cluster.start)
    else:
        assert db.sqlite is not None
        got: list[float] = []
        lock = asyncio.create_task(asyncio.to_thread(_lock, db.sqlite, SQLITE_LOCK_SECONDS, got))
        while not got and not lock.done():  # noqa: ASYNC110 - a thread's event
            await asyncio.sleep(0.01)
        at = got[0] + SQLITE_BUSY_SECONDS if got else at
        await asyncio.to_thread(_webhook, world)
        await lock
    return Fault("webhook_db_down", at, ("storage", "down"))


def now_utc() -> datetime:
    return datetime.now(UTC)


PG_KINDS: tuple[Injector, ...] = (pg_restart, pg_terminate)
SQLITE_KINDS: tuple[Injector, ...] = (sqlite_lock,)
COMMON_KINDS: tuple[Injector, ...] = (
    bot_kill9,
    twitch_drop,
    youtube_5xx,
    facebook_cut,
    poison_youtube,
    poison_facebook,
    poison_twitch,
    webhook_db_down,
    emulator_restart,
)
LAST = youtube_quota  # ends YouTube's reading for the day: once, at the end of each run
