"""Settings of the Facebook Live connector (no secrets here).

Secrets and identity come from environment variables only:

* ``SHOPSTREAM_FACEBOOK_PAGE_TOKEN``: the Page access token (needed for ``from`` on comments, for
  public replies with ``pages_manage_engagement`` and private replies with ``pages_messaging``).
* ``SHOPSTREAM_FACEBOOK_PAGE_ID``: the Page id (not secret; when unset the connector asks
  ``GET /me`` with the Page token).

The base URLs default to nothing: in sandbox mode the app fills them with the emulator's URLs;
in live mode settings give :data:`REAL_GRAPH_URL` and :data:`REAL_STREAMING_URL`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

TOKEN_ENV = "SHOPSTREAM_FACEBOOK_PAGE_TOKEN"
PAGE_ID_ENV = "SHOPSTREAM_FACEBOOK_PAGE_ID"
REAL_GRAPH_URL = "https://graph.facebook.com/"
REAL_STREAMING_URL = "https://streaming-graph.facebook.com/"

CommentRate = Literal["one_per_two_seconds", "ten_per_second", "one_hundred_per_second"]

COMMENT_RATE_CAPS: dict[str, tuple[int, float]] = {
    "one_per_two_seconds": (1, 2.0),
    "ten_per_second": (10, 1.0),
    "one_hundred_per_second": (100, 1.0),
}
"""comment_rate -> (comments, per seconds): above this the stream drops comments."""

_VERSION = re.compile(r"^v\d{1,3}\.\d$")


class FacebookConfig(BaseModel):
    """Read comments of a Facebook Live video and answer them (publicly or privately)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(False, description="Run the Facebook connector.")
    graph_url: str | None = Field(
        None,
        description="Graph API base URL ending in '/'; empty = not configured (the app fills the "
        "emulator URL in sandbox mode; live mode uses https://graph.facebook.com/).",
    )
    streaming_url: str | None = Field(
        None,
        description="Server-Sent Events base URL ending in '/' (live: "
        "https://streaming-graph.facebook.com/); empty = not configured.",
    )
    api_version: str = Field(
        "v26.0", description="Graph API version every call names, e.g. 'v26.0' (not the SDK's)."
    )
    live_video_id: str | None = Field(
        None, description="LiveVideo id to read; empty = the Page's current LIVE video."
    )
    comment_rate: CommentRate = Field(
        "one_hundred_per_second",
        description="SSE comment_rate; Facebook drops comments above it (never use "
        "one_per_two_seconds for selling).",
    )
    stream_fields: str = Field(
        "id,message,created_time,from{id,name},parent{id}",
        description="Comment fields asked for on the real-time stream and in backfill.",
    )
    backfill_interval_seconds: float = Field(
        1.0,
        gt=0,
        description="Poll /comments this often while the stream is up (gap filling). Only a"
        " completed backfill moves Facebook's delivery watermark, so this is how long claims"
        " on other platforms may wait for Facebook at the fairness gate. 1 s or more starts"
        " each round just after a whole second (created_time counts whole seconds); the"
        " cadence stretches as Graph's usage headers near 100 % (connectors/facebook/pacing.py).",
    )
    backfill_offset_seconds: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="Start each round this long after the whole second, so comments written"
        " just before it are listed (Graph documents no read-after-write delay).",
    )
    burst_backfill_seconds: float = Field(
        0.5,
        gt=0,
        description="When the stream delivers at its comment_rate cap (so it is dropping"
        " comments), backfill this soon instead of waiting for the periodic round.",
    )
    backfill_overlap_seconds: int = Field(
        1,
        ge=0,
        description="Re-read this many seconds before the backfill cursor (deduped): comments"
        " stamped in the cursor's whole second may come after the last read, and 1 s covers"
        " them whether Graph's 'since' is inclusive or not. Each second more re-reads a"
        " second of comments every round (at 1,000 comments/s, 10 more pages a round).",
    )
    backfill_page_limit: int = Field(
        100, ge=1, le=100, description="Comments per backfill page (Graph 'limit')."
    )
    backfill_max_pages: int = Field(
        20, ge=1, description="Pages read per backfill round before yielding to the stream."
    )
    startup_lookback_seconds: int = Field(
        60, ge=0, description="On the first session, also read comments this old (deduped)."
    )
    stream_idle_seconds: float = Field(
        120.0, gt=0, description="Reconnect the stream after this long without a byte."
    )
    private_replies: bool = Field(
        True,
        description="Send Reply.private replies through the Send API (one per comment, within "
        "7 days); false = always reply publicly.",
    )
    replies_per_minute: int = Field(
        60,
        ge=1,
        le=600,
        description="Most public replies sent per minute; Facebook publishes no cap, but"
        " bursts of identical-looking replies get a Page blocked (code 368). Private replies"
        " have their own limit (private_replies_per_second).",
    )
    private_replies_per_second: int = Field(
        100,
        ge=1,
        le=300,
        description="Most private replies sent per second, apart from the public ones: the"
        " Send API takes 300 text messages a second per Page (Messenger Platform rate limits);"
        " 100 leaves two thirds to other tools on the Page. Held buyers' checkout links go"
        " this way.",
    )
    rate_limit_wait_seconds: float = Field(
        60.0,
        gt=0,
        description="Wait after a rate-limit code when no usage header says how long.",
    )
    request_timeout_seconds: float = Field(
        15.0, gt=0, description="Timeout of one Graph call (connect and read)."
    )

    @field_validator("api_version")
    @classmethod
    def _version_shape(cls, value: str) -> str:
        if not _VERSION.match(value):
            raise ValueError("api_version must look like 'v26.0'")
        return value

    @field_validator("stream_fields")
    @classmethod
    def _needs_id_and_time(cls, value: str) -> str:
        top = {part.split("{", 1)[0].strip() for part in _top_level(value)}
        missing = {"id", "created_time", "message"} - top
        if missing:
            raise ValueError(f"stream_fields must include {', '.join(sorted(missing))}")
        return value

    @field_validator("graph_url", "streaming_url")
    @classmethod
    def _trailing_slash(cls, value: str | None) -> str | None:
        if not value:
            return None
        return value if value.endswith("/") else value + "/"


def _top_level(fields: str) -> list[str]:
    parts: list[str] = []
    depth, current = 0, ""
    for ch in fields:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += (ch == "{") - (ch == "}")
        current += ch
    parts.append(current)
    return parts


@dataclass(frozen=True, slots=True)
class FacebookCredentials:
    """The Page token and, if known, the Page id (``repr`` never shows the token)."""

    page_token: SecretStr
    page_id: str | None = None


def credentials_from_env(environ: Mapping[str, str] | None = None) -> FacebookCredentials | None:
    """Read the Page token and id from the environment; None when no token is set."""
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_ENV, "").strip()
    if not token:
        return None
    page_id = env.get(PAGE_ID_ENV, "").strip() or None
    return FacebookCredentials(page_token=SecretStr(token), page_id=page_id)
