"""One Ctrl-C always stops a command: ask the show to stop, and exit if it cannot.

The first Ctrl-C (or SIGTERM) calls the command's stop action (end the show: connectors
close, replies drain). A worker thread stuck in a blocking call (a read of stdin, an HTTP
call to a peer that went quiet) can keep Python from exiting, so if the command has not
finished ``grace`` seconds later the process exits with code 130; a second Ctrl-C exits at
once. Work that must not hold the process up runs in :func:`in_daemon_thread`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a Ctrl-C


def _exit_now(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


class Interrupt:
    """The SIGINT/SIGTERM handler of one running command (see the module docstring)."""

    def __init__(
        self,
        stop: Callable[[], None],
        *,
        grace: float = 8.0,
        say: Callable[[str], None] | None = None,
        exit_now: Callable[[int], None] = _exit_now,
    ) -> None:
        self.stop = stop
        self.grace = grace
        self.fired = 0
        self._say = say or (lambda text: print(text, file=sys.stderr, flush=True))
        self._exit_now = exit_now
        self._timer: threading.Timer | None = None

    def __call__(self) -> None:
        """Handle one Ctrl-C."""
        self.fired += 1
        if self.fired > 1:
            self._say("stopped")
            self._exit_now(EXIT_INTERRUPTED)
            return
        self._say(f"stopping… (at most {self.grace:g} s; Ctrl-C again to quit now)")
        self._timer = threading.Timer(self.grace, self._exit_now, args=(EXIT_INTERRUPTED,))
        self._timer.daemon = True
        self._timer.start()
        self.stop()

    def cancel_timer(self) -> None:
        """The command finished on its own after the first Ctrl-C: no forced exit."""
        if self._timer is not None:
            self._timer.cancel()


_INSTALLED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Interrupt] = (
    weakref.WeakKeyDictionary()
)


@contextlib.contextmanager
def interrupt_stops(stop: Callable[[], None], *, grace: float = 8.0) -> Iterator[Interrupt]:
    """While the block runs, Ctrl-C and SIGTERM call ``stop`` on the running loop.

    Nested inside another such block (the command's), only the action changes, and
    changes back on exit; the forced exit after ``grace`` seconds stays armed once fired.
    """
    loop = asyncio.get_running_loop()
    current = _INSTALLED.get(loop)
    if current is not None:
        previous, current.stop = current.stop, stop
        try:
            yield current
        finally:
            current.stop = previous
        return
    handler = Interrupt(stop, grace=grace)
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, handler)  # main thread only
            installed.append(sig)
    _INSTALLED[loop] = handler
    try:
        yield handler
    finally:
        _INSTALLED.pop(loop, None)
        for sig in installed:
            loop.remove_signal_handler(sig)


def run_interruptibly(make: Callable[[], Any], *, grace: float = 8.0) -> Any:
    """``asyncio.run(make())`` where Ctrl-C cancels the command, then exits if it hangs.

    A show started inside redirects Ctrl-C to its own graceful stop with
    :func:`interrupt_stops`. Raises :class:`KeyboardInterrupt` when the command was
    cancelled by Ctrl-C before it finished.
    """

    async def main() -> Any:
        task = asyncio.current_task()
        assert task is not None

        def cancel() -> None:
            task.cancel()

        with interrupt_stops(cancel, grace=grace) as handler:
            if early:
                handler()  # Ctrl-C came while the loop was starting
            try:
                return await make()
            except asyncio.CancelledError:
                if handler.fired:
                    raise KeyboardInterrupt from None
                raise

    # Until the loop's handler is in place, a Ctrl-C is noted, not raised wherever the
    # interpreter happens to be (half-built loop, coroutine never awaited).
    early: list[int] = []
    previous: Any = None
    with contextlib.suppress(ValueError):  # not the main thread: no signals to take
        previous = signal.signal(signal.SIGINT, lambda sig, _frame: early.append(sig))
    try:
        return asyncio.run(main())
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


async def in_daemon_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking ``fn(*args)`` in a daemon thread: if the caller gives up (cancelled,
    Ctrl-C), the thread can never keep the process from exiting."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def work() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # handed to the awaiting task, not lost
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(settle, None, exc)
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=work, name=getattr(fn, "__name__", "work"), daemon=True).start()
    return await future
