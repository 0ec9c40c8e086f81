"""Helpers for the Twitch connector tests: connectors pointed at the emulator (the reader is
:class:`tests.support.reader.Reader`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.twitch.config import TwitchConfig, TwitchSecrets
from connectors.twitch.connector import TwitchConnector
from sandbox.twitch import TwitchEmulator

TIMEOUT = 10.0


def config_for(emu: TwitchEmulator, **overrides: Any) -> TwitchConfig:
    """Settings pointing at ``emu`` (EventSub by default, small timeouts)."""
    values: dict[str, Any] = {
        "enabled": True,
        "channel": emu.world.broadcaster.login,
        "eventsub_url": emu.eventsub_url,
        "helix_url": emu.helix_url,
        "oauth_url": emu.oauth_url,
        "irc_host": "127.0.0.1",
        "irc_port": emu.irc_tls_port or emu.irc_port,
        "irc_tls": emu.ca_file is not None,
        "irc_ca_file": emu.ca_file,
        # Twitch's shortest keepalive (10 s) and grace: no test waits on one or is cut off by
        # a late one; tests that need a keepalive send it (``emu.eventsub.keepalive_now()``)
        "keepalive_timeout_seconds": 10.0,
        "keepalive_grace_seconds": 5.0,
        "http_timeout_seconds": 5.0,
        "send_confirm_seconds": 2.0,
    }
    values.update(overrides)
    return TwitchConfig(**values)


def secrets_for(emu: TwitchEmulator, **overrides: Any) -> TwitchSecrets:
    """The emulator's credentials."""
    values: dict[str, Any] = {
        "token": emu.token,
        "client_id": emu.client_id,
        "refresh_token": emu.refresh_token,
        "client_secret": emu.client_secret,
    }
    values.update(overrides)
    return TwitchSecrets(**values)


def connector_for(
    emu: TwitchEmulator, *, monotonic: Callable[[], float] | None = None, **overrides: Any
) -> TwitchConnector:
    """A connector for ``emu`` (not yet opened)."""
    kwargs: dict[str, Any] = {}
    if monotonic is not None:
        kwargs["monotonic"] = monotonic
    return TwitchConnector(config_for(emu, **overrides), secrets=secrets_for(emu), **kwargs)
