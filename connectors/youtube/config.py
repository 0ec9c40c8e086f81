"""Settings of the YouTube connector; OAuth secrets come only from the environment.

Environment variables (never put them in settings.toml):

* ``SHOPSTREAM_YOUTUBE_CLIENT_ID``: OAuth client id of the Google Cloud project.
* ``SHOPSTREAM_YOUTUBE_CLIENT_SECRET``: OAuth client secret.
* ``SHOPSTREAM_YOUTUBE_REFRESH_TOKEN``: refresh token of the channel the bot posts as
  (scope ``https://www.googleapis.com/auth/youtube.force-ssl``).
* ``SHOPSTREAM_YOUTUBE_ACCESS_TOKEN``: optional current access token (refreshed when it expires).

With none of them set the connector sends a placeholder bearer token, which only the sandbox
emulator accepts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ENV_CLIENT_ID = "SHOPSTREAM_YOUTUBE_CLIENT_ID"
ENV_CLIENT_SECRET = "SHOPSTREAM_YOUTUBE_CLIENT_SECRET"
ENV_REFRESH_TOKEN = "SHOPSTREAM_YOUTUBE_REFRESH_TOKEN"
ENV_ACCESS_TOKEN = "SHOPSTREAM_YOUTUBE_ACCESS_TOKEN"

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
# The streamList gRPC host ("Streaming Live Chat" guide, stream_list_demo.py)
STREAM_TARGET = "youtube.googleapis.com:443"
SANDBOX_TOKEN = "sandbox-access-token"
YOUTUBE_SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"


class QuotaSettings(BaseModel):
    """The daily YouTube Data API budget and what each call costs (units)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    daily_budget: int = Field(10_000, ge=1, description="Quota units per day for the project.")
    cost_list: int = Field(5, ge=1, description="Units per liveChatMessages.list call.")
    cost_insert: int = Field(
        20, ge=1, description="Units per liveChatMessages.insert (some docs say 50)."
    )
    cost_videos_list: int = Field(1, ge=1, description="Units per videos.list call.")
    cost_broadcasts_list: int = Field(1, ge=1, description="Units per liveBroadcasts.list call.")
    reply_reserve: int = Field(
        2_000, ge=0, description="Units kept back from polling so replies can still be sent."
    )
    planned_show_minutes: float = Field(
        120.0, gt=0, description="Planned show length; reads are spread over it."
    )
    projection_after_minutes: float = Field(
        10.0,
        ge=0,
        description="After this much show, hold back what replies will need at their pace.",
    )
    overrun_minutes: float = Field(
        30.0, gt=0, description="Horizon assumed at a time once a show runs past its plan."
    )
    min_interval_seconds: float = Field(
        1.0, ge=0, description="Never poll faster than this, whatever the server suggests."
    )
    reset_timezone: str = Field(
        "America/Los_Angeles", description="The quota resets at midnight in this zone."
    )


class YouTubeConfig(BaseModel):
    """Where the bot reads and writes YouTube live chat.

    Exactly how the chat is found: ``live_chat_id`` if set, else ``video_id`` (``videos.list``),
    else the authorised channel's active broadcast (``liveBroadcasts.list``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(False, description="Run the YouTube connector.")
    api_endpoint: str | None = Field(
        None,
        description="Base URL of the API; None until the app fills the sandbox emulator URL "
        "(set https://youtube.googleapis.com for real shows).",
    )
    token_uri: str | None = Field(
        None,
        description="OAuth token endpoint; None means '<api_endpoint>/token' for the emulator, "
        "set https://oauth2.googleapis.com/token for real shows.",
    )
    video_id: str | None = Field(None, description="Video id of the live stream to read.")
    live_chat_id: str | None = Field(None, description="Live chat id, if known already.")
    channel_id: str | None = Field(
        None, description="Channel the bot serves (its label in events; learned if unset)."
    )
    bot_channel_id: str | None = Field(
        None, description="Channel the bot posts as (learned from the broadcast or its sends)."
    )
    skip_own_channel: bool = Field(
        True,
        description="Skip every message from the bot's channel (set False when the host types "
        "commands from the same account; the bot's own sends are still skipped by id).",
    )
    skip_backlog: bool = Field(
        True, description="Drop first-page messages published before the connector opened."
    )
    max_results: int = Field(
        2000,
        ge=200,
        le=2000,
        description="maxResults per liveChatMessages.list (200-2000). Every page costs the"
        " same quota, and a full page means the watermark (fairness) cannot move yet.",
    )
    max_chars: int = Field(200, ge=1, le=200, description="Max characters per chat message.")
    max_parts: int = Field(3, ge=1, description="A long reply is split into at most this many.")
    request_timeout_seconds: float = Field(
        20.0, gt=0, description="Socket timeout of one API request."
    )
    quota: QuotaSettings = Field(
        default_factory=QuotaSettings, description="Daily budget and per-call costs."
    )
    transport: Literal["stream", "poll"] = Field(
        "stream",
        description="How chat is read: 'stream' pushes it over liveChatMessages.streamList "
        "(gRPC; falls back to polling when refused), 'poll' pages liveChatMessages.list.",
    )
    stream_target: str | None = Field(
        None,
        description="host:port of the streamList gRPC service; None means "
        "youtube.googleapis.com:443 for the real API (and polling for anything else).",
    )
    stream_insecure: bool = Field(
        False, description="Plain TCP to stream_target (only 127.0.0.1 or localhost: emulators)."
    )
    stream_allowance_seconds: float = Field(
        0.5,
        ge=0,
        le=30,
        description="While a stream is open, what was sent before now minus this many seconds"
        " counts as delivered (fairness): YouTube pushes in order as messages are posted.",
    )

    @model_validator(mode="after")
    def _check_endpoint(self) -> YouTubeConfig:
        if self.api_endpoint is not None and not self.api_endpoint.startswith(
            ("http://", "https://")
        ):
            raise ValueError("api_endpoint must be an http(s) URL")
        return self

    @model_validator(mode="after")
    def _check_stream(self) -> YouTubeConfig:
        if self.stream_insecure:
            host = (self.stream_target or "").rsplit(":", 1)[0].strip("[]")
            if host not in ("127.0.0.1", "localhost", "::1"):
                raise ValueError("stream_insecure is only for a stream_target on 127.0.0.1")
        return self

    def resolved_stream_target(self) -> str | None:
        """Where to stream from: the setting, Google's host for the real API, else None."""
        if self.stream_target:
            return self.stream_target
        host = (self.api_endpoint or "").split("://", 1)[-1].split("/", 1)[0]
        if host in ("youtube.googleapis.com", "www.googleapis.com"):
            return STREAM_TARGET
        return None

    @classmethod
    def for_emulator(cls, base_url: str, **changes: object) -> YouTubeConfig:
        """Return settings pointed at an emulator running at ``base_url``."""
        data: dict[str, object] = {
            "enabled": True,
            "api_endpoint": base_url,
            "token_uri": f"{base_url.rstrip('/')}/token",
        }
        data.update(changes)
        return cls.model_validate(data)

    def resolved_token_uri(self) -> str:
        """Return the OAuth token endpoint to refresh access tokens at."""
        if self.token_uri:
            return self.token_uri
        if self.api_endpoint:
            return f"{self.api_endpoint.rstrip('/')}/token"
        return GOOGLE_TOKEN_URI


@dataclass(frozen=True, slots=True, kw_only=True)
class YouTubeSecrets:
    """OAuth user credentials; ``repr`` never shows them."""

    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> YouTubeSecrets:
        """Read the ``SHOPSTREAM_YOUTUBE_*`` variables (empty values count as unset)."""
        env = os.environ if environ is None else environ
        return cls(
            client_id=env.get(ENV_CLIENT_ID) or None,
            client_secret=env.get(ENV_CLIENT_SECRET) or None,
            refresh_token=env.get(ENV_REFRESH_TOKEN) or None,
            access_token=env.get(ENV_ACCESS_TOKEN) or None,
        )

    @property
    def can_refresh(self) -> bool:
        """Whether an expired access token can be renewed."""
        return bool(self.client_id and self.client_secret and self.refresh_token)
