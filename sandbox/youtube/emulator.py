"""An in-process YouTube Data API emulator on 127.0.0.1 (uvicorn on an ephemeral port)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import grpc
import uvicorn

from sandbox.inloop import InLoopServer
from sandbox.youtube.api import YouTubeApiState
from sandbox.youtube.app import build_app
from sandbox.youtube.oauth import GoogleOAuth
from sandbox.youtube.state import Author, ChatState, utc_now
from sandbox.youtube.stream_server import StreamListService, start_stream_server

_LOGGER = logging.getLogger(__name__)

_STARTUP_TIMEOUT = 10.0


class YouTubeEmulator:
    """One live broadcast with chat, served like ``youtube.googleapis.com`` on 127.0.0.1.

    Use ``async with YouTubeEmulator() as emu`` and point the connector at ``emu.base_url``
    (``YouTubeConfig.for_emulator(emu.base_url, video_id=emu.video_id)``). Control methods
    inject viewer messages, deletions, bans, faults and the end of the chat.

    Args:
        clock: the emulator's time (``publishedAt``, strict polling); injectable.
        polling_interval_ms: ``pollingIntervalMillis`` on every page.
        backlog: how many recent items the first page (no token) returns.
        daily_quota: units before 403 ``quotaExceeded``.
        costs: per-route units (``list``, ``insert``, ``delete``, ``videos``, ``broadcasts``).
        strict_polling: answer 403 ``rateLimitExceeded`` when polled sooner than the interval.
        broadcast_type: ``persistent`` ("Stream now") or ``event``.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = utc_now,
        polling_interval_ms: int = 2000,
        backlog: int = 20,
        daily_quota: int = 10_000,
        costs: Mapping[str, int] | None = None,
        strict_polling: bool = False,
        broadcast_type: str = "persistent",
    ) -> None:
        chat = ChatState(clock=clock, broadcast_type=broadcast_type, started_at=clock())
        self.state = YouTubeApiState(
            chat,
            polling_interval_ms=polling_interval_ms,
            backlog=backlog,
            daily_quota=daily_quota,
            costs=costs,
            strict_polling=strict_polling,
        )
        self.oauth = GoogleOAuth(self.state.auth)  # sandbox/youtube/oauth.py
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._grpc: grpc.aio.Server | None = None
        self._stream: StreamListService | None = None
        self.base_url = ""
        self.stream_target = ""  # host:port of the streamList gRPC service
        self._port = 0
        self._grpc_port = 0  # kept across a restart, like the HTTP port

    # --- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Start serving on 127.0.0.1 on a port the OS picks."""
        config = uvicorn.Config(
            build_app(self.state, self.oauth),
            host="127.0.0.1",
            port=self._port,  # 0 the first time; a restart keeps its port
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        server = InLoopServer(config)
        self._server = server
        self._task = asyncio.create_task(server.serve(), name="youtube-emulator")
        async with asyncio.timeout(_STARTUP_TIMEOUT):
            while not server.started:
                if self._task.done():
                    await self._task
                    raise RuntimeError("youtube emulator stopped during startup")
                await asyncio.sleep(0.005)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        self._port = port
        self.base_url = f"http://{host}:{port}"
        if self._stream is not None:  # a restart: the old service stops hearing the chat
            self.state.chat.listeners.remove(self._stream.changed_listener)
        self._grpc, self._stream, self._grpc_port = await start_stream_server(
            self.state, self._grpc_port
        )
        self.stream_target = f"127.0.0.1:{self._grpc_port}"
        _LOGGER.info("youtube emulator at %s (streamList at %s)", self.base_url, self.stream_target)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the servers."""
        if self._grpc is not None:
            await self._grpc.stop(grace=0.5)
            self._grpc = None
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = None
        self._task = None

    async def restart(self, down_seconds: float = 0.0) -> None:
        """Stop serving, stay down ``down_seconds``, serve again on the same port with the
        same chat and quota, as the API's front end restarting."""
        await self.__aexit__(None, None, None)
        await asyncio.sleep(down_seconds)
        await self.__aenter__()

    # --- what the connector needs to find the chat --------------------------------------

    @property
    def video_id(self) -> str:
        """The live video's id (``videos.list?id=…``)."""
        return self.state.chat.video_id

    @property
    def live_chat_id(self) -> str:
        """The live chat id (``activeLiveChatId``)."""
        return self.state.chat.live_chat_id

    @property
    def owner_channel_id(self) -> str:
        """The channel that owns the broadcast (the bot posts as it)."""
        return self.state.chat.owner.channel_id

    @property
    def oauth_client(self) -> tuple[str, str, str]:
        """``(client_id, client_secret, refresh_token)`` the token endpoint accepts."""
        auth = self.state.auth
        return auth.client_id, auth.client_secret, auth.refresh_token

    # --- viewers and moderators ---------------------------------------------------------

    def inject_message(
        self,
        text: str,
        *,
        author_name: str = "Viewer",
        author_id: str | None = None,
        moderator: bool = False,
        member: bool = False,
        verified: bool = False,
        at: datetime | None = None,
    ) -> str:
        """Make a viewer say ``text``; return the new message id."""
        author = self.state.chat.author(
            author_name, author_id, moderator=moderator, member=member, verified=verified
        )
        return self.state.chat.add_text(text, author, at=at)

    def inject_messages(self, batch: Iterable[Mapping[str, Any]]) -> list[str]:
        """Inject many messages at once (each mapping holds ``inject_message`` arguments)."""
        return [self.inject_message(**dict(spec)) for spec in batch]

    def inject_owner_message(self, text: str) -> str:
        """Make the host (channel owner) type ``text`` from the channel account."""
        owner: Author = self.state.chat.owner
        return self.state.chat.add_text(text, owner)

    def inject_super_chat(
        self,
        text: str,
        *,
        author_name: str = "Viewer",
        author_id: str | None = None,
        amount_micros: int = 5_000_000,
        currency: str = "USD",
        display_amount: str = "$5.00",
    ) -> str:
        """Make a viewer send a Super Chat with a comment; return its id."""
        author = self.state.chat.author(author_name, author_id)
        return self.state.chat.add_super_chat(
            text,
            author,
            amount_micros=amount_micros,
            currency=currency,
            display_amount=display_amount,
        )

    def inject_member_milestone(
        self,
        text: str | None,
        *,
        author_name: str = "Viewer",
        author_id: str | None = None,
        months: int = 12,
    ) -> str:
        """Make a member post a milestone message (with their comment, if any); return its id."""
        author = self.state.chat.author(author_name, author_id)
        return self.state.chat.add_member_milestone(text, author, months=months)

    # --- streamList -----------------------------------------------------------------------

    def _streams(self) -> StreamListService:
        if self._stream is None:
            raise RuntimeError("use 'async with YouTubeEmulator()' first")
        return self._stream

    def stream_lifetime(self, seconds: float | None) -> None:
        """End each stream ``seconds`` after it opens (None: open for the whole broadcast)."""
        self._streams().lifetime_seconds = seconds

    def end_streams(self) -> None:
        """End every open streamList call now, cleanly (the client resumes by its token)."""
        self._streams().end_streams()

    def refuse_streaming(self, refuse: bool = True) -> None:
        """Answer streamList with UNIMPLEMENTED (a server that does not stream)."""
        self._streams().refuse = refuse

    @property
    def streams_opened(self) -> int:
        """How many streamList calls were accepted."""
        return self._streams().opened

    def inject_raw(self, *items: Any) -> None:
        """Append raw feed items as they are (malformed ones included)."""
        self.state.chat.insert_raw(items)

    def delete_message(self, message_id: str) -> bool:
        """Delete a message as the owner (a ``messageDeletedEvent`` follows)."""
        return self.state.chat.delete(message_id)

    def ban_user(self, channel_id: str, *, duration_seconds: int | None = None) -> None:
        """Ban a viewer, or time them out for ``duration_seconds``."""
        self.state.chat.ban(channel_id, duration_seconds=duration_seconds)

    def end_chat(self) -> None:
        """End the stream: ``chatEndedEvent``, ``offlineAt``, then 403 ``liveChatEnded``."""
        self.state.chat.end()

    def disable_chat(self) -> None:
        """The owner disables chat (403 ``liveChatDisabled``)."""
        self.state.chat.disabled = True

    # --- faults, auth and quota ---------------------------------------------------------

    def fail_next(
        self, route: str, reason: str, *, status: int | None = None, count: int = 1, skip: int = 0
    ) -> None:
        """Answer ``count`` calls of ``route`` (``list``, ``insert``, ``delete``, ``videos``,
        ``broadcasts``, ``token``), after letting ``skip`` through, with ``reason``'s exact
        error envelope."""
        self.state.fail_next(route, reason, status=status, count=count, skip=skip)

    def serve_garbage(
        self, route: str, body: str = "<html>oops</html>", *, status: int = 200, count: int = 1
    ) -> None:
        """Answer the next ``count`` calls of ``route`` with a body that is not JSON."""
        self.state.serve_raw(route, body, status=status, count=count)

    def expire_access_tokens(self) -> None:
        """Invalidate every access token so far (a refresh gets a new one)."""
        self.state.auth.expire_tokens()

    def revoke_refresh_token(self) -> None:
        """Make the refresh token invalid (``invalid_grant``), as when a user revokes access."""
        self.state.auth.refresh_valid = False

    def reset_quota(self, used: int = 0) -> None:
        """Set the units used today (the midnight-Pacific reset, on demand)."""
        self.state.quota_used = used

    def set_polling_interval(self, millis: int) -> None:
        """Change ``pollingIntervalMillis``."""
        self.state.polling_interval_ms = millis

    # --- observing ----------------------------------------------------------------------

    @property
    def quota_used(self) -> int:
        """Units spent today."""
        return self.state.quota_used

    @property
    def sent(self) -> list[str]:
        """Texts the bot inserted, oldest first."""
        items = self.state.chat.sent
        return [str(i["snippet"]["textMessageDetails"]["messageText"]) for i in items]

    def calls(self, route: str) -> int:
        """How many calls ``route`` received."""
        return self.state.calls[route]

    @property
    def token_refreshes(self) -> int:
        """Access tokens issued by ``POST /token``."""
        return self.state.auth.refreshes
