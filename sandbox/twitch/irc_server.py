"""Emulated Twitch IRC (TMI) server on 127.0.0.1: plain TCP and TLS, tags, NOTICEs, PING."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.twitch.state import MAX_CHARS, Account, ChatLine, TwitchWorld

_LOGGER = logging.getLogger(__name__)

KNOWN_CAPS = ("twitch.tv/tags", "twitch.tv/commands", "twitch.tv/membership")
_ESC = str.maketrans({";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"})
_NOTICE_TEXT = {
    "msg_subsonly": "This room is in subscribers only mode.",
    "msg_followersonly": "This room is in followers-only mode.",
    "msg_banned": "You are permanently banned from talking in this channel.",
    "msg_ratelimit": "Your message was not sent because you are sending messages too quickly.",
    "msg_duplicate": "Your message was not sent because it is identical to the previous one you "
    "sent, less than 30 seconds ago.",
    "msg_slowmode": "This room is in slow mode and you are sending messages too quickly.",
}


def _tags(pairs: list[tuple[str, str]], shuffle: bool) -> str:
    if shuffle:
        pairs = random.sample(pairs, len(pairs))
    return "@" + ";".join(f"{k}={v.translate(_ESC)}" for k, v in pairs)


@dataclass(eq=False, slots=True)
class IrcPeer:
    """One connected IRC client."""

    writer: asyncio.StreamWriter
    caps: set[str] = field(default_factory=set)
    password: str | None = None
    nick: str | None = None
    account: Account | None = None
    channels: set[str] = field(default_factory=set)
    pong: asyncio.Event = field(default_factory=asyncio.Event)

    def send(self, line: str) -> None:
        if not self.writer.is_closing():
            self.writer.write(line.encode("utf-8") + b"\r\n")


class IrcServer:
    """A TMI look-alike; ``on_bot_line`` forwards the bot's accepted messages (to EventSub)."""

    def __init__(
        self,
        world: TwitchWorld,
        *,
        on_bot_line: Callable[[ChatLine], None],
        tls: ssl.SSLContext | None = None,
        ping_interval: float | None = None,
        ping_timeout: float = 10.0,
    ) -> None:
        self.world = world
        self.on_bot_line = on_bot_line
        self.tls = tls
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.refuse_caps = False
        self.shuffle_tags = False
        self.peers: set[IrcPeer] = set()
        self.received: list[str] = []
        self.pongs = 0
        self.changed = asyncio.Event()  # set at every JOIN and every disconnect
        self.pong_seen = asyncio.Event()  # set at every PONG from a client
        self.port = 0
        self.tls_port = 0
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        """Listen on ephemeral ports (plain, and TLS when a context was given)."""
        plain = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self._servers.append(plain)
        self.port = plain.sockets[0].getsockname()[1]
        if self.tls is not None:
            secure = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls)
            self._servers.append(secure)
            self.tls_port = secure.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close every client and listener."""
        for server in self._servers:
            server.close()
        for peer in list(self.peers):
            peer.writer.close()
        if self._tasks:
            _, stuck = await asyncio.wait(set(self._tasks), timeout=2.0)
            for task in stuck:
                task.cancel()
        for server in self._servers:
            await server.wait_closed()

    async def wait_idle(self) -> None:
        """Wait until no client is connected."""
        await self._idle.wait()

    # --- control -------------------------------------------------------------------------

    def in_room(self) -> list[IrcPeer]:
        """Clients joined to the channel."""
        return [p for p in self.peers if self.world.broadcaster.login in p.channels]

    def privmsg(self, line: ChatLine, *, skip: IrcPeer | None = None) -> None:
        """Deliver a chat line to every joined client (but ``skip``)."""
        chan = self.world.broadcaster.login
        author = line.author
        text = line.text
        tags = self._privmsg_tags(line)
        if line.reply_to and line.reply_to in self.world.lines:
            text = f"@{self.world.lines[line.reply_to].author.display_name} {text}"
        for peer in self.in_room():
            if peer is skip:
                continue
            prefix = _tags(tags, self.shuffle_tags) + " " if "twitch.tv/tags" in peer.caps else ""
            src = f"{author.login}!{author.login}@{author.login}.tmi.twitch.tv"
            peer.send(f"{prefix}:{src} PRIVMSG #{chan} :{text}")

    def _privmsg_tags(self, line: ChatLine) -> list[tuple[str, str]]:
        badges = ",".join(f"{k}/{v}" for k, v in line.badges)
        names = {k for k, _ in line.badges}
        tags = [
            ("badge-info", ""),
            ("badges", badges),
            ("color", "#1E90FF"),
            ("display-name", line.author.display_name),
            ("emotes", ""),
            ("first-msg", "0"),
            ("flags", ""),
            ("id", line.id),
            ("mod", "1" if "moderator" in names else "0"),
            ("returning-chatter", "0"),
            ("room-id", self.world.broadcaster.id),
            ("subscriber", "1" if "subscriber" in names else "0"),
            ("tmi-sent-ts", str(int(line.sent_at.timestamp() * 1000))),
            ("turbo", "0"),
            ("user-id", line.author.id),
            ("user-type", "mod" if "moderator" in names else ""),
        ]
        if line.bits:
            tags.append(("bits", str(line.bits)))
        intro = {"user_intro": "user-intro", "channel_points_highlighted": "highlighted-message"}
        if line.message_type in intro:
            tags.append(("msg-id", intro[line.message_type]))
        src = line.source
        if src is not None:  # Chatterino tests/snapshots/.../shared-chat-known.json
            tags += [
                ("source-badge-info", ""),
                ("source-badges", ",".join(f"{k}/{v}" for k, v in src.badges)),
                ("source-id", src.message_id),
                ("source-only", "0"),
                ("source-room-id", src.channel.id),
            ]
        elif self.world.shared_session:  # shared-chat-same-channel.json: our own room
            tags += [
                ("source-badge-info", ""),
                ("source-badges", badges),
                ("source-id", line.id),
                ("source-room-id", self.world.broadcaster.id),
            ]
        parent = self.world.lines.get(line.reply_to or "")
        if parent is not None:
            tags += [
                ("reply-parent-display-name", parent.author.display_name),
                ("reply-parent-msg-body", parent.text),
                ("reply-parent-msg-id", parent.id),
                ("reply-parent-user-id", parent.author.id),
                ("reply-parent-user-login", parent.author.login),
                ("reply-thread-parent-msg-id", parent.id),
                ("reply-thread-parent-user-login", parent.author.login),
            ]
        return tags

    def command(self, tags: list[tuple[str, str]], body: str, *, need: str = "") -> None:
        """Send ``:tmi.twitch.tv <body>`` to joined clients (with ``need`` capability)."""
        for peer in self.in_room():
            if need and need not in peer.caps:
                continue
            prefix = (
                _tags(tags, self.shuffle_tags) + " "
                if tags and "twitch.tv/tags" in peer.caps
                else ""
            )
            peer.send(f"{prefix}:tmi.twitch.tv {body}")

    def send_reconnect(self) -> None:
        """Send ``RECONNECT`` to every client, then drop them shortly after."""
        loop = asyncio.get_running_loop()
        for peer in list(self.peers):
            peer.send(":tmi.twitch.tv RECONNECT")
            loop.call_later(0.2, peer.writer.close)

    def drop_all(self) -> None:
        """Abruptly close every client connection."""
        for peer in list(self.peers):
            peer.writer.transport.abort()

    def send_raw(self, raw: bytes) -> None:
        """Write raw bytes to every client (bad-input tests)."""
        for peer in list(self.peers):
            peer.writer.write(raw)

    # --- one client ----------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        peer = IrcPeer(writer)
        self.peers.add(peer)
        self._idle.clear()
        pinger = asyncio.create_task(self._pinger(peer)) if self.ping_interval else None
        try:
            while True:
                raw = await reader.readline()
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line and not self._on_line(peer, line):
                    return
                await writer.drain()
        except (ConnectionError, ValueError, asyncio.IncompleteReadError):
            return
        finally:
            if pinger is not None:
                pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pinger
            self.peers.discard(peer)
            self.changed.set()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self._tasks.discard(task)
            if not self.peers:
                self._idle.set()

    async def _pinger(self, peer: IrcPeer) -> None:
        assert self.ping_interval is not None
        while True:
            await asyncio.sleep(self.ping_interval)
            peer.pong.clear()
            peer.send("PING :tmi.twitch.tv")
            try:
                async with asyncio.timeout(self.ping_timeout):
                    await peer.pong.wait()
            except TimeoutError:
                peer.writer.close()
                return

    def _on_line(self, peer: IrcPeer, line: str) -> bool:
        self.received.append(line)
        tags: dict[str, str] = {}
        if line.startswith("@"):
            raw_tags, _, line = line[1:].partition(" ")
            tags = dict(t.partition("=")[::2] for t in raw_tags.split(";"))
        head, _, trailing = line.partition(" :")
        words = head.split()
        if not words:
            return True
        cmd, args = words[0].upper(), words[1:]
        if cmd == "CAP" and args[:1] == ["LS"]:
            # Twitch answers CAP LS with its three caps (a HexChat log against
            # irc.chat.twitch.tv shows "Caps supported: twitch.tv/tags ...", pastebin 3mSzEa4M)
            peer.send(f":tmi.twitch.tv CAP * LS :{' '.join(KNOWN_CAPS)}")
        elif cmd == "CAP" and args[:1] == ["REQ"]:
            wanted = (trailing or " ".join(args[1:])).split()
            ok = not self.refuse_caps and all(c in KNOWN_CAPS for c in wanted)
            if ok:
                peer.caps.update(wanted)
            peer.send(f":tmi.twitch.tv CAP * {'ACK' if ok else 'NAK'} :{' '.join(wanted)}")
        elif cmd == "PASS":
            peer.password = (args[0] if args else trailing).removeprefix("oauth:")
        elif cmd == "NICK":
            return self._login(peer, (args[0] if args else trailing).lower())
        elif cmd in ("PING",):
            peer.send(f":tmi.twitch.tv PONG tmi.twitch.tv :{trailing or ' '.join(args)}")
        elif cmd == "PONG":
            peer.pong.set()
            self.pongs += 1
            self.pong_seen.set()
        elif peer.nick is None:
            return True
        elif cmd == "JOIN":
            for chan in (args[0] if args else trailing).split(","):
                self._join(peer, chan.lstrip("#").lower())
        elif cmd == "PART":
            peer.channels.discard((args[0] if args else "").lstrip("#"))
        elif cmd == "PRIVMSG" and args:
            self._bot_privmsg(peer, args[0].lstrip("#"), trailing, tags)
        elif cmd == "QUIT":
            return False
        return True

    def _login(self, peer: IrcPeer, nick: str) -> bool:
        if nick.startswith("justinfan"):
            peer.nick = nick
        else:
            token = self.world.tokens.get(peer.password or "")
            if token is None or "chat:read" not in token.scopes:
                peer.send(":tmi.twitch.tv NOTICE * :Login authentication failed")
                return False
            peer.nick = token.login
            peer.account = self.world.account(user_id=token.user_id)
        n = peer.nick
        for code, text in (
            ("001", "Welcome, GLHF!"),
            ("002", "Your host is tmi.twitch.tv"),
            ("003", "This server is rather new"),
            ("004", "-"),
            ("375", "-"),
            ("372", "You are in a maze of twisty passages, all alike."),
            ("376", ">"),
        ):
            peer.send(f":tmi.twitch.tv {code} {n} :{text}")
        if "twitch.tv/commands" in peer.caps and peer.account is not None:
            tags = "@badge-info=;badges=;color=;display-name=" + peer.account.display_name
            peer.send(
                f"{tags};emote-sets=0;user-id={peer.account.id};user-type= "
                ":tmi.twitch.tv GLOBALUSERSTATE"
            )
        return True

    def _userstate(self, peer: IrcPeer, chan: str) -> None:
        if "twitch.tv/commands" not in peer.caps:
            return
        mod = self.world.limiter.moderator and peer.account is self.world.bot
        badges = "moderator/1" if mod else ""
        name = peer.account.display_name if peer.account else peer.nick or ""
        tags = [
            ("badge-info", ""),
            ("badges", badges),
            ("color", ""),
            ("display-name", name),
            ("emote-sets", "0"),
            ("mod", "1" if mod else "0"),
            ("subscriber", "0"),
            ("user-type", "mod" if mod else ""),
        ]
        prefix = _tags(tags, self.shuffle_tags) + " " if "twitch.tv/tags" in peer.caps else ""
        peer.send(f"{prefix}:tmi.twitch.tv USERSTATE #{chan}")

    def _join(self, peer: IrcPeer, chan: str) -> None:
        if not chan:
            return
        n = peer.nick
        peer.channels.add(chan)
        self.changed.set()
        peer.send(f":{n}!{n}@{n}.tmi.twitch.tv JOIN #{chan}")
        if "twitch.tv/membership" in peer.caps:
            peer.send(f":{n}.tmi.twitch.tv 353 {n} = #{chan} :{n}")
            peer.send(f":{n}.tmi.twitch.tv 366 {n} #{chan} :End of /NAMES list")
        self._userstate(peer, chan)
        if "twitch.tv/commands" in peer.caps:
            slow = str(self.world.limiter.slow_seconds)
            tags = [
                ("emote-only", "0"),
                ("followers-only", "-1"),
                ("r9k", "0"),
                ("room-id", self.world.broadcaster.id),
                ("slow", slow),
                ("subs-only", "0"),
            ]
            prefix = _tags(tags, self.shuffle_tags) + " " if "twitch.tv/tags" in peer.caps else ""
            peer.send(f"{prefix}:tmi.twitch.tv ROOMSTATE #{chan}")

    def _bot_privmsg(self, peer: IrcPeer, chan: str, text: str, tags: dict[str, str]) -> None:
        if peer.account is None or chan not in peer.channels:
            return  # anonymous or not joined: Twitch ignores it
        if len(text) > MAX_CHARS:
            return  # silently dropped, as Twitch does
        reply_to = tags.get("reply-parent-msg-id") or None
        line, code = self.world.bot_message(text, reply_to)
        if line is None:
            notice = _NOTICE_TEXT.get(code or "", "Your message was not sent.")
            prefix = f"@msg-id={code} " if "twitch.tv/tags" in peer.caps else ""
            peer.send(f"{prefix}:tmi.twitch.tv NOTICE #{chan} :{notice}")
            return
        self._userstate(peer, chan)
        self.privmsg(line, skip=peer)
        self.on_bot_line(line)
