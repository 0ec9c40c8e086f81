"""A real IRC server for tests and benchmarks: ngircd (Debian package) in the foreground on a
loopback port, and a raw IRC client playing a viewer. Not an emulator: software nobody here
wrote, so the connector meets a standard server's behaviour."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from connectors.twitch.irc import IrcMessage, parse_line

# Debian installs it in /usr/sbin, which a non-root PATH may lack
NGIRCD = shutil.which("ngircd") or shutil.which("ngircd", path="/usr/sbin:/sbin")
SERVER_NAME = "irc.shopstream.test"
TIMEOUT = 10.0


def free_port() -> int:
    """A loopback port nobody listens on right now (bind port 0, read it back)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Ngircd:
    """One ngircd process (``ngircd -n -f <conf>``); restartable on the same port."""

    def __init__(self, tmp_path: Path, *, password: str) -> None:
        """``password``: the server password (ngircd refuses any PASS when none is set, and
        the connector always sends ``PASS oauth:<token>``, as Twitch wants)."""
        assert NGIRCD is not None
        self.port = free_port()
        self.password = password
        (tmp_path / "ngircd.help").write_text("")
        self.conf = tmp_path / "ngircd.conf"
        lines = [
            "[Global]",
            f"Name = {SERVER_NAME}",
            "Info = shopstream test server",
            "Listen = 127.0.0.1",
            f"Ports = {self.port}",
            f"PidFile = {tmp_path / 'ngircd.pid'}",
            f"HelpFile = {tmp_path / 'ngircd.help'}",
            "MotdPhrase = shopstream tests",
            f"Password = {password}",
            "[Limits]",
            "MaxNickLength = 30",
            "MaxPenaltyTime = 0",  # no flood penalty: the tests send in bursts
            "[Options]",
            "DNS = no",
            "Ident = no",
            "PAM = no",
            "[SSL]",
        ]
        self.conf.write_text("\n".join(lines) + "\n")
        self.log: list[str] = []
        self._proc: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the server and return once it accepts connections."""
        assert NGIRCD is not None
        listening = asyncio.Event()
        self._proc = await asyncio.create_subprocess_exec(
            NGIRCD,
            "-n",
            "-f",
            str(self.conf),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._drain = asyncio.create_task(self._read_log(self._proc, listening))
        async with asyncio.timeout(TIMEOUT):
            await listening.wait()  # "Now listening on [127.0.0.1]:<port>"
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.close()
        await writer.wait_closed()

    async def _read_log(self, proc: asyncio.subprocess.Process, listening: asyncio.Event) -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self.log.append(line)
            if "Now listening on" in line:
                listening.set()

    async def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for it to exit."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            proc.terminate()
        try:
            async with asyncio.timeout(TIMEOUT):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()
        if self._drain is not None:
            await self._drain
            self._drain = None


class RawClient:
    """A plain IRC client (a viewer) for driving the server by hand."""

    def __init__(self, nick: str) -> None:
        self.nick = nick
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self, port: int, *, password: str | None = None) -> None:
        """Register (no CAP) and wait for the welcome."""
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", port)
        if password:
            await self.send(f"PASS {password}")
        await self.send(f"NICK {self.nick}")
        await self.send(f"USER {self.nick} 0 * :{self.nick}")
        await self.until(lambda m: m.command == "001")

    async def send(self, line: str) -> None:
        assert self._writer is not None
        self._writer.write(line.encode() + b"\r\n")
        await self._writer.drain()

    async def join(self, channel: str) -> None:
        await self.send(f"JOIN #{channel}")
        await self.until(lambda m: m.command == "366")

    async def until(self, want: Callable[[IrcMessage], bool]) -> IrcMessage:
        """Read lines (answering PINGs) until ``want(msg)`` is true; return that line."""
        assert self._reader is not None
        async with asyncio.timeout(TIMEOUT):
            while True:
                raw = await self._reader.readline()
                if not raw:
                    raise ConnectionError("server closed the connection")
                msg = parse_line(raw.decode().rstrip("\r\n"))
                if msg.command == "PING":
                    await self.send(f"PONG :{msg.trailing}")
                elif want(msg):
                    return msg

    async def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()
