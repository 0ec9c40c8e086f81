"""Raw Graph API payloads (reference/platforms.md §2.2-2.7), as TypedDicts.

Every field is optional on the wire (``total=False``): Facebook omits ``from`` without a Page
token, and the real-time stream sends only the fields asked for. Ids are strings.
"""

from __future__ import annotations

from typing import TypedDict


class GraphFrom(TypedDict, total=False):
    """``from``: the commenter (absent unless the token is a Page token)."""

    id: str
    name: str


class GraphParent(TypedDict, total=False):
    """``parent``: the comment this one replies to."""

    id: str


# A Comment object, from ``/comments`` or one SSE ``data:`` frame ("from" is a Python keyword,
# hence the functional form). ``created_time`` looks like "2021-08-10T18:45:03+0000".
GraphComment = TypedDict(
    "GraphComment",
    {
        "id": str,
        "message": str,
        "created_time": str,
        "from": GraphFrom,
        "parent": GraphParent,
        "comment_count": int,
        "like_count": int,
        "permalink_url": str,
        "is_hidden": bool,
        "can_reply_privately": bool,
    },
    total=False,
)


class Cursors(TypedDict, total=False):
    """``paging.cursors``."""

    before: str
    after: str


class Paging(TypedDict, total=False):
    """``paging``; ``next`` is absent on the last page."""

    cursors: Cursors
    next: str
    previous: str


class CommentsSummary(TypedDict, total=False):
    """``summary`` when ``summary=true``."""

    order: str
    total_count: int
    can_comment: bool


class CommentsPage(TypedDict, total=False):
    """``GET /{live-video-id}/comments``."""

    data: list[GraphComment]
    paging: Paging
    summary: CommentsSummary


class VideoRef(TypedDict, total=False):
    """``LiveVideo.video``: the VOD video object behind a live video."""

    id: str


class LiveVideo(TypedDict, total=False):
    """A LiveVideo object."""

    id: str
    status: str  # LIVE, LIVE_STOPPED, VOD, ...
    title: str
    video: VideoRef
    permalink_url: str
    creation_time: str


class LiveVideosPage(TypedDict, total=False):
    """``GET /{page-id}/live_videos``."""

    data: list[LiveVideo]
    paging: Paging


class GraphErrorBody(TypedDict, total=False):
    """``error`` in the Graph error envelope."""

    message: str
    type: str
    code: int
    error_subcode: int
    is_transient: bool
    error_user_title: str
    error_user_msg: str
    fbtrace_id: str


class GraphErrorEnvelope(TypedDict, total=False):
    """``{"error": {...}}``."""

    error: GraphErrorBody


class CreatedId(TypedDict, total=False):
    """``POST /{comment-id}/comments`` answer."""

    id: str


class SendApiResult(TypedDict, total=False):
    """``POST /{page-id}/messages`` answer."""

    recipient_id: str
    message_id: str
