"""Twitch message -> reply latency: ``python -m bench.twitch_latency``.

Emulator: a viewer message is injected into the emulator; the connector reads it (EventSub
WebSocket, or IRC over TLS) and immediately sends a threaded reply (Helix
``POST /helix/chat/messages``, or IRC PRIVMSG); the clock stops when the emulated platform
accepts the reply.

Real IRC server (issue 18): ngircd (Debian package) is started on a free loopback port, as the
tests do (:mod:`sandbox.ngircd`); a second, raw client plays the viewer and types in the channel;
the production connector reads the line and answers (plain PRIVMSG: ngircd has no message-tags);
the clock runs from the viewer's send to the viewer reading the bot's reply, so it includes the
server's relaying both ways. Skipped, with a line saying so, where ngircd is not installed.

Viewers' messages come ``--gap-ms`` apart (default 50). The ngircd run is repeated back to back
(no gap), which shows a standard-TCP effect: after the connector's confirmation ``PING``, the
server's ``PONG`` is the last thing on the wire, the client's kernel delays its ACK (Linux: up to
40 ms) and ngircd, which leaves Nagle's algorithm on, holds its next line to the bot until that
ACK comes; spaced messages never meet it.

Platform pacing is excluded: the connector's and the emulator's rate clocks advance a minute per
reading, so no 20/100-per-30 s wait is ever due (ngircd runs with ``MaxPenaltyTime = 0``).
Target (issue 6): p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from connectors.events import ChatMessage, Reply
from connectors.twitch.config import TwitchConfig, TwitchSecrets
from connectors.twitch.connector import TwitchConnector
from sandbox.ngircd import NGIRCD, Ngircd, RawClient
from sandbox.twitch import TwitchEmulator
from sandbox.twitch.state import ChatLine


def _ticking() -> Callable[[], float]:
    counter = itertools.count()
    return lambda: next(counter) * 60.0


async def run(transport: str, rounds: int, gap: float = 0.0) -> list[float]:
    """Return ``rounds`` latencies in milliseconds."""
    async with TwitchEmulator(clock=_ticking()) as emu:
        emu.set_moderator(True)
        config = TwitchConfig(
            enabled=True,
            channel=emu.world.broadcaster.login,
            transport="irc" if transport == "irc" else "eventsub",
            eventsub_url=emu.eventsub_url,
            helix_url=emu.helix_url,
            oauth_url=emu.oauth_url,
            irc_host="127.0.0.1",
            irc_port=emu.irc_tls_port,
            irc_ca_file=emu.ca_file,
        )
        secrets = TwitchSecrets(
            token=emu.token,
            client_id=emu.client_id,
            refresh_token=emu.refresh_token,
            client_secret=emu.client_secret,
        )
        arrived: dict[str, float] = {}
        waiters: dict[str, asyncio.Future[None]] = {}

        def seen(line: ChatLine) -> None:
            arrived[line.reply_to or ""] = time.perf_counter()
            fut = waiters.get(line.reply_to or "")
            if fut is not None and not fut.done():
                fut.set_result(None)

        for server in (emu.helix, emu.irc):
            if server is not None:
                original = server.on_bot_line
                server.on_bot_line = lambda line, o=original: (seen(line), o(line))  # type: ignore[misc]

        conn = TwitchConnector(config, secrets=secrets, monotonic=_ticking())
        async with conn:

            async def answer() -> None:
                async for event in conn.events():
                    if isinstance(event, ChatMessage):
                        await conn.send(
                            Reply(
                                platform="twitch",
                                channel=conn.channel,
                                text=f"{event.author_name}: held, link {event.message_id[:8]}",
                                key=event.message_id,
                                reply_to_id=event.message_id,
                            )
                        )

            task = asyncio.create_task(answer())
            if transport == "irc" and emu.irc is not None:
                while not emu.irc.in_room():
                    emu.irc.changed.clear()
                    await emu.irc.changed.wait()
            else:
                await emu.eventsub.subscribed.wait()
            results = []
            for i in range(rounds + 20):
                start = time.perf_counter()
                msg_id = emu.inject_message(f"!buy 101 M #{i}", author_id=str(1000 + i),
                                            author_name=f"viewer{i}")  # fmt: skip
                fut = waiters[msg_id] = asyncio.get_running_loop().create_future()
                async with asyncio.timeout(10):
                    await fut
                if i >= 20:  # warm-up excluded
                    results.append((arrived[msg_id] - start) * 1000)
                await asyncio.sleep(gap)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return results


async def answer_all(conn: TwitchConnector) -> None:
    """Answer every chat message at once (what the bot's claim reply costs on the wire)."""
    async for event in conn.events():
        if isinstance(event, ChatMessage):
            await conn.send(
                Reply(
                    platform="twitch",
                    channel=conn.channel,
                    text=f"{event.author_name}: held, link {event.text.rsplit('#', 1)[-1]}",
                    key=event.message_id,
                    reply_to_id=event.message_id,
                )
            )


async def run_ngircd(rounds: int, gap: float = 0.0) -> list[float]:
    """Return ``rounds`` latencies in milliseconds over a real ngircd."""
    channel, bot, token = "shopstream_demo", "shopstream_bot", "bench-token"
    with tempfile.TemporaryDirectory(prefix="bench-ngircd-") as tmp:
        server = Ngircd(Path(tmp), password=f"oauth:{token}")
        await server.start()
        viewer = RawClient("viewer")
        try:
            config = TwitchConfig(
                enabled=True,
                channel=channel,
                transport="irc",
                irc_host="127.0.0.1",
                irc_port=server.port,
                irc_tls=False,
                irc_nick=bot,
                send_confirm_seconds=5.0,
            )
            conn = TwitchConnector(config, secrets=TwitchSecrets(token=token), monotonic=_ticking())
            async with conn:
                task = asyncio.create_task(answer_all(conn))
                await viewer.connect(server.port, password=server.password)
                await viewer.join(channel)
                await viewer.until(lambda m: m.command == "JOIN" and m.nick == bot)
                results = []
                for i in range(rounds + 20):
                    start = time.perf_counter()
                    await viewer.send(f"PRIVMSG #{channel} :!buy 101 M #{i}")
                    await viewer.until(
                        lambda m, i=i: (
                            m.command == "PRIVMSG"  # type: ignore[misc]
                            and m.nick == bot
                            and m.trailing.endswith(f"link {i}")
                        )
                    )
                    if i >= 20:  # warm-up excluded
                        results.append((time.perf_counter() - start) * 1000)
                    await asyncio.sleep(gap)
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        finally:
            await viewer.close()
            await server.stop()
    return results


def report(label: str, ms: list[float]) -> bool:
    """Print percentiles; True when p99 meets the target."""
    qs = statistics.quantiles(ms, n=100, method="inclusive")
    p50, p95, p99 = qs[49], qs[94], qs[98]
    print(f"{label:<28} n={len(ms)}  p50={p50:6.2f} ms  p95={p95:6.2f} ms  "
          f"p99={p99:6.2f} ms  max={max(ms):6.2f} ms")  # fmt: skip
    return p99 < 50


def main() -> None:
    """Measure both transports."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=500)
    ap.add_argument("--gap-ms", type=float, default=50.0, help="pause between viewer messages")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    gap = args.gap_ms / 1000
    print(f"{args.rounds} rounds each (after 20 warm-up rounds), {args.gap_ms:g} ms apart")
    ok = report("emulator: EventSub, Helix", asyncio.run(run("eventsub", args.rounds, gap)))
    ok &= report("emulator: IRC (TLS)", asyncio.run(run("irc", args.rounds, gap)))
    if NGIRCD is None:
        print("real IRC server: skipped (ngircd is not installed: apt-get install ngircd)")
    else:
        ok &= report("real IRC server: ngircd", asyncio.run(run_ngircd(args.rounds, gap)))
        report("  ngircd, back to back", asyncio.run(run_ngircd(args.rounds)))  # see above
    print("PASS (p99 < 50 ms)" if ok else "ABOVE TARGET")


if __name__ == "__main__":
    main()
