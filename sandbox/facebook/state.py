"""The emulated Page: live videos, comments, replies, usage and injected faults (no I/O)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.facebook.usage import UsageMeter, buc_header

GRAPH_TIME = "%Y-%m-%dT%H:%M:%S+0000"
PRIVATE_REPLY_WINDOW = timedelta(days=7)
DUPLICATE_WINDOW = timedelta(minutes=10)

# Route kinds faults can target.
ROUTES = ("me", "object", "live_videos", "comments", "reply", "private_reply", "live_comments")


def graph_time(at: datetime) -> str:
    """``2021-08-10T18:45:03+0000``; a time UTC cannot hold (year 1 east of Greenwich) in its
    own offset, as Graph has been seen to send (``0001-01-01T00:00:00+0100``, issue 15)."""
    try:
        return at.astimezone(UTC).strftime(GRAPH_TIME)
    except OverflowError:
        return f"{at.year:04d}" + at.strftime("-%m-%dT%H:%M:%S%z")


def error_envelope(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    error_type: str = "OAuthException",
    is_transient: bool | None = None,
    trace: str = "AbCdEf123emu",
) -> dict[str, Any]:
    """A Graph error envelope."""
    err: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    if is_transient is not None:
        err["is_transient"] = is_transient
    err["fbtrace_id"] = trace
    return {"error": err}


class GraphFailure(Exception):
    """An answer the emulator gives instead of the normal one."""

    def __init__(
        self,
        status: int,
        body: dict[str, Any] | str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}

    @classmethod
    def graph(cls, status: int, code: int, message: str, **kwargs: Any) -> GraphFailure:
        """A Graph error envelope with an HTTP status."""
        headers = kwargs.pop("headers", None)
        return cls(status, error_envelope(code, message, **kwargs), headers)


@dataclass(slots=True)
class Comment:
    """One stored comment."""

    id: str
    live_video_id: str
    message: str
    created: datetime
    author_id: str | None
    author_name: str | None
    parent_id: str | None = None

    def to_graph(self, *, with_from: bool) -> dict[str, Any]:
        """The full Comment object (``from`` only when allowed and known)."""
        obj: dict[str, Any] = {
            "created_time": graph_time(self.created),
            "message": self.message,
            "id": self.id,
            "like_count": 0,
            "comment_count": 0,
            "can_reply_privately": True,
            "is_hidden": False,
        }
        if with_from and self.author_id is not None:
            obj["from"] = {"name": self.author_name or "", "id": self.author_id}
        if self.parent_id is not None:
            obj["parent"] = {"id": self.parent_id}
        return obj


@dataclass(slots=True)
class LiveVideoRecord:
    """One live video of the Page."""

    id: str
    video_id: str
    title: str
    status: str
    created: datetime
    next_comment: int = 10158407835073553

    def to_graph(self) -> dict[str, Any]:
        """The LiveVideo object."""
        return {
            "id": self.id,
            "status": self.status,
            "title": self.title,
            "video": {"id": self.video_id},
            "permalink_url": f"/videos/{self.video_id}/",
            "creation_time": graph_time(self.created),
        }


@dataclass(frozen=True, slots=True)
class SentReply:
    """A reply the Page made: public (``kind="comment"``) or private (``"private"``)."""

    kind: str
    target_id: str | None
    text: str
    id: str
    at: datetime


@dataclass(slots=True)
class PageState:
    """Everything the emulated Graph knows."""

    clock: Callable[[], datetime]
    page_id: str = "104532198765432"
    page_name: str = "Demo Boutique"
    page_token: str = "emu-page-token"
    user_token: str = "emu-user-token"
    user_id: str = "100087654321098"
    videos: dict[str, LiveVideoRecord] = field(default_factory=dict)
    comments: dict[str, list[Comment]] = field(default_factory=dict)
    by_id: dict[str, Comment] = field(default_factory=dict)
    replies: list[SentReply] = field(default_factory=list)
    private_replied: set[str] = field(default_factory=set)
    faults: dict[str, deque[GraphFailure]] = field(default_factory=dict)
    fault_skips: dict[str, int] = field(default_factory=dict)  # calls let through first
    meter: UsageMeter = field(default_factory=UsageMeter)
    regain_minutes: int = 5  # what injected rate-limit faults report
    _message_seq: int = 0

    # -------------------------------------------------------------------- videos and comments

    def add_video(self, *, live_video_id: str, video_id: str, title: str, status: str) -> None:
        """Create a live video."""
        self.videos[live_video_id] = LiveVideoRecord(
            id=live_video_id, video_id=video_id, title=title, status=status, created=self.clock()
        )
        self.comments.setdefault(live_video_id, [])

    def video_for(self, object_id: str) -> LiveVideoRecord | None:
        """The live video with this live-video id or VOD video id."""
        found = self.videos.get(object_id)
        if found is not None:
            return found
        return next((v for v in self.videos.values() if v.video_id == object_id), None)

    def add_comment(
        self,
        live_video_id: str,
        message: str,
        *,
        author_id: str | None,
        author_name: str | None,
        parent_id: str | None = None,
        created: datetime | None = None,
    ) -> Comment:
        """Store a comment; ids are ``<video>_<n>`` strings; replies attach to the top level."""
        video = self.videos[live_video_id]
        if parent_id is not None:
            parent = self.by_id.get(parent_id)
            if parent is not None and parent.parent_id is not None:
                parent_id = parent.parent_id  # comments nest one level only
        comment = Comment(
            id=f"{video.video_id}_{video.next_comment}",
            live_video_id=live_video_id,
            message=message,
            created=created or self.clock(),
            author_id=author_id,
            author_name=author_name,
            parent_id=parent_id,
        )
        video.next_comment += 1
        self.comments[live_video_id].append(comment)
        self.by_id[comment.id] = comment
        return comment

    # -------------------------------------------------------------------------------- tokens

    def token_kind(self, token: str | None) -> str:
        """``page``, ``user``; raises the 190 envelope for anything else."""
        if token == self.page_token:
            return "page"
        if token == self.user_token:
            return "user"
        raise GraphFailure.graph(
            400,
            190,
            "Invalid OAuth access token - Cannot parse access token",
            subcode=None if token else 2500,
        )

    # --------------------------------------------------------------------------- faults, usage

    def take_fault(self, route: str) -> GraphFailure | None:
        """The next injected failure for ``route`` (or for ``any``), if one is queued."""
        for key in (route, "any"):
            queue = self.faults.get(key)
            if queue:
                if self.fault_skips.get(key, 0) > 0:
                    self.fault_skips[key] -= 1
                    return None
                return queue.popleft()
        return None

    def usage_headers(self, percent: int, token_kind: str, regain: int = 0) -> dict[str, str]:
        """Headers saying ``percent`` of the budget is used: ``X-App-Usage`` always, and
        ``X-Business-Use-Case-Usage`` (type ``pages``) for Page tokens (injected faults)."""
        headers = {
            "x-app-usage": json.dumps(
                {"call_count": percent, "total_time": percent // 2, "total_cputime": percent // 2}
            )
        }
        if token_kind == "page":
            headers["x-business-use-case-usage"] = buc_header(
                self.page_id, "pages", percent, regain
            )
        return headers

    def next_message_id(self) -> str:
        """A Send API message id."""
        self._message_seq += 1
        return f"m_emu{self._message_seq:08d}"
