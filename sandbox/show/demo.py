"""``shopstream demo`` and ``rehearse``: a sandbox show on 127.0.0.1, start to finish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from connectors.base import Connector
from connectors.replay.connector import ReplayConnector
from sandbox.show.store import SandboxStore, sandbox_store
from sandbox.show.view import DemoView
from shop_sync.models import Hold
from shopstream.core import Core, build_core, replace_model
from shopstream.interrupt import in_daemon_thread, interrupt_stops
from shopstream.runtime.show import ShowResult, ShowRunner
from shopstream.settings import Settings
from shopstream.summary import summary_table

_LOGGER = logging.getLogger(__name__)


def hold_counts(engine: Engine) -> dict[str, int]:
    """Holds per status."""
    with engine.connect() as conn:
        rows = conn.execute(select(Hold.status, func.count()).group_by(Hold.status)).all()  # type: ignore[call-overload]
    return {str(status): int(n) for status, n in rows}


@dataclass(slots=True)
class DemoOutcome:
    """What a sandbox show produced (the CLI prints it; tests read it)."""

    result: ShowResult
    holds: dict[str, int]
    replies: list[str] = field(default_factory=list)
    skipped_lines: list[tuple[int, str]] = field(default_factory=list)


def free_local_port() -> int:
    """A port on 127.0.0.1 that is free now (the demo's web app takes it)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sandbox_settings(settings: Settings) -> Settings:
    """The settings in sandbox mode, with the web app on a free local port."""
    port = free_local_port()
    url = f"http://127.0.0.1:{port}"
    return settings.model_copy(
        update={
            "app": settings.app.model_copy(update={"mode": "sandbox"}),
            "web": settings.web.model_copy(update={"port": port, "public_url": url}),
            "links": settings.links.model_copy(update={"public_base_url": url}),
        }
    )


def fresh_database(data_dir: Path, name: str) -> str:
    """A new, empty SQLite database for one sandbox run."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"{name}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{(data_dir / name).resolve()}"


async def run_sandbox_show(
    settings: Settings,
    connectors_for: Any,
    *,
    database_url: str,
    products: Iterable[Mapping[str, Any]] | None = None,
    run_of_show: Path | None = None,
    console: Console | None = None,
    after_start: Any = None,
    title: str = "shopstream demo",
) -> DemoOutcome:
    """Start the store emulator, build the core, run ``connectors_for(store, core)``.

    ``after_start(store, runner)`` (optional coroutine function) runs alongside the show,
    for example to play simulated viewers into platform emulators.

    Raises:
        SandboxFailure: a thread of the sandbox (an emulator, a worker) failed; the show
            is stopped rather than left waiting for an answer that will never come.
    """
    view = DemoView(title=title)
    stops: list[Callable[[], Any]] = []  # how to end what has started so far
    body = asyncio.ensure_future(
        _sandbox_show(
            settings,
            connectors_for,
            view,
            database_url,
            products,
            run_of_show,
            console,
            after_start,
            stops,
        )
    )
    with thread_failures() as failed:
        waiting: set[asyncio.Future[Any]] = {body, failed}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if body in done:
            failed.cancel()
            return body.result()
        for stop in stops:  # end the show the normal way: sockets and files close
            stop()
        try:
            async with asyncio.timeout(15):
                await asyncio.wait({body})
        except TimeoutError:
            body.cancel()  # stuck before the show (a store call that never returns)
        with contextlib.suppress(BaseException):
            await body
        raise SandboxFailure(failed.result())


INTERRUPT_DRAIN_SECONDS = 3.0
"""After Ctrl-C in a demo or rehearsal, how long queued replies may take to go out."""


class SandboxFailure(Exception):
    """A sandbox thread failed; the message says which and how."""


@contextlib.contextmanager
def thread_failures() -> Iterator[asyncio.Future[str]]:
    """A future that gets a one-line description of the first uncaught exception in any
    thread while the block runs (``threading.excepthook``; the previous hook still runs)."""
    loop = asyncio.get_running_loop()
    failed: asyncio.Future[str] = loop.create_future()
    previous = threading.excepthook

    def settle(text: str) -> None:
        if not failed.done():
            failed.set_result(text)

    def hook(args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread is not None else "a thread"
        where = ""
        tb = args.exc_traceback
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None:
            where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        text = f"{name} failed{where}: {args.exc_type.__name__}: {args.exc_value}"
        _LOGGER.error("sandbox thread failed: %s", text)
        with contextlib.suppress(RuntimeError):  # the loop has ended
            loop.call_soon_threadsafe(settle, text)

    threading.excepthook = hook
    try:
        yield failed
    finally:
        threading.excepthook = previous


async def _sandbox_show(
    settings: Settings,
    connectors_for: Any,
    view: DemoView,
    database_url: str,
    products: Iterable[Mapping[str, Any]] | None,
    run_of_show: Path | None,
    console: Console | None,
    after_start: Any,
    stops: list[Callable[[], Any]],
) -> DemoOutcome:
    async with sandbox_store(settings, products=products) as store:
        core = await asyncio.to_thread(
            build_core,
            settings,
            store.access,
            database_url=database_url,
            run_of_show=run_of_show,
        )
        try:
            syncing = asyncio.ensure_future(in_daemon_thread(core.sync))
            stops.append(syncing.cancel)  # a sync that never ends is given up
            await syncing  # in a daemon thread: never holds the process if the store hangs
            connectors: Sequence[Connector] = await connectors_for(store, core)

            def web_ready(url: str) -> None:
                store.deliver_webhooks_to(url)
                if console is not None:
                    console.print(
                        f"dashboard: {url}/  sign in (one-time link): {runner.login_url()}",
                        highlight=False,
                        soft_wrap=True,
                    )

            runner = ShowRunner(
                core,
                connectors,
                on_event=view.on_event,
                on_web_ready=web_ready,
                on_announce=view.on_announce,
            )
            stops.append(runner.stop)

            def stop_now() -> None:
                """Ctrl-C: the viewers stop typing, replies get a short while to go out."""
                runner.drain_timeout = min(runner.drain_timeout, INTERRUPT_DRAIN_SECONDS)
                for stop in stops:
                    stop()

            with interrupt_stops(stop_now):
                outcome = await _run_with_view(runner, view, console, store, after_start, stops)
        finally:
            core.close()
    return outcome


async def _run_with_view(
    runner: ShowRunner,
    view: DemoView,
    console: Console | None,
    store: SandboxStore,
    after_start: Any,
    stops: list[Callable[[], Any]] | None = None,
) -> DemoOutcome:
    extra: asyncio.Task[Any] | None = None
    if after_start is not None:

        async def side() -> None:
            try:
                await after_start(store, runner)
            finally:
                runner.stop()  # a failing script must not leave the show running forever

        extra = asyncio.create_task(side())
        if stops is not None:
            stops.append(extra.cancel)
    if console is not None and console.is_terminal:
        with Live(view, console=console, refresh_per_second=8, transient=False):
            result = await runner.run()
    else:
        result = await runner.run()
    if extra is not None:
        await asyncio.wait({extra})
        if not extra.cancelled():  # cancelled: the sandbox failed (SandboxFailure follows)
            extra.result()
    replies = [r.text for c in runner.connectors if isinstance(c, ReplayConnector) for r in c.sent]
    skipped = [s for c in runner.connectors if isinstance(c, ReplayConnector) for s in c.skipped]
    return DemoOutcome(
        result=result,
        holds=hold_counts(runner.core.engine),
        replies=replies,
        skipped_lines=skipped,
    )


async def replay_connectors(settings: Settings, speed: float) -> Any:
    """A ``connectors_for`` that plays the replay log (the bundled demo log by default)."""

    async def make(store: SandboxStore, core: Core) -> list[Connector]:
        cfg = replace_model(settings.connectors.replay, speed=speed)
        return [ReplayConnector(cfg)]

    return make


def print_outcome(console: Console, outcome: DemoOutcome, web_url: str = "") -> None:
    """The closing summary."""
    console.print(summary_table(outcome.result, outcome.holds))
    for line, why in outcome.skipped_lines:
        console.print(f"[yellow]chat log line {line} skipped:[/] {why}")
