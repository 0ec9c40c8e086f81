"""Read ``/{live-video-id}/live_comments`` (Server-Sent Events) with httpx async streaming.

httpx rather than requests-in-a-thread: a blocking ``iter_lines`` in a worker thread cannot be
interrupted, so closing the connector would leave a thread (and a socket) hanging until the next
byte; an httpx async stream is cancelled with the task and closes its socket at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx

from connectors.errors import TransientError
from connectors.facebook.graph_errors import PLATFORM, classify, error_body
from connectors.facebook.sse import SseParser
from connectors.facebook.translate import decode_stream_data
from connectors.facebook.wire import GraphComment
from connectors.values import JSON_ERRORS

_LOGGER = logging.getLogger(__name__)


class StreamEnded(Exception):
    """The server closed the stream cleanly (live ended, or a hand-over): reconnect."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamRequest:
    """Where and how to open the stream (the token is passed separately, never logged)."""

    base_url: str
    video_id: str
    comment_rate: str
    fields: str


async def read_stream(
    client: httpx.AsyncClient,
    request: StreamRequest,
    token: str,
    *,
    default_wait: float,
    on_open: Callable[[], None] | None = None,
    on_skip: Callable[[object, str], None] | None = None,
) -> AsyncIterator[GraphComment]:
    """Yield comments from one SSE connection.

    The client's read timeout is the idle watchdog: no byte (data or ``:`` keepalive) for that
    long ends the stream like a clean close, so the caller reconnects and backfills.

    An event whose data is not a comment, or a line over the parser's cap, is passed to
    ``on_skip(raw, reason)`` and costs only itself.

    Raises:
        StreamEnded: the server closed the stream cleanly, or went silent past the read timeout.
        TransientError: the connection dropped or the server answered 5xx.
        RateLimited, AuthError, FatalError: the server answered with a Graph error envelope.
    """
    url = f"{request.base_url}{request.video_id}/live_comments"
    params = {
        "access_token": token,
        "comment_rate": request.comment_rate,
        "fields": request.fields,
    }
    parser = SseParser()
    skip = on_skip or _log_skip
    try:
        async with client.stream(
            "GET", url, params=params, headers={"Accept": "text/event-stream"}
        ) as response:
            if response.status_code != 200:
                body = await response.aread()
                raise classify(
                    response.status_code,
                    _json_or_none(body),
                    response.headers,
                    default_wait=default_wait,
                )
            if "json" in response.headers.get("content-type", ""):
                body = await response.aread()  # an error envelope where events were expected
                error = classify(
                    200, _json_or_none(body), response.headers, default_wait=default_wait
                )
                raise error if error_body(_json_or_none(body)) else StreamEnded("JSON, not events")
            _LOGGER.info("facebook stream open for %s", request.video_id)
            if on_open is not None:
                on_open()
            async for chunk in response.aiter_bytes():
                dropped = parser.dropped_lines
                events = parser.feed(chunk)
                if parser.dropped_lines > dropped:
                    skip(parser.dropped_head, f"stream line over {parser.max_line} characters")
                for event in events:
                    if event.event not in ("message", ""):
                        _LOGGER.debug("facebook stream: ignored event type %s", event.event)
                        continue
                    try:
                        comment = decode_stream_data(event.data)
                    except Exception as exc:  # costs this one event, never the stream
                        skip(event.data, f"stream data: {type(exc).__name__}: {exc}")
                        continue
                    if comment is not None:
                        yield comment
        raise StreamEnded("server closed the stream")
    except httpx.ReadTimeout:
        raise StreamEnded("stream idle past the read timeout") from None
    except httpx.HTTPError as exc:
        raise TransientError(f"stream: {type(exc).__name__}", platform=PLATFORM) from None


def _log_skip(raw: object, reason: str) -> None:
    _LOGGER.warning("facebook stream: skipped %s", reason)


def _json_or_none(body: bytes) -> object:
    try:
        return json.loads(body)
    except JSON_ERRORS:
        return None
