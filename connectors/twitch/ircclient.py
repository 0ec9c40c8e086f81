"""One IRC connection (Twitch or a standard server) over asyncio streams: log in, join, I/O."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from connectors.errors import FatalError, TransientError
from connectors.twitch.irc import IrcMessage, IrcParseError, parse_line
from connectors.twitch.ircregister import (
    TAG_CAPS,
    Registration,
    error_line,
    join_done,
    numeric_error,
    pong_for,
)

_LOGGER = logging.getLogger(__name__)
PLATFORM = "twitch"
LINE_LIMIT = 1 << 16  # Twitch lines exceed 512 bytes; 64 KiB is far above any real one
# IRCv3 message-tags: the tags section (leading "@" and trailing space included) is at most
# 8191 bytes (https://ircv3.net/specs/extensions/message-tags, "Size limit"); past that the
# line is not a message any server may send
MAX_TAGS_BYTES = 8191


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

    def __init__(
        self,
        endpoint: IrcEndpoint,
        *,
        nick: str,
        token: str,
        channel: str,
        on_skip: Callable[[object, str], None] | None = None,
    ) -> None:
        self.on_skip = on_skip or _log_skip  # a line that cannot be used (the connector counts)
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
        """Connect, register (capabilities, PASS, NICK, USER) and join the channel.

        Raises:
            AuthError: the server refused the token (or password).
            TransientError: the connection failed, timed out, or the nick is still taken.
            FatalError: the server will never let this nick or host in, or the join.
        """
        ep = self.endpoint
        try:
            async with asyncio.timeout(ep.timeout):
                self._reader, self._writer = await asyncio.open_connection(
                    ep.host, ep.port, ssl=self._ssl(), limit=LINE_LIMIT
                )
                await self._register()
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

    async def _register(self) -> None:
        login = Registration(
            nick=self.nick, password=f"oauth:{self._token}" if self._token else None
        )
        for line in login.opening():
            await self.write(line)
        while not login.done:
            for line in login.feed(await self._next()):
                await self.write(line)
        self.caps = set(login.caps)

    async def _await_join(self) -> None:
        while True:
            msg = await self._next()
            if msg.command == "PING":
                await self.write(pong_for(msg))
                continue
            if msg.command == "ERROR":
                raise error_line(msg, registered=True, sent_password=bool(self._token))
            error = numeric_error(msg, stage="join")
            if error is not None:
                raise error
            self.backlog.append(msg)
            if join_done(msg, nick=self.nick, caps=self.caps):
                return

    @property
    def tags_enabled(self) -> bool:
        """Whether the server accepted tags on what we send (Twitch's or IRCv3's)."""
        return bool(self.caps & TAG_CAPS)

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
        except asyncio.IncompleteReadError as exc:
            cut = f" ({len(exc.partial)} bytes of an unfinished line lost)" if exc.partial else ""
            raise TransientError(f"irc connection closed{cut}", platform=PLATFORM) from None
        except asyncio.LimitOverrunError as exc:
            await self._reader.readexactly(exc.consumed)
            if not self._skip_tail:
                self.on_skip(None, f"an oversized line (over {LINE_LIMIT} bytes)")
            self._skip_tail = True
            return None
        except (ConnectionError, ssl.SSLError) as exc:
            raise TransientError(f"irc read: {type(exc).__name__}", platform=PLATFORM) from None
        if self._skip_tail:
            self._skip_tail = False
            return None
        return _decoded(raw, self.on_skip)

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


def _log_skip(raw: object, reason: str) -> None:
    _LOGGER.warning("irc: skipped %s: %r", reason, raw)


def _decoded(raw: bytes, on_skip: Callable[[object, str], None] = _log_skip) -> IrcMessage | None:
    """One received line parsed; None, with one log line, for a line that is not a message:
    over-long tags, not UTF-8 (Twitch and IRCv3 servers send UTF-8 only: a line that is not
    is damaged, its tags and ids included), or no command. Blank lines pass silently."""
    if raw.startswith(b"@"):
        tags_end = raw.find(b" ")
        if (tags_end if tags_end >= 0 else len(raw)) + 1 > MAX_TAGS_BYTES:
            on_skip(raw[:60], f"a line whose tags exceed {MAX_TAGS_BYTES} bytes ({len(raw)} bytes)")
            return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        on_skip(raw[:80], f"a line that is not UTF-8 (byte {exc.start})")
        return None
    try:
        return parse_line(text)
    except IrcParseError:
        if text.strip():
            on_skip(text[:80], "a line that does not parse")
        return None
