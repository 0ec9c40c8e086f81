"""The Twitch emulator: Helix + OAuth over HTTP, EventSub WebSocket and IRC, all on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import uvicorn

from sandbox.inloop import InLoopServer
from sandbox.twitch.certs import server_context, write_self_signed
from sandbox.twitch.eventsub_server import EventSubServer
from sandbox.twitch.helix_app import HelixRoutes
from sandbox.twitch.irc_server import IrcServer
from sandbox.twitch.state import BotSend, ChatLine, SharedSource, TwitchWorld

_LOGGER = logging.getLogger(__name__)


class TwitchEmulator:
    """``async with TwitchEmulator() as emu``: every Twitch surface the connector talks to.

    URLs: ``helix_url``, ``oauth_url``, ``eventsub_url``; IRC on ``irc_port`` (plain) and
    ``irc_tls_port`` (TLS, trust ``ca_file``). Credentials: ``token``, ``refresh_token``,
    ``client_id``, ``client_secret``. Control: ``inject_message``, ``inject_messages``,
    ``delete_message``, ``ban_user``, ``server_reconnect``, ``fail_next``, ``close_eventsub``,
    ``drop_connections``; the bot's messages are in ``bot_sends``.
    """

    def __init__(
        self,
        *,
        channel: str = "shopstream_demo",
        bot_login: str = "shopstream_bot",
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        min_keepalive: float = 10.0,
        reconnect_grace: float = 30.0,
        irc_ping_interval: float | None = None,
        irc_ping_timeout: float = 10.0,
        tls: bool = True,
    ) -> None:
        self.world = TwitchWorld(channel=channel, bot_login=bot_login, clock=clock, now=now)
        self.eventsub = EventSubServer(
            self.world, min_keepalive=min_keepalive, reconnect_grace=reconnect_grace
        )
        self.helix = HelixRoutes(self.world, self.eventsub, on_bot_line=self._bot_line)
        self._tls = tls
        self._irc_ping = (irc_ping_interval, irc_ping_timeout)
        self.irc: IrcServer | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ca_file: str | None = None
        self._server: uvicorn.Server | None = None
        self._serve_task: asyncio.Task[None] | None = None
        self.base_url = ""
        self.unheard: list[str] = []  # ids of chat lines no connected client received

    # --- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.eventsub.start()
        tls_ctx = None
        if self._tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="twitch-emu-")
            cert, key = await asyncio.to_thread(write_self_signed, Path(self._tmp.name))
            self.ca_file = str(cert)
            tls_ctx = server_context(cert, key)
        self.irc = IrcServer(
            self.world,
            on_bot_line=self._bot_line_from_irc,
            tls=tls_ctx,
            ping_interval=self._irc_ping[0],
            ping_timeout=self._irc_ping[1],
        )
        await self.irc.start()
        config = uvicorn.Config(
            self.helix.app(),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
            ws="none",
            access_log=False,
        )
        self._server = InLoopServer(config)
        self._serve_task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._serve_task.done():
                self._serve_task.result()
                raise RuntimeError("uvicorn stopped before starting")
            await asyncio.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.eventsub.stop()
        if self.irc is not None:
            await self.irc.stop()
        if self._server is not None and self._serve_task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._serve_task
        if self._tmp is not None:
            self._tmp.cleanup()

    # --- addresses and credentials -------------------------------------------------------

    @property
    def helix_url(self) -> str:
        """Base of the Helix routes."""
        return f"{self.base_url}/helix"

    @property
    def oauth_url(self) -> str:
        """Base of validate and token."""
        return f"{self.base_url}/oauth2"

    @property
    def eventsub_url(self) -> str:
        """EventSub WebSocket URL."""
        return self.eventsub.url

    @property
    def irc_port(self) -> int:
        """Plain-TCP IRC port."""
        return self.irc.port if self.irc else 0

    @property
    def irc_tls_port(self) -> int:
        """TLS IRC port (trust ``ca_file``)."""
        return self.irc.tls_port if self.irc else 0

    @property
    def token(self) -> str:
        """The bot's current access token."""
        return self.world.token

    @property
    def refresh_token(self) -> str:
        """The bot's refresh token."""
        return self.world.refresh_token

    @property
    def client_id(self) -> str:
        """The application's client id."""
        return self.world.client_id

    @property
    def client_secret(self) -> str:
        """The application's client secret."""
        return self.world.client_secret

    @property
    def bot_sends(self) -> list[BotSend]:
        """Every message the bot tried to post (sent or dropped), oldest first."""
        return self.world.bot_sends

    # --- chat control --------------------------------------------------------------------

    def inject_message(
        self,
        text: str,
        *,
        author_id: str = "300300",
        author_name: str = "viewer",
        badges: Iterable[str] = (),
        reply_to: str | None = None,
        shared_from: str | None = None,
        source_badges: Iterable[str] = (),
        message_type: str = "text",
        bits: int = 0,
    ) -> str:
        """Make a viewer say ``text`` (fanned out to IRC and EventSub); return its message id.

        ``shared_from`` names a Shared Chat partner channel the viewer typed it in (with
        ``source_badges``, their badges there); it turns the session on. ``message_type``
        is EventSub's (``user_intro`` ...); ``bits`` > 0 makes it a cheer (the text should
        start with its cheermote, e.g. ``Cheer100``).
        """
        author = self.world.account(user_id=author_id, login=author_name)
        names = list(badges)
        if author is self.world.broadcaster and "broadcaster" not in names:
            names.insert(0, "broadcaster")  # Twitch always shows the streamer's badge
        badge_pairs = tuple((b, "1") for b in names)
        source = None
        if shared_from is not None:
            self.world.shared_session = True
            source = SharedSource(
                self.world.partner(shared_from),
                str(uuid.uuid4()),  # its id in the partner's chat differs from ours
                tuple((b, "1") for b in source_badges),
            )
        line = self.world.new_line(
            author, text, badges=badge_pairs, reply_to=reply_to, source=source
        )
        line.message_type, line.bits = message_type, bits
        self._fan_out(line)
        return line.id

    def inject_messages(self, messages: Iterable[Mapping[str, Any]]) -> list[str]:
        """Batch form of :meth:`inject_message` (dicts of its keyword arguments)."""
        return [self.inject_message(**dict(m)) for m in messages]

    def delete_message(self, message_id: str) -> None:
        """A moderator deletes one message (CLEARMSG / channel.chat.message_delete)."""
        line = self.world.lines.get(message_id)
        login = line.author.login if line else ""
        b = self.world.broadcaster
        ts = str(int(self.world.now().timestamp() * 1000))
        if self.irc is not None:
            tags = [
                ("login", login),
                ("room-id", b.id),
                ("target-msg-id", message_id),
                ("tmi-sent-ts", ts),
            ]
            text = line.text if line else ""
            self.irc.command(tags, f"CLEARMSG #{b.login} :{text}", need="twitch.tv/commands")
        event = {**self._broadcaster_fields(), "message_id": message_id}
        if line is not None:
            event.update(self._target_fields(line.author.id, line.author.login))
        self.eventsub.notify("channel.chat.message_delete", event)

    def ban_user(
        self, user_id: str, *, login: str | None = None, duration: int | None = None
    ) -> None:
        """Ban (or time out for ``duration`` s) a viewer (CLEARCHAT / clear_user_messages)."""
        acc = self.world.account(user_id=user_id, login=login)
        b = self.world.broadcaster
        if self.irc is not None:
            tags = [
                ("room-id", b.id),
                ("target-user-id", acc.id),
                ("tmi-sent-ts", str(int(self.world.now().timestamp() * 1000))),
            ]
            if duration is not None:
                tags.insert(0, ("ban-duration", str(duration)))
            self.irc.command(tags, f"CLEARCHAT #{b.login} :{acc.login}", need="twitch.tv/commands")
        event = {**self._broadcaster_fields(), **self._target_fields(acc.id, acc.login)}
        self.eventsub.notify("channel.chat.clear_user_messages", event)

    def set_moderator(self, moderator: bool) -> None:
        """Make the bot a moderator (100 / 30 s) or not (20 / 30 s)."""
        self.world.limiter.moderator = moderator

    def set_slow_mode(self, seconds: int) -> None:
        """Turn slow mode on (seconds between messages) or off (0); ROOMSTATE tells IRC clients."""
        self.world.limiter.slow_seconds = seconds
        if self.irc is not None:
            b = self.world.broadcaster
            self.irc.command(
                [("room-id", b.id), ("slow", str(seconds))],
                f"ROOMSTATE #{b.login}",
                need="twitch.tv/commands",
            )

    def set_chat_modes(
        self, *, followers_only: bool | None = None, subs_only: bool | None = None
    ) -> None:
        """Turn followers-only / subscribers-only chat on or off (moderators are exempt)."""
        limiter = self.world.limiter
        tags = [("room-id", self.world.broadcaster.id)]
        if followers_only is not None:
            limiter.followers_only = followers_only
            tags.append(("followers-only", "0" if followers_only else "-1"))
        if subs_only is not None:
            limiter.subs_only = subs_only
            tags.append(("subs-only", "1" if subs_only else "0"))
        if self.irc is not None:
            b = self.world.broadcaster.login
            self.irc.command(tags, f"ROOMSTATE #{b}", need="twitch.tv/commands")

    def ban_bot(self, banned: bool = True) -> None:
        """Ban the bot from the channel (its messages are refused with ``msg_banned``)."""
        self.world.limiter.banned = banned

    def inject_usernotice(self, msg_id: str, *, login: str, text: str = "", **params: str) -> None:
        """Send a USERNOTICE (sub, raid, announcement ...) to IRC clients."""
        acc = self.world.account(user_id=str(zlib.crc32(login.encode()) % 10**8), login=login)
        b = self.world.broadcaster
        tags = [("badge-info", ""), ("badges", ""), ("display-name", acc.display_name),
                ("id", str(uuid.uuid4())), ("login", acc.login), ("msg-id", msg_id),
                ("room-id", b.id), ("system-msg", f"{acc.display_name} {msg_id}"),
                ("tmi-sent-ts", str(int(self.world.now().timestamp() * 1000))),
                ("user-id", acc.id)] + [(f"msg-param-{k.replace('_', '-')}", v)
                                        for k, v in params.items()]  # fmt: skip
        body = f"USERNOTICE #{b.login}" + (f" :{text}" if text else "")
        if self.irc is not None:
            self.irc.command(tags, body, need="twitch.tv/commands")

    def set_live(self, live: bool) -> None:
        """Start or end the stream (``GET /helix/streams``; ``stream.offline`` when it ends)."""
        was_live, self.world.live = self.world.live, live
        if was_live and not live:
            self.eventsub.notify("stream.offline", self._broadcaster_fields())

    # --- faults --------------------------------------------------------------------------

    async def server_reconnect(self) -> None:
        """EventSub ``session_reconnect`` and IRC ``RECONNECT`` to every client."""
        self.eventsub.reconnect()
        if self.irc is not None:
            self.irc.send_reconnect()

    def fail_next(self, route: str, status: int) -> None:
        """Make the next call to a route (``chat/messages``, ``eventsub/subscriptions``,
        ``users``, ``streams``, ``validate``, ``token``) answer ``status``."""
        self.helix.fail_next(route, status)

    def revoke_tokens(self) -> None:
        """Invalidate every access and refresh token."""
        self.world.revoke_all()

    def close_eventsub(self, code: int) -> None:
        """Close every EventSub session with ``code`` (4000-4007)."""
        self.eventsub.close_all(code)

    def drop_connections(self) -> None:
        """Abruptly drop every EventSub and IRC connection (no close frame)."""
        self.eventsub.close_all(1006, abort=True)
        if self.irc is not None:
            self.irc.drop_all()

    async def wait_idle(self) -> None:
        """Wait until no EventSub or IRC client is connected."""
        await self.eventsub.wait_idle()
        if self.irc is not None:
            await self.irc.wait_idle()

    # --- fan-out -------------------------------------------------------------------------

    def _broadcaster_fields(self) -> dict[str, str]:
        b = self.world.broadcaster
        return {
            "broadcaster_user_id": b.id,
            "broadcaster_user_login": b.login,
            "broadcaster_user_name": b.display_name,
        }

    @staticmethod
    def _target_fields(user_id: str, login: str) -> dict[str, str]:
        return {"target_user_id": user_id, "target_user_login": login, "target_user_name": login}

    def _fan_out(self, line: ChatLine) -> None:
        heard = 0
        if self.irc is not None:
            heard += len(list(self.irc.in_room()))
            self.irc.privmsg(line)
        heard += self._notify_chat(line)
        if not heard:  # Twitch does not replay chat: nobody reading, nobody will read it
            self.unheard.append(line.id)

    def _bot_line(self, line: ChatLine) -> None:  # sent over Helix: IRC clients see it too
        if self.irc is not None:
            self.irc.privmsg(line)
        self._notify_chat(line)

    def _bot_line_from_irc(self, line: ChatLine) -> None:  # IRC already fanned it out
        self._notify_chat(line)

    def _notify_chat(self, line: ChatLine) -> int:
        parent = self.world.lines.get(line.reply_to or "")
        text = f"@{parent.author.display_name} {line.text}" if parent else line.text
        reply = None
        fragments = _fragments(line.text, line.bits)
        if parent is not None:
            # a reply to a reply joins its parent's thread (threads are one level deep)
            root = self.world.lines.get(parent.reply_to or "") or parent
            reply = {
                "parent_message_id": parent.id,
                "parent_message_body": parent.text,
                "parent_user_id": parent.author.id,
                "parent_user_name": parent.author.display_name,
                "parent_user_login": parent.author.login,
                "thread_message_id": root.id,
                "thread_user_id": root.author.id,
                "thread_user_name": root.author.display_name,
                "thread_user_login": root.author.login,
            }
            p = parent.author
            mention = {"user_id": p.id, "user_name": p.display_name, "user_login": p.login}
            fragments = [
                _fragment("mention", f"@{p.display_name}", mention=mention),
                *_fragments(" " + line.text, line.bits),
            ]
        a = line.author
        src = line.source
        event = {
            **self._broadcaster_fields(),
            "chatter_user_id": a.id,
            "chatter_user_login": a.login,
            "chatter_user_name": a.display_name,
            "message_id": line.id,
            "message": {"text": text, "fragments": fragments},
            "message_type": line.message_type,
            "badges": [{"set_id": k, "id": v, "info": ""} for k, v in line.badges],
            "cheer": {"bits": line.bits} if line.bits else None,
            "color": "#1E90FF",
            "reply": reply,
            "channel_points_custom_reward_id": None,
            # Shared Chat: all null when typed in this channel (EventSub reference)
            "source_broadcaster_user_id": src.channel.id if src else None,
            "source_broadcaster_user_login": src.channel.login if src else None,
            "source_broadcaster_user_name": src.channel.display_name if src else None,
            "source_message_id": src.message_id if src else None,
            "source_badges": (
                [{"set_id": k, "id": v, "info": ""} for k, v in src.badges] if src else None
            ),
        }
        return self.eventsub.notify("channel.chat.message", event)


def _fragment(kind: str, text: str, **part: Any) -> dict[str, Any]:
    """One ``message.fragments[]`` entry: every one names all four parts, unused ones null
    (EventSub reference, channel.chat.message example)."""
    return {"type": kind, "text": text, "cheermote": None, "emote": None, "mention": None, **part}


def _fragments(text: str, bits: int) -> list[dict[str, Any]]:
    """A body as fragments: a leading cheermote (``Cheer100 ...``) when it cheers, then text."""
    head, space, rest = text.lstrip().partition(" ")
    amount = head.lower().removeprefix("cheer")
    if bits and head.lower().startswith("cheer") and amount.isdigit():
        tier = max(t for t in (1, 100, 1000, 5000, 10000) if t <= max(1, int(amount)))
        cheer = {"prefix": "cheer", "bits": int(amount), "tier": tier}
        out = [_fragment("cheermote", head, cheermote=cheer)]
        return out + ([_fragment("text", space + rest)] if rest else [])
    return [_fragment("text", text)]
