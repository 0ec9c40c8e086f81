"""Bad input from an IRC server never crashes the connector: each item is logged once, skipped.

The server is a raw TCP one on port 0 that speaks only part of IRC (no CAP: it answers
``421``; no tags; no PING of its own), then sends what a broken or hostile server might:
lines that do not parse, truncated ones, a tags section over IRCv3's 8,191 bytes, bytes
that are not UTF-8, commands nobody defined, and a line cut off by the connection closing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from connectors.errors import TransientError
from connectors.twitch.config import TwitchConfig, TwitchSecrets
from connectors.twitch.connector import TwitchConnector
from tests.support.reader import Reader

CHAN = "#chan"
GOOD = b":ann!ann@host PRIVMSG #chan :sold 201\r\n"
# each is one bad item: logged once, skipped
BAD = [
    b"@@@\r\n",  # tags and nothing else
    b":only-a-source\r\n",  # no command
    b"@badge-info=;badges=broadcaster/1;col\r\n",  # truncated inside the tags
    b":bob!bob@host PRIVMSG #chan\r\n",  # truncated: a PRIVMSG without its text
    b":cy!cy@host PRIVMSG #chan :sold \xff\xfe 201\r\n",  # not UTF-8
    b"@id=big;x=" + b"a" * 9000 + b" :dee!dee@host PRIVMSG #chan :sold 201\r\n",  # tags > 8191
    b":server FROBNICATE #chan :what\r\n",  # unknown command ...
]
AGAIN = b":server FROBNICATE #chan :again\r\n"  # ... seen again: not logged a second time


class PartialServer:
    """Registers a client the RFC 1459 way, then plays ``script(connection number)``."""

    def __init__(self, script: Callable[[int], list[bytes]]) -> None:
        self.script = script
        self.connections = 0
        self.server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while line := await reader.readline():
                text = line.decode("utf-8", "replace").strip()
                if text.startswith("CAP"):
                    writer.write(b":server 421 * CAP :Unknown command\r\n")
                elif text.startswith("USER"):
                    writer.write(b":server 001 bot :Welcome\r\n")
                elif text.startswith("PING"):
                    token = text.split(":", 1)[-1].encode()
                    writer.write(b":server PONG server :" + token + b"\r\n")
                elif text == f"JOIN {CHAN}":
                    writer.write(f":bot!bot@host JOIN {CHAN}\r\n".encode())
                    for chunk in self.script(number):
                        if chunk == b"CLOSE":
                            await writer.drain()
                            writer.close()
                            return
                        writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(script: Callable[[int], list[bytes]]) -> AsyncIterator[TwitchConnector]:
    fake = PartialServer(script)
    fake.server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    config = TwitchConfig(
        enabled=True,
        channel="chan",
        transport="irc",
        irc_nick="bot",
        irc_host="127.0.0.1",
        irc_port=fake.port,
        irc_tls=False,
        http_timeout_seconds=5,
    )
    try:
        async with fake.server, TwitchConnector(config, secrets=TwitchSecrets(token="t")) as conn:
            yield conn
    finally:
        fake.server.close()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_each_bad_line_is_logged_once_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with serving(lambda _: [*BAD, AGAIN, GOOD]) as conn:
        reader = Reader(conn)
        got = await reader.message("sold 201")
        skipped = conn.health.skipped
        await reader.stop()
    assert got.author_name == "ann"  # the only message: nothing of the bad lines got through
    assert reader.messages == [got] and reader.failure is None
    logged = warnings(caplog)
    assert len(logged) == len(BAD), logged  # one line per bad item, none for the repeat
    assert sum("FROBNICATE" in w for w in logged) == 1
    assert sum("not UTF-8" in w for w in logged) == 1
    assert sum("exceed 8191 bytes" in w for w in logged) == 1
    assert skipped == len(BAD) - 1  # counted in the status too; an unknown command is no skip


async def test_a_line_cut_off_by_the_connection_is_a_reconnect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The unfinished line is dropped (the server never sent it whole); the next session
    reads on."""
    caplog.set_level(logging.WARNING)

    def script(number: int) -> list[bytes]:
        if number == 1:
            return [GOOD, b":bob!bob@host PRIVMSG #chan :sold 1", b"CLOSE"]
        return [b":cy!cy@host PRIVMSG #chan :after\r\n"]

    async with serving(script) as conn:
        reader = Reader(conn, resume=True)
        first = await reader.message("sold 201")
        after = await reader.message("after")
        await reader.stop()
    assert (first.author_name, after.author_name) == ("ann", "cy")
    [cut] = reader.transient
    assert isinstance(cut, TransientError) and "unfinished line" in str(cut)
    assert [m.text for m in reader.messages] == ["sold 201", "after"]
