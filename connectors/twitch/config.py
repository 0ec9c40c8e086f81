"""Settings of the Twitch connector; secrets come only from environment variables.

Environment variables (never put them in settings.toml):

* ``SHOPSTREAM_TWITCH_TOKEN``: the bot's user access token (scopes ``user:read:chat``,
  ``user:write:chat``; ``chat:read`` and ``chat:edit`` for the IRC transport).
* ``SHOPSTREAM_TWITCH_CLIENT_ID``: the application's client id (sent as ``Client-Id``).
* ``SHOPSTREAM_TWITCH_REFRESH_TOKEN``: refresh token used when the access token is refused.
* ``SHOPSTREAM_TWITCH_CLIENT_SECRET``: client secret, needed with the refresh token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TOKEN_ENV = "SHOPSTREAM_TWITCH_TOKEN"
CLIENT_ID_ENV = "SHOPSTREAM_TWITCH_CLIENT_ID"
REFRESH_TOKEN_ENV = "SHOPSTREAM_TWITCH_REFRESH_TOKEN"
CLIENT_SECRET_ENV = "SHOPSTREAM_TWITCH_CLIENT_SECRET"

# The real endpoints, for the application's live mode (settings stay empty in the sandbox).
TWITCH_EVENTSUB_URL = "wss://eventsub.wss.twitch.tv/ws"
TWITCH_HELIX_URL = "https://api.twitch.tv/helix"
TWITCH_OAUTH_URL = "https://id.twitch.tv/oauth2"


class TwitchConfig(BaseModel):
    """One Twitch channel served by one bot account."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(False, description="Run the Twitch connector.")
    channel: str = Field(
        "shopstream_demo", min_length=1, description="Channel login (lowercase) to read and answer."
    )
    transport: Literal["eventsub", "irc"] = Field(
        "eventsub", description="Read over EventSub WebSocket (send via Helix) or over IRC."
    )
    eventsub_url: str | None = Field(
        None, description=f"EventSub WebSocket URL; live: {TWITCH_EVENTSUB_URL}."
    )
    helix_url: str | None = Field(None, description=f"Helix base URL; live: {TWITCH_HELIX_URL}.")
    oauth_url: str | None = Field(
        None, description=f"OAuth base URL (validate, token); live: {TWITCH_OAUTH_URL}."
    )
    irc_nick: str | None = Field(
        None,
        description="Bot login for IRC without Helix (with Helix it comes from the token).",
    )
    irc_host: str = Field("irc.chat.twitch.tv", description="IRC server host.")
    irc_port: int = Field(6697, ge=1, le=65535, description="IRC server port (6697 TLS, 6667).")
    irc_tls: bool = Field(True, description="Use TLS for IRC.")
    irc_ca_file: str | None = Field(
        None, description="Extra CA bundle (PEM) to trust for IRC TLS, e.g. the emulator's cert."
    )
    keepalive_timeout_seconds: float = Field(
        10, gt=0, le=600, description="EventSub keepalive asked for (Twitch allows 10-600 s)."
    )
    keepalive_grace_seconds: float = Field(
        5, ge=0, description="Extra silence tolerated beyond the keepalive before reconnecting."
    )
    validate_interval_seconds: float = Field(
        3600, gt=0, description="Re-validate the token this often (Twitch requires hourly)."
    )
    http_timeout_seconds: float = Field(10, gt=0, description="Timeout of one Helix/OAuth call.")
    irc_ping_interval_seconds: float = Field(
        60, gt=0, description="Send our own PING after this much silence on IRC."
    )
    send_confirm_seconds: float = Field(
        2, gt=0, description="How long an IRC send waits for USERSTATE or a NOTICE."
    )
    delivery_allowance_seconds: float = Field(
        0.25,
        ge=0,
        description="While connected, chat sent before now minus this is taken as delivered"
        " (the fairness gate need not wait for a quiet channel).",
    )
    shared_chat_answers: bool = Field(
        False,
        description="Answer questions typed in a Shared Chat partner's channel (they never"
        " claim, cancel or command here either way).",
    )
    assume_moderator: bool = Field(
        False, description="Start at the 100/30 s tier before Twitch confirms the bot is a mod."
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TwitchSecrets:
    """Credentials read from the environment; ``repr`` never shows them."""

    token: str = field(repr=False)
    client_id: str = field(default="", repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TwitchSecrets:
        """Read the ``SHOPSTREAM_TWITCH_*`` variables (empty token when unset)."""
        env = os.environ if environ is None else environ
        return cls(
            token=env.get(TOKEN_ENV, "").removeprefix("oauth:"),
            client_id=env.get(CLIENT_ID_ENV, ""),
            refresh_token=env.get(REFRESH_TOKEN_ENV) or None,
            client_secret=env.get(CLIENT_SECRET_ENV) or None,
        )
