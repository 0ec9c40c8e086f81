"""Twitch's part of the connector contract: the emulator plus an EventSub/Helix connector."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from connectors.twitch.config import TwitchConfig, TwitchSecrets
from connectors.twitch.connector import TwitchConnector
from sandbox.twitch import TwitchEmulator
from tests.contract.harness import FailureKind, Phase, SentRecord

_ROUTES = {"send": "chat/messages", "read": "eventsub/subscriptions"}
_STATUS = {"rate_limit": 429, "server_error": 503}


class TwitchHarness:
    """The Twitch emulator (Helix, OAuth, EventSub) and connectors configured for it."""

    platform = "twitch"

    def __init__(self, *, transport: str = "eventsub") -> None:
        self.emu = TwitchEmulator(min_keepalive=1.0, reconnect_grace=5.0)
        self.transport = transport

    async def __aenter__(self) -> Self:
        await self.emu.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.emu.__aexit__(exc_type, exc, tb)

    def config(self) -> TwitchConfig:
        """Settings pointing at the emulator."""
        return TwitchConfig(
            enabled=True,
            channel=self.emu.world.broadcaster.login,
            transport="irc" if self.transport == "irc" else "eventsub",
            eventsub_url=self.emu.eventsub_url,
            helix_url=self.emu.helix_url,
            oauth_url=self.emu.oauth_url,
            irc_host="127.0.0.1",
            irc_port=self.emu.irc_tls_port,
            irc_tls=True,
            irc_ca_file=self.emu.ca_file,
            keepalive_timeout_seconds=1.0,
            keepalive_grace_seconds=2.0,
            http_timeout_seconds=5.0,
        )

    def secrets(self) -> TwitchSecrets:
        """The emulator's bot credentials (as the environment would give them)."""
        return TwitchSecrets(
            token=self.emu.token,
            client_id=self.emu.client_id,
            refresh_token=self.emu.refresh_token,
            client_secret=self.emu.client_secret,
        )

    def connector(self) -> TwitchConnector:
        return TwitchConnector(self.config(), secrets=self.secrets())

    async def inject_message(self, *, text: str, author_id: str, author_name: str) -> str:
        if self.transport == "eventsub":
            await self._subscribed()
        return self.emu.inject_message(text, author_id=author_id, author_name=author_name)

    async def _subscribed(self) -> None:
        """Give a reader that is starting up a moment to subscribe (a viewer typing before the
        bot listens is simply not seen, as on Twitch); no reader at all costs one second."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await self.emu.eventsub.subscribed.wait()

    async def server_reconnect(self) -> None:
        await self.emu.server_reconnect()

    def fail_next(self, kind: FailureKind, *, on: Phase) -> bool:
        if kind == "auth":
            self.emu.revoke_tokens()
            return True
        self.emu.fail_next(_ROUTES[on], _STATUS[kind])
        return True

    async def sent(self) -> list[SentRecord]:
        return [SentRecord(s.text, s.reply_to_id) for s in self.emu.bot_sends if s.sent]

    async def wait_disconnected(self) -> bool:
        await self.emu.wait_idle()
        return True


def HARNESS() -> TwitchHarness:
    """A fresh Twitch harness."""
    return TwitchHarness()
