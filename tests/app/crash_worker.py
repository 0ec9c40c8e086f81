"""The bot's pipeline and outbox in a process of its own, for the kill -9 test.

    python -m tests.app.crash_worker handle DB_URL   # prints "committed", then hangs
    python -m tests.app.crash_worker resume DB_URL   # prints "sent KEY" per send, "done"

``handle``: one buy goes through the production pipeline; once its batch has committed
(the pipeline's completion callback, before any reply is routed) the process says so on
stdout and blocks, so the test can kill it with SIGKILL between the commit and the send.
``resume``: a new process over the same database, with the reply outbox as a show runs it,
gets the same buy again (a connector re-reading after the crash) and sends what is due.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from connectors.events import Reply, SendResult
from connectors.limits import PlatformLimits
from shopstream.outbox.outbox import Outbox
from shopstream.outbox.store import SqlSentKeys
from shopstream.runtime.pipeline import Pipeline
from shopstream.runtime.supervisor import Envelope
from tests.app.test_flash_claims import _buy, _show

LIMITS = PlatformLimits(max_messages=20, window_seconds=30.0, max_chars=500, threads=True)


class PrintSender:
    """A platform that accepts every send and says so on stdout."""

    limits = LIMITS

    async def send(self, reply: Reply) -> SendResult:
        print(f"sent {reply.key}", flush=True)
        return SendResult(sent=True, platform_message_id=f"p-{reply.key}")


def _hang(_: Sequence[Envelope]) -> None:
    print("committed", flush=True)
    sys.stdin.readline()  # blocks the whole process until it is killed


async def main(phase: str, db_url: str) -> None:
    async with _show("crash", db_url, units=5) as core:
        store = SqlSentKeys(core.engine)
        outbox = Outbox(PrintSender(), platform="twitch", channel="c", store=store, name="twitch")
        queue: asyncio.Queue[Envelope] = asyncio.Queue()
        pipeline = Pipeline(
            queue,
            core.handler,
            {"twitch": outbox},
            ledger=core.records,
            fairness_window=0,
            replies=store,
            on_done=_hang if phase == "handle" else None,
        )
        await outbox.resume()  # what the killed process stored and never sent
        sender = asyncio.create_task(outbox.run())
        worker = asyncio.create_task(pipeline.run())
        queue.put_nowait(_buy(1, "twitch"))
        await queue.join()
        await outbox.drained()
        print(f"duplicates {pipeline.stats.duplicates}", flush=True)
        print("done", flush=True)
        for task in (sender, worker):
            task.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
