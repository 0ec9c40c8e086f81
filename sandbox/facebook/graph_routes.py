"""Graph REST routes of the emulator, as plain functions over :class:`PageState` (no HTTP here).

``GET /me``, ``GET /{id}``, ``GET /{page-id}/live_videos``, ``GET /{video}/comments`` (filter,
live_filter, order, since, until, limit, after, before, summary), ``POST /{comment-id}/comments``,
``POST /{live-video-id}/comments`` and ``POST /{page-id}/messages`` (private reply).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sandbox.facebook.fields import parse_fields, project
from sandbox.facebook.state import (
    DUPLICATE_WINDOW,
    PRIVATE_REPLY_WINDOW,
    Comment,
    GraphFailure,
    PageState,
    SentReply,
)

DEFAULT_COMMENT_FIELDS = "created_time,from,message,id"
LOW_QUALITY_MAX_CHARS = 6  # the emulator's stand-in for Facebook's opaque quality filter


def route_kind(method: str, parts: list[str]) -> str:
    """Name the route a request hits (faults are injected by route kind)."""
    if len(parts) == 1:
        return "me" if parts[0] == "me" else "object"
    edge = parts[1] if len(parts) == 2 else ""
    if edge == "live_videos":
        return "live_videos"
    if edge == "live_comments":
        return "live_comments"
    if edge == "comments":
        return "reply" if method == "POST" else "comments"
    if edge == "messages":
        return "private_reply"
    return "unknown"


def handle(
    state: PageState,
    method: str,
    parts: list[str],
    params: Mapping[str, str],
    token_kind: str,
    base: str,
) -> dict[str, Any]:
    """Serve one Graph call; raise :class:`GraphFailure` for error answers."""
    kind = route_kind(method, parts)
    if kind == "me" and method == "GET":
        if token_kind == "page":
            return project({"id": state.page_id, "name": state.page_name}, _spec(params))
        return project({"id": state.user_id, "name": "Test User"}, _spec(params))
    if kind == "object" and method == "GET":
        return _get_object(state, parts[0], params)
    if kind == "object" and method == "DELETE":
        return _delete(state, parts[0], token_kind)
    if kind == "live_videos" and method == "GET":
        return _live_videos(state, parts[0], params)
    if kind == "comments":
        return _comments(state, parts[0], params, token_kind, base)
    if kind == "reply":
        return _reply(state, parts[0], params, token_kind)
    if kind == "private_reply":
        return _private_reply(state, parts[0], params, token_kind)
    raise GraphFailure.graph(
        400, 100, "Unsupported get request. Object does not exist or missing permissions."
    )


def _spec(params: Mapping[str, str]) -> Any:
    return parse_fields(params["fields"]) if params.get("fields") else None


def _get_object(state: PageState, object_id: str, params: Mapping[str, str]) -> dict[str, Any]:
    if object_id == state.page_id:
        return project({"id": state.page_id, "name": state.page_name}, _spec(params))
    video = state.videos.get(object_id)
    if video is not None:
        return project(video.to_graph(), _spec(params))
    comment = state.by_id.get(object_id)
    if comment is not None:
        return project(comment.to_graph(with_from=False), _spec(params))
    raise GraphFailure.graph(
        400,
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist",
        subcode=33,
    )


def _delete(state: PageState, object_id: str, token_kind: str) -> dict[str, Any]:
    comment = state.by_id.get(object_id)
    if comment is None:
        raise GraphFailure.graph(400, 100, f"Object with ID '{object_id}' does not exist")
    if token_kind != "page":
        raise GraphFailure.graph(403, 200, "(#200) Permissions error")
    del state.by_id[object_id]
    state.comments[comment.live_video_id].remove(comment)
    return {"success": True}


def _live_videos(state: PageState, page_id: str, params: Mapping[str, str]) -> dict[str, Any]:
    if page_id != state.page_id:
        raise GraphFailure.graph(400, 100, "(#100) Unknown page", subcode=33)
    wanted = _status_filter(params.get("broadcast_status"))
    videos = [v.to_graph() for v in state.videos.values() if not wanted or v.status in wanted]
    spec = _spec(params)
    data = [project(v, spec) for v in reversed(videos)]
    return {"data": data, "paging": {"cursors": {"before": "QVFIUmx", "after": "QVFIUmZA"}}}


def _status_filter(raw: str | None) -> set[str]:
    if not raw:
        return set()
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw.split(",")
    if isinstance(value, str):
        value = [value]
    return {str(v).strip() for v in value} if isinstance(value, list) else set()


def _comments(
    state: PageState, object_id: str, params: Mapping[str, str], token_kind: str, base: str
) -> dict[str, Any]:
    video = state.video_for(object_id)
    parent = state.by_id.get(object_id)
    if video is not None:
        rows = list(state.comments[video.id])
        if params.get("filter", "toplevel") != "stream":
            rows = [c for c in rows if c.parent_id is None]
    elif parent is not None:  # the replies to one comment
        rows = [c for c in state.comments[parent.live_video_id] if c.parent_id == parent.id]
    else:
        raise GraphFailure.graph(400, 100, f"Object with ID '{object_id}' does not exist")
    if params.get("live_filter", "filter_low_quality") != "no_filter":
        rows = [c for c in rows if len(c.message.strip()) > LOW_QUALITY_MAX_CHARS]
    since, until = _time_param(params.get("since")), _time_param(params.get("until"))
    if since is not None:
        rows = [c for c in rows if c.created >= since]
    if until is not None:
        rows = [c for c in rows if c.created <= until]
    order = params.get("order", "chronological")
    if order == "reverse_chronological":
        rows.reverse()
    limit = max(1, min(_int(params.get("limit"), 25), 100))
    start = 0
    if params.get("after"):
        start = _decode_cursor(params["after"]) + 1
    elif params.get("before"):
        start = max(0, _decode_cursor(params["before"]) - limit)
    page = rows[start : start + limit]
    with_from = token_kind == "page"
    spec = parse_fields(params.get("fields") or DEFAULT_COMMENT_FIELDS)
    body: dict[str, Any] = {"data": [project(c.to_graph(with_from=with_from), spec) for c in page]}
    if page:
        paging: dict[str, Any] = {
            "cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}
        }
        if start + len(page) < len(rows):
            query = {k: v for k, v in params.items() if k not in ("after", "before")}
            query["after"] = _cursor(start + len(page) - 1)
            paging["next"] = f"{base}{object_id}/comments?{urlencode(query)}"
        body["paging"] = paging
    else:
        body["paging"] = {"cursors": {}}
    if params.get("summary") in ("true", "1"):
        body["summary"] = {"order": order, "total_count": len(rows), "can_comment": True}
    return body


def _reply(
    state: PageState, target_id: str, params: Mapping[str, str], token_kind: str
) -> dict[str, Any]:
    if token_kind != "page":
        raise GraphFailure.graph(
            403, 200, "(#200) Requires pages_manage_engagement permission to manage the object"
        )
    text = params.get("message", "")
    if not text.strip():
        raise GraphFailure.graph(400, 100, "(#100) Missing message or attachment")
    parent = state.by_id.get(target_id)
    video = state.videos.get(target_id) or (
        state.videos.get(parent.live_video_id) if parent else None
    )
    if video is None:
        raise GraphFailure.graph(400, 100, f"Object with ID '{target_id}' does not exist")
    now = state.clock()
    for sent in reversed(state.replies):
        if now - sent.at > DUPLICATE_WINDOW:
            break
        if sent.kind == "comment" and sent.target_id == target_id and sent.text == text:
            raise GraphFailure.graph(400, 506, "(#506) Duplicate status message")
    comment = state.add_comment(
        video.id,
        text,
        author_id=state.page_id,
        author_name=state.page_name,
        parent_id=parent.id if parent else None,
    )
    state.replies.append(
        SentReply(
            kind="comment",
            target_id=parent.id if parent else None,
            text=text,
            id=comment.id,
            at=now,
        )
    )
    return {"id": comment.id}


def _private_reply(
    state: PageState, page_id: str, params: Mapping[str, str], token_kind: str
) -> dict[str, Any]:
    if token_kind != "page" or page_id != state.page_id:
        raise GraphFailure.graph(
            403, 230, "(#230) Requires pages_messaging permission to manage the object"
        )
    recipient = _json_param(params.get("recipient"))
    message = _json_param(params.get("message"))
    comment_id = recipient.get("comment_id") if isinstance(recipient, dict) else None
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(comment_id, str) or not isinstance(text, str) or not text:
        raise GraphFailure.graph(400, 100, "(#100) param recipient and message must be set")
    comment = state.by_id.get(comment_id)
    if comment is None:
        raise GraphFailure.graph(400, 100, "(#100) No matching user found", subcode=2018001)
    if comment.author_id == state.page_id:
        raise GraphFailure.graph(400, 10903, "(#10903) This activity cannot be replied to")
    if comment_id in state.private_replied:
        raise GraphFailure.graph(400, 10900, "(#10900) Activity already replied to")
    now = state.clock()
    if now - comment.created > PRIVATE_REPLY_WINDOW:
        raise GraphFailure.graph(
            400, 10, "(#10) This message is sent outside of allowed window.", subcode=2018278
        )
    state.private_replied.add(comment_id)
    message_id = state.next_message_id()
    state.replies.append(
        SentReply(kind="private", target_id=comment_id, text=text, id=message_id, at=now)
    )
    return {"recipient_id": f"psid-{comment.author_id or 'anonymous'}", "message_id": message_id}


def comment_payload(comment: Comment, *, with_from: bool, fields: str | None) -> dict[str, Any]:
    """A comment as the real-time stream sends it (default fields ``from{name,id},message``)."""
    spec = parse_fields(fields or "from{name,id},message,id")
    return project(comment.to_graph(with_from=with_from), spec)


def _json_param(raw: object) -> object:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return None
    return raw


def _time_param(raw: str | None) -> datetime | None:
    if not raw:
        return None
    if raw.strip().lstrip("-").isdigit():
        return datetime.fromtimestamp(int(raw), UTC)
    text = raw.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise GraphFailure.graph(400, 100, "(#100) Invalid time for 'since'/'until'") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"emu:{index}".encode()).decode().rstrip("=")


def _decode_cursor(raw: str) -> int:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        return int(text.removeprefix("emu:"))
    except (ValueError, UnicodeDecodeError):
        raise GraphFailure.graph(400, 100, "(#100) Invalid cursor") from None
