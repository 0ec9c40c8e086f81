"""IRC transport loops: a reader (PING, RECONNECT, rejoin, events) and a sender (confirmations)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime

from connectors.errors import TransientError
from connectors.events import ChatEvent, ChatMessage
from connectors.twitch.irc import IrcMessage, format_line
from connectors.twitch.ircclient import IrcConnection
from connectors.twitch.translate import badge_names, irc_event
from connectors.values import ascii_int

_LOGGER = logging.getLogger(__name__)
PLATFORM = "twitch"
_ELEVATED = frozenset({"moderator", "broadcaster", "lead_moderator"})
# ROOMSTATE slow is in seconds; Helix (Update Chat Settings) allows 3..120, a day bounds
# what we believe
MAX_SLOW_SECONDS = 86_400


def is_elevated(userstate: IrcMessage) -> bool:
    """Whether a USERSTATE says the bot is a moderator or the broadcaster (the 100/30 s tier)."""
    tags = userstate.tags
    return tags.get("mod") == "1" or bool(set(badge_names(tags.get("badges", ""))) & _ELEVATED)


class IrcReader:
    """Reads chat over IRC; on RECONNECT it joins on a new connection, then drops the old one."""

    def __init__(
        self,
        connect: Callable[[], IrcConnection],
        *,
        ping_interval: float,
        clock: Callable[[], datetime],
        bot_id: str,
        bot_login: str,
        on_userstate: Callable[[bool], None],
        on_slow: Callable[[float], None],
        on_ok: Callable[[], None],
        tick: Callable[[], Awaitable[None]] | None = None,
        on_skip: Callable[[object, str], None] | None = None,
    ) -> None:
        self._connect = connect
        self._on_skip = on_skip
        self._tick = tick
        self.ping_interval = ping_interval
        self._clock = clock
        self.bot_id = bot_id
        self.bot_login = bot_login.lower()
        self._on_userstate = on_userstate
        self._on_slow = on_slow
        self._on_ok = on_ok
        self.notices: list[str] = []

    async def _open(self) -> IrcConnection:
        conn = self._connect()
        await conn.open()
        self._on_ok()
        return conn

    async def events(self) -> AsyncGenerator[ChatEvent, None]:
        """Yield chat events until the connection fails (then raise TransientError/AuthError)."""
        conn = await self._open()
        try:
            pending = list(conn.backlog)
            waiting_pong = False
            while True:
                if pending:
                    msg: IrcMessage | None = pending.pop(0)
                else:
                    try:
                        async with asyncio.timeout(self.ping_interval):
                            msg = await conn.read()
                    except TimeoutError:
                        if self._tick is not None:
                            await self._tick()
                        if waiting_pong:
                            raise TransientError(
                                "irc: no PONG, connection stalled", platform=PLATFORM
                            ) from None
                        await conn.write("PING :tmi.twitch.tv")
                        waiting_pong = True
                        continue
                    waiting_pong = False
                if msg is None:
                    continue
                if msg.command == "PING":
                    await conn.write(format_line("PONG", msg.params or ["tmi.twitch.tv"]))
                    if self._tick is not None:
                        await self._tick()
                elif msg.command == "RECONNECT":
                    _LOGGER.info("irc: RECONNECT, opening a new connection and rejoining")
                    new = await self._open()
                    await conn.close()
                    conn = new
                    pending.extend(conn.backlog)
                else:
                    event = self._handle(msg)
                    if event is not None:
                        yield event
        finally:
            await conn.close()

    def _handle(self, msg: IrcMessage) -> ChatEvent | None:
        """The event one line carries; a line that fails in any way costs only itself."""
        try:
            return self._handle_line(msg)
        except Exception as exc:
            reason = f"{msg.command}: {type(exc).__name__}: {exc}"
            raw = {"tags": msg.tags, "source": msg.source, "params": msg.params}
            if self._on_skip is None:
                _LOGGER.warning("irc: line skipped: %s", reason)
            else:  # it logs and counts
                self._on_skip(raw, reason)
            return None

    def _handle_line(self, msg: IrcMessage) -> ChatEvent | None:
        if msg.command == "USERSTATE":
            self._on_userstate(is_elevated(msg))
            return None
        if msg.command == "ROOMSTATE" and "slow" in msg.tags:
            slow = ascii_int(msg.tags["slow"], hi=MAX_SLOW_SECONDS)
            if slow is None:
                _LOGGER.warning("irc: unusable ROOMSTATE slow=%.20r; read as off", msg.tags["slow"])
            self._on_slow(float(slow or 0))
            return None
        if msg.command == "NOTICE":
            code = msg.tags.get("msg-id", "")
            self.notices.append(code)
            _LOGGER.info("irc NOTICE %s", code or msg.trailing[:80])
            return None
        if msg.command not in ("PRIVMSG", "CLEARMSG", "CLEARCHAT"):
            return None
        event = irc_event(msg, received_at=self._clock(), fallback_id=f"irc-{uuid.uuid4()}")
        if isinstance(event, ChatMessage) and (
            event.author_id == self.bot_id or (msg.nick or "").lower() == self.bot_login
        ):
            return None  # our own message, echoed to our other connection
        return event


class IrcSender:
    """Sends PRIVMSGs on its own connection and reads Twitch's answer (USERSTATE or NOTICE)."""

    def __init__(
        self,
        connect: Callable[[], IrcConnection],
        *,
        confirm_seconds: float,
        on_userstate: Callable[[bool], None],
    ) -> None:
        self._connect = connect
        self.confirm_seconds = confirm_seconds
        self._on_userstate = on_userstate
        self._conn: IrcConnection | None = None
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        """Close the send connection."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _connection(self) -> IrcConnection:
        if self._conn is None:
            conn = self._connect()
            await conn.open()
            for msg in conn.backlog:
                if msg.command == "USERSTATE":
                    self._on_userstate(is_elevated(msg))
            self._conn = conn
        return self._conn

    async def send(self, text: str, reply_to: str | None) -> tuple[str | None, str | None]:
        """Send one message; return (message id if Twitch gave one, drop code or None)."""
        async with self._lock:
            conn = await self._catch_up(await self._connection())
            tags = {"reply-parent-msg-id": reply_to} if reply_to else None
            line = format_line("PRIVMSG", [f"#{conn.channel}", text], tags=tags)
            try:
                await conn.write(line)
            except TransientError:
                await self.close()
                conn = await self._connection()
                await conn.write(line)
            if "twitch.tv/commands" not in conn.caps:
                return None, None  # no confirmations without the commands capability
            return await self._confirmation(conn)

    async def _catch_up(self, conn: IrcConnection) -> IrcConnection:
        """Consume what arrived since the last send (chat, PINGs, late NOTICEs) without waiting,
        so a stale answer is never taken for this send's; reopen if the server hung up."""
        try:
            while True:
                async with asyncio.timeout(0):  # returns lines already buffered, then times out
                    msg = await conn.read()
                if msg is not None and msg.command == "PING":
                    await conn.write(format_line("PONG", msg.params or ["tmi.twitch.tv"]))
                elif msg is not None and msg.command == "USERSTATE":
                    self._on_userstate(is_elevated(msg))
        except TimeoutError:
            return conn
        except TransientError:
            await self.close()
            return await self._connection()

    async def _confirmation(self, conn: IrcConnection) -> tuple[str | None, str | None]:
        try:
            async with asyncio.timeout(self.confirm_seconds):
                while True:
                    msg = await conn.read()
                    if msg is None:
                        continue
                    if msg.command == "PING":
                        await conn.write(format_line("PONG", msg.params or ["tmi.twitch.tv"]))
                    elif msg.command == "USERSTATE":
                        self._on_userstate(is_elevated(msg))
                        return msg.tags.get("id") or None, None
                    elif msg.command == "NOTICE" and msg.tags.get("msg-id"):
                        return None, msg.tags["msg-id"]
        except TimeoutError:
            _LOGGER.warning("irc: no USERSTATE or NOTICE after a send; assuming it went out")
            return None, None
        except TransientError:
            await self.close()
            raise
