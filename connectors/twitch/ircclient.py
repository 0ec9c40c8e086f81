"""One IRC connection to Twitch chat over asyncio streams (TLS optional): log in, join, I/O."""

from __future__ import annotations

import asyncio
import logging
import ssl
from contextlib import suppress
from dataclasses import dataclass

from connectors.errors import AuthError, FatalError, TransientError
from connectors.twitch.irc import IrcMessage, IrcParseError, format_line, parse_line

_LOGGER = logging.getLogger(__name__)
PLATFORM = "twitch"
CAPS = "twitch.tv/tags twitch.tv/commands twitch.tv/membership"
LINE_LIMIT = 1 << 16  # Twitch lines exceed 512 bytes; 64 KiB is far above any real one


@dataclass(frozen=True, slots=True, kw_only=True)
class IrcEndpoint:
    """Where and how to connect."""

    host: str
    port: int
    tls: bool
    ca_file: str | None = None
    timeout: float = 10.0


class IrcConnection:
    """A logged-in, joined connection; :meth:`read` returns parsed lines (None for garbage)."""

    def __init__(self, endpoint: IrcEndpoint, *, nick: str, token: str, channel: str) -> None:
        self.endpoint = endpoint
        self.nick = nick.lower()
        self._token = token
        self.channel = channel.lower().lstrip("#")
        self.caps: set[str] = set()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.backlog: list[IrcMessage] = []  # lines read during the handshake (USERSTATE...)
        self._skip_tail = False  # the rest of an oversized line is still to come

    def _ssl(self) -> ssl.SSLContext | None:
        if not self.endpoint.tls:
            return None
        ctx = ssl.create_default_context()
        if self.endpoint.ca_file:
            ctx.load_verify_locations(self.endpoint.ca_file)
        return ctx

    async def open(self) -> None:
        """Connect, ask for capabilities, log in and join the channel.

        Raises:
            AuthError: the server refused the token.
            TransientError: the connection failed or timed out.
        """
        ep = self.endpoint
        try:
            async with asyncio.timeout(ep.timeout):
                self._reader, self._writer = await asyncio.open_connection(
                    ep.host, ep.port, ssl=self._ssl(), limit=LINE_LIMIT
                )
                await self.write(f"CAP REQ :{CAPS}")
                await self.write(f"PASS oauth:{self._token}")
                await self.write(f"NICK {self.nick}")
                await self._await_login()
                await self.write(f"JOIN #{self.channel}")
                await self._await_join()
        except TimeoutError:
            await self.close()
            raise TransientError("irc login timed out", platform=PLATFORM) from None
        except OSError as exc:
            await self.close()
            raise TransientError(f"irc connect: {type(exc).__name__}", platform=PLATFORM) from None
        except BaseException:
            await self.close()
            raise

    async def _await_login(self) -> None:
        while True:
            msg = await self._next()
            if msg.command == "CAP" and len(msg.params) >= 2:
                if msg.params[1] == "ACK":
                    self.caps.update(msg.trailing.split())
                elif msg.params[1] == "NAK":
                    _LOGGER.warning("irc: server refused capabilities %s", msg.trailing)
            elif msg.command == "NOTICE" and msg.params[:1] == ["*"]:
                raise AuthError("irc login refused", platform=PLATFORM)
            elif msg.command in ("001", "376"):
                return
            elif msg.command == "PING":
                await self.write(format_line("PONG", msg.params or ["tmi.twitch.tv"]))

    async def _await_join(self) -> None:
        if "twitch.tv/commands" in self.caps:
            last = "ROOMSTATE"
        elif "twitch.tv/membership" in self.caps:
            last = "366"
        else:
            last = "JOIN"
        while True:
            msg = await self._next()
            if msg.command == "PING":
                await self.write(format_line("PONG", msg.params or ["tmi.twitch.tv"]))
                continue
            self.backlog.append(msg)
            if msg.command == last:
                return

    async def _next(self) -> IrcMessage:
        while True:
            msg = await self.read()
            if msg is not None:
                return msg

    async def read(self) -> IrcMessage | None:
        """Read one line; None for a line that does not parse (logged and skipped).

        Raises:
            TransientError: the server closed the connection.
        """
        if self._reader is None:
            raise TransientError("irc not connected", platform=PLATFORM)
        try:
            raw = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            raise TransientError("irc connection closed", platform=PLATFORM) from None
        except asyncio.LimitOverrunError as exc:
            await self._reader.readexactly(exc.consumed)
            if not self._skip_tail:
                _LOGGER.warning("irc: skipping an oversized line (over %d bytes)", LINE_LIMIT)
            self._skip_tail = True
            return None
        except (ConnectionError, ssl.SSLError) as exc:
            raise TransientError(f"irc read: {type(exc).__name__}", platform=PLATFORM) from None
        if self._skip_tail:
            self._skip_tail = False
            return None
        try:
            return parse_line(raw.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                return parse_line(raw.decode("utf-8", "replace"))
            except IrcParseError:
                return None
        except IrcParseError:
            if raw.strip():
                _LOGGER.warning("irc: skipped a line that does not parse")
            return None

    async def write(self, line: str) -> None:
        """Send one line (CRLF added).

        Raises:
            TransientError: the connection is gone.
            FatalError: the line contains CR or LF.
        """
        if "\r" in line or "\n" in line:
            raise FatalError("irc line contains CR/LF", platform=PLATFORM)
        if self._writer is None or self._writer.is_closing():
            raise TransientError("irc not connected", platform=PLATFORM)
        try:
            self._writer.write(line.encode("utf-8") + b"\r\n")
            await self._writer.drain()
        except (ConnectionError, ssl.SSLError) as exc:
            raise TransientError(f"irc write: {type(exc).__name__}", platform=PLATFORM) from None

    async def close(self) -> None:
        """Close the connection (safe to call twice)."""
        writer, self._writer = self._writer, None
        self._reader = None
        if writer is not None:
            writer.close()
            with suppress(Exception):
                await writer.wait_closed()
