"""Pure Graph wire -> :mod:`connectors.events` functions (no I/O; table-tested)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.events import ChatMessage, Role
from connectors.facebook.wire import GraphComment
from connectors.values import JSON_ERRORS, BadPayload, to_utc

_LOGGER = logging.getLogger(__name__)

PLATFORM = "facebook"
_GRAPH_TIME = "%Y-%m-%dT%H:%M:%S%z"
_KNOWN_KEYS = frozenset(
    {
        "id",
        "message",
        "created_time",
        "from",
        "parent",
        "comment_count",
        "like_count",
        "permalink_url",
        "is_hidden",
        "can_reply_privately",
        "attachment",
        "message_tags",
        "live_broadcast_timestamp",
    }
)


GRAPH_TIME_PRECISION = 1.0  # seconds: created_time is "2021-08-10T18:45:03+0000"


def backfill_watermark(query_started: datetime) -> datetime:
    """The delivery watermark after a complete backfill query that started at ``query_started``.

    Every comment still to come was written at or after ``query_started``, so its
    created_time is at least that second and it is ordered at least half a second later
    (:attr:`ChatMessage.order_time`); everything ordered before that is handed over.
    """
    second = query_started.replace(microsecond=0)
    return second + timedelta(seconds=GRAPH_TIME_PRECISION / 2, microseconds=-1)


def first_watermark(cursor: datetime, overlap_seconds: float) -> datetime:
    """The delivery watermark before any backfill: the first query asks from ``cursor`` less
    the overlap (``since``, whole seconds), so a comment written before that second is never
    handed over; anything later may still be."""
    since = (cursor - timedelta(seconds=overlap_seconds)).replace(microsecond=0)
    return since - timedelta(microseconds=1)


def read_past(newest: datetime, query_started: datetime) -> bool:
    """Whether a backfill page whose newest comment is stamped ``newest`` shows that the
    query has read everything written before ``query_started``.

    The listing is chronological, so once a page reaches comments stamped after the second
    the query started in, every comment written before the start came on an earlier page.
    """
    return newest >= query_started.replace(microsecond=0) + timedelta(seconds=1)


def parse_graph_time(value: object) -> datetime | None:
    """Parse Graph's ``2021-08-10T18:45:03+0000`` (or ``Z``, ISO, unix) into UTC; None if bad."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:  # Python 3.11 reads Graph's "+0000" and "Z" itself, some 30 times faster than strptime
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.strptime(text.removesuffix("Z") + "+0000", _GRAPH_TIME)
        except ValueError:
            return None
    return to_utc(parsed)  # None when naive, or when 0001-01-01T00:00:00+0100 has no UTC time


def format_graph_time(at: datetime) -> str:
    """Format a datetime the way Graph does (``+0000``)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def decode_stream_data(data: str) -> GraphComment | None:
    """Decode one SSE ``data`` payload into a comment dict; None (logged) for an error body.

    The docs print an array; every client reads one object. Accept both (first element).

    Raises:
        BadPayload: the data is not JSON (or nested too deep to read), or not an object.
    """
    try:
        value: Any = json.loads(data)
    except JSON_ERRORS:
        raise BadPayload(f"stream data is not JSON ({len(data)} chars)") from None
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        raise BadPayload("stream data is not an object")
    if "error" in value:
        _LOGGER.warning("facebook stream: error body inside the stream: %s", value.get("error"))
        return None
    comment: GraphComment = value  # type: ignore[assignment]
    return comment


def comment_to_message(
    comment: Mapping[str, Any],
    *,
    channel: str,
    page_id: str | None,
    received_at: datetime,
) -> ChatMessage:
    """Translate one Comment into a :class:`ChatMessage`.

    A comment without ``from`` (no Page token, or Facebook withheld it) still becomes a message
    with ``author_id=None``: the app then tells the viewer how to get their link privately.
    ``received_at`` stands in for ``created_time`` when the stream did not send it (or sent
    one that is not a time).

    Raises:
        BadPayload: the comment has no id.
    """
    comment_id = comment_id_of(comment)
    if comment_id is None:
        raise BadPayload("comment without an id")
    text = comment.get("message")
    if not isinstance(text, str):
        text = ""
    created = parse_graph_time(comment.get("created_time"))
    sent_at = created or received_at
    # Graph's created_time counts whole seconds: the comment was written within that second
    precision = GRAPH_TIME_PRECISION if created is not None and created.microsecond == 0 else 0.0
    author_id, author_name = _author(comment.get("from"))
    parent = comment.get("parent")
    reply_to = parent.get("id") if isinstance(parent, Mapping) else None
    roles = (
        frozenset({Role.BROADCASTER})
        if author_id is not None and author_id == page_id
        else frozenset()
    )
    unknown = set(comment) - _KNOWN_KEYS
    if unknown:
        _LOGGER.debug("facebook: comment %s has unknown keys %s", comment_id, sorted(unknown))
    return ChatMessage(
        platform=PLATFORM,
        channel=channel,
        message_id=comment_id,
        author_id=author_id,
        author_name=author_name,
        text=text,
        sent_at=sent_at,
        sent_at_precision=precision,
        roles=roles,
        reply_to_id=str(reply_to) if isinstance(reply_to, str | int) and reply_to else None,
        raw=dict(comment),
    )


def comment_id_of(comment: Mapping[str, Any]) -> str | None:
    """The comment's id as a string (Graph ids are strings; an int one is read as its digits)."""
    value = comment.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def _author(value: object) -> tuple[str | None, str | None]:
    if not isinstance(value, Mapping):
        return None, None
    raw_id = value.get("id")
    author_id = str(raw_id) if isinstance(raw_id, str | int) and raw_id != "" else None
    name = value.get("name")
    return author_id, name if isinstance(name, str) and name else None
