"""The IRC transport: one connection per connector, pumped by one task; reads and sends share it.

Servers refuse a second connection under the same nick (``433 ERR_NICKNAMEINUSE``), so the
reader and the sender use the same connection. A single pump task owns every read on it:
it answers PINGs, sends our own PING after silence, follows Twitch's RECONNECT, learns the
bot's tier from USERSTATE/ROOMSTATE, hands chat lines to the reader (when one listens) and
server answers to the send waiting for them (see :class:`~connectors.twitch.ircregister.SendJudge`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import suppress
from datetime import datetime

from connectors.errors import ConnectorError, TransientError
from connectors.events import ChatEvent, ChatMessage
from connectors.twitch.irc import IrcMessage, format_line
from connectors.twitch.ircclient import IrcConnection
from connectors.twitch.ircregister import Outcome, SendJudge, pong_for
from connectors.twitch.translate import badge_names, irc_event
from connectors.values import ascii_int

_LOGGER = logging.getLogger(__name__)
PLATFORM = "twitch"
_ELEVATED = frozenset({"moderator", "broadcaster", "lead_moderator"})
_Item = IrcMessage | ConnectorError
# ROOMSTATE slow is in seconds; Helix (Update Chat Settings) allows 3..120, a day bounds
# what we believe
MAX_SLOW_SECONDS = 86_400
# Commands Twitch (dev.twitch.tv/docs/chat/irc) or a standard server (RFC 2812, IRCv3) sends
# that carry no chat event for us; numerics are the server's too. Anything else is unknown:
# logged once per command, then ignored.
KNOWN_COMMANDS = frozenset(
    {
        "PING", "PONG", "CAP", "ERROR", "JOIN", "PART", "QUIT", "NICK", "MODE", "TOPIC",
        "KICK", "INVITE", "AWAY", "ACCOUNT", "CHGHOST", "SETNAME", "BATCH", "TAGMSG",
        "WALLOPS", "AUTHENTICATE", "NOTICE", "PRIVMSG", "USERNOTICE", "CLEARMSG",
        "CLEARCHAT", "USERSTATE", "ROOMSTATE", "GLOBALUSERSTATE", "HOSTTARGET", "WHISPER",
        "RECONNECT",
    }
)  # fmt: skip


def is_elevated(userstate: IrcMessage) -> bool:
    """Whether a USERSTATE says the bot is a moderator or the broadcaster (the 100/30 s tier)."""
    tags = userstate.tags
    return tags.get("mod") == "1" or bool(set(badge_names(tags.get("badges", ""))) & _ELEVATED)


class IrcLink:
    """The connector's one IRC connection and the task that reads it."""

    def __init__(
        self,
        connect: Callable[[], IrcConnection],
        *,
        ping_interval: float,
        on_userstate: Callable[[bool], None],
        on_slow: Callable[[float], None],
        tick: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._connect = connect
        self.ping_interval = ping_interval
        self._on_userstate = on_userstate
        self._on_slow = on_slow
        self._tick = tick
        self.conn: IrcConnection | None = None
        self._pump: asyncio.Task[None] | None = None
        self._open_lock = asyncio.Lock()
        self._listener: asyncio.Queue[_Item] | None = None
        self._judge: SendJudge | None = None
        self._verdict: asyncio.Future[Outcome] | None = None

    async def connection(self) -> IrcConnection:
        """The open connection, opening it (and starting the pump) when there is none."""
        async with self._open_lock:
            if self.conn is None:
                conn = self._connect()
                await conn.open()
                self.conn = conn
                self._take_backlog(conn)  # now, before any send is waiting for answers
                self._pump = asyncio.create_task(self._run(conn))
            return self.conn

    def listen(self) -> asyncio.Queue[_Item]:
        """Start receiving chat lines (and the error that ends the connection)."""
        self._listener = asyncio.Queue()
        return self._listener

    def unlisten(self) -> None:
        """Stop receiving chat lines."""
        self._listener = None

    def expect(self, judge: SendJudge | None) -> asyncio.Future[Outcome] | None:
        """Route server answers to ``judge`` (None: stop); the future gets its outcome."""
        self._judge = judge
        self._verdict = asyncio.get_running_loop().create_future() if judge else None
        return self._verdict

    async def close(self) -> None:
        """Stop the pump and close the connection (safe to call twice).

        A reader still listening gets a TransientError: what arrives until its next session
        is not read, so it must not look as if the session went on.
        """
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.cancel()
            with suppress(asyncio.CancelledError):
                await pump
        conn, self.conn = self.conn, None
        if conn is not None:
            await conn.close()
            self._fail(TransientError("irc connection closed", platform=PLATFORM))

    # --- the pump ------------------------------------------------------------------------

    async def _run(self, conn: IrcConnection) -> None:
        try:
            await self._read_forever(conn)
        except ConnectorError as exc:
            self._fail(exc)
        except Exception:
            _LOGGER.exception("irc: reading failed")
            self._fail(TransientError("irc: reading failed", platform=PLATFORM))
        finally:
            if self.conn is not None and self._pump is asyncio.current_task():
                closing, self.conn, self._pump = self.conn, None, None
                await closing.close()

    def _fail(self, exc: ConnectorError) -> None:
        if self._verdict is not None and not self._verdict.done():
            self._verdict.set_exception(exc)
        if self._listener is not None:
            self._listener.put_nowait(exc)

    async def _read_forever(self, conn: IrcConnection) -> None:
        waiting_pong = False
        while True:
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
                await conn.write(pong_for(msg))
                if self._tick is not None:
                    await self._tick()
            elif msg.command == "RECONNECT":  # Twitch: join anew, then drop the old one
                _LOGGER.info("irc: RECONNECT, opening a new connection and rejoining")
                new = self._connect()
                await new.open()  # it closes itself when it fails or is cancelled
                old, self.conn = conn, new
                conn = new
                await old.close()
                self._take_backlog(new)
            elif msg.command == "ERROR":
                raise TransientError(f"irc server closed: {msg.trailing}", platform=PLATFORM)
            else:
                self._offer(msg)

    def _take_backlog(self, conn: IrcConnection) -> None:
        judge, self._judge = self._judge, None  # the join's USERSTATE confirms no send
        for msg in conn.backlog:
            self._offer(msg)
        conn.backlog.clear()
        self._judge = judge

    def _offer(self, msg: IrcMessage) -> None:
        if msg.command == "USERSTATE":
            self._on_userstate(is_elevated(msg))
        elif msg.command == "ROOMSTATE" and "slow" in msg.tags:
            slow = ascii_int(msg.tags["slow"], hi=MAX_SLOW_SECONDS)
            if slow is None:
                _LOGGER.warning("irc: unusable ROOMSTATE slow=%.20r; read as off", msg.tags["slow"])
            self._on_slow(float(slow or 0))
        if self._judge is not None and self._verdict is not None and not self._verdict.done():
            outcome = self._judge.feed(msg)
            if outcome is not None:
                self._verdict.set_result(outcome)
                return
        if self._listener is not None:
            self._listener.put_nowait(msg)


class IrcReader:
    """Turns the link's chat lines into events; raises the error that ends the connection."""

    def __init__(
        self,
        link: IrcLink,
        *,
        clock: Callable[[], datetime],
        bot_id: str,
        bot_login: str,
        on_ok: Callable[[], None],
        on_skip: Callable[[object, str], None] | None = None,
    ) -> None:
        self._link = link
        self._clock = clock
        self.bot_id = bot_id
        self.bot_login = bot_login.lower()
        self._on_ok = on_ok
        self._on_skip = on_skip
        self._unknown: set[str] = set()  # unknown commands already logged

    async def events(self) -> AsyncGenerator[ChatEvent, None]:
        """Yield chat events until the connection fails (then raise TransientError/AuthError)."""
        queue = self._link.listen()
        try:
            await self._link.connection()
            self._on_ok()
            while True:
                item = await queue.get()
                if isinstance(item, ConnectorError):
                    raise item
                event = self._handle(item)
                if event is not None:
                    yield event
        finally:
            self._link.unlisten()

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
        if msg.command == "NOTICE":
            _LOGGER.info("irc NOTICE %s", msg.tags.get("msg-id") or msg.trailing[:80])
            return None
        if msg.command not in ("PRIVMSG", "USERNOTICE", "CLEARMSG", "CLEARCHAT"):
            command = msg.command[:32]
            if not (command.isdigit() or command in KNOWN_COMMANDS or command in self._unknown):
                if len(self._unknown) < 1000:  # a server inventing commands: bounded memory
                    self._unknown.add(command)
                _LOGGER.warning("irc: unknown command %r ignored (logged once)", command)
            return None
        event = irc_event(msg, received_at=self._clock(), fallback_id=f"irc-{uuid.uuid4()}")
        if isinstance(event, ChatMessage) and (
            event.author_id == self.bot_id or (msg.nick or "").lower() == self.bot_login
        ):
            return None  # our own message (Twitch echoes it to other connections)
        return event


class IrcSender:
    """Sends PRIVMSGs on the link's connection and waits for the server to settle each one."""

    def __init__(self, link: IrcLink, *, confirm_seconds: float) -> None:
        self._link = link
        self.confirm_seconds = confirm_seconds
        self._lock = asyncio.Lock()

    async def send(self, text: str, reply_to: str | None) -> tuple[str | None, str | None]:
        """Send one message; return (message id if Twitch gave one, drop code or None).

        Threaded (``reply-parent-msg-id``) only when the server accepted tags; a plain PRIVMSG
        otherwise (a standard server answers a tagged line it cannot parse with ``421``).
        ``unconfirmed``: the server did not settle it in time, so it is not reported sent.

        Raises:
            TransientError: the connection failed during the send.
        """
        async with self._lock:
            conn = await self._link.connection()
            try:
                outcome = await self._attempt(conn, text, reply_to)
            except _WriteFailed:  # nothing went out: one more try on a fresh connection
                if self._link.conn is conn:
                    await self._link.close()
                try:
                    outcome = await self._attempt(await self._link.connection(), text, reply_to)
                except _WriteFailed as failed:
                    raise failed.error from None
        return outcome.message_id, None if outcome.sent else outcome.code

    async def _attempt(self, conn: IrcConnection, text: str, reply_to: str | None) -> Outcome:
        tags = {"reply-parent-msg-id": reply_to} if reply_to and conn.tags_enabled else None
        twitch = "twitch.tv/commands" in conn.caps
        token = None if twitch else f"shopstream-{uuid.uuid4().hex[:16]}"
        verdict = self._link.expect(SendJudge(channel=conn.channel, ping_token=token))
        assert verdict is not None
        try:
            try:
                await conn.write(format_line("PRIVMSG", [f"#{conn.channel}", text], tags=tags))
            except TransientError as exc:
                raise _WriteFailed(exc) from None
            if token is not None:
                await conn.write(f"PING :{token}")
            async with asyncio.timeout(self.confirm_seconds):
                return await verdict
        except TimeoutError:
            _LOGGER.warning("irc: the server did not settle a send in time; not reported sent")
            return Outcome(sent=False, code="unconfirmed")
        except TransientError:  # gone after the PRIVMSG left: it may or may not have arrived
            _LOGGER.warning("irc: connection lost before the send was settled")
            return Outcome(sent=False, code="unconfirmed")
        finally:
            self._link.expect(None)


class _WriteFailed(Exception):
    """The PRIVMSG could not be written (so it certainly did not go out)."""

    def __init__(self, error: TransientError) -> None:
        super().__init__(str(error))
        self.error = error
