"""TypedDicts of Twitch's raw EventSub and Helix payloads (shapes from platforms.md §3.8-3.10)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

MessageType = Literal[
    "session_welcome", "session_keepalive", "session_reconnect", "notification", "revocation"
]


class Metadata(TypedDict, total=False):
    """``metadata`` of every EventSub WebSocket message."""

    message_id: str
    message_type: str
    message_timestamp: str
    subscription_type: str
    subscription_version: str


class Session(TypedDict, total=False):
    """``payload.session`` of welcome and reconnect messages."""

    id: str
    status: str
    keepalive_timeout_seconds: int | None
    reconnect_url: str | None
    connected_at: str


class Transport(TypedDict, total=False):
    """Where a subscription delivers."""

    method: str
    session_id: str


class Subscription(TypedDict, total=False):
    """``payload.subscription`` and Helix ``data[]`` of eventsub/subscriptions."""

    id: str
    status: str
    type: str
    version: str
    cost: int
    condition: dict[str, str]
    transport: Transport
    created_at: str


class Badge(TypedDict, total=False):
    """One badge of a chatter."""

    set_id: str
    id: str
    info: str


class ChatText(TypedDict, total=False):
    """``event.message`` of channel.chat.message."""

    text: str
    fragments: list[dict[str, Any]]


class ReplyInfo(TypedDict, total=False):
    """``event.reply`` when the message answers another one."""

    parent_message_id: str
    parent_message_body: str
    parent_user_id: str
    parent_user_name: str
    parent_user_login: str
    thread_message_id: str
    thread_user_id: str
    thread_user_name: str
    thread_user_login: str


class ChatMessageEvent(TypedDict, total=False):
    """``event`` of channel.chat.message (v1)."""

    broadcaster_user_id: str
    broadcaster_user_login: str
    broadcaster_user_name: str
    chatter_user_id: str
    chatter_user_login: str
    chatter_user_name: str
    message_id: str
    message: ChatText
    message_type: str
    badges: list[Badge]
    cheer: dict[str, Any] | None
    color: str
    reply: ReplyInfo | None
    channel_points_custom_reward_id: str | None
    source_broadcaster_user_id: str | None
    source_broadcaster_user_login: str | None
    source_broadcaster_user_name: str | None
    source_message_id: str | None
    source_badges: list[Badge] | None


class MessageDeleteEvent(TypedDict, total=False):
    """``event`` of channel.chat.message_delete (v1)."""

    broadcaster_user_id: str
    broadcaster_user_login: str
    broadcaster_user_name: str
    target_user_id: str
    target_user_login: str
    target_user_name: str
    message_id: str


class ClearUserMessagesEvent(TypedDict, total=False):
    """``event`` of channel.chat.clear_user_messages (v1): a ban or timeout."""

    broadcaster_user_id: str
    broadcaster_user_login: str
    broadcaster_user_name: str
    target_user_id: str
    target_user_login: str
    target_user_name: str


class Payload(TypedDict, total=False):
    """``payload`` of an EventSub WebSocket message."""

    session: Session
    subscription: Subscription
    event: dict[str, Any]


class EventSubMessage(TypedDict):
    """One EventSub WebSocket frame."""

    metadata: Metadata
    payload: Payload


class DropReason(TypedDict, total=False):
    """Why Helix did not post a chat message."""

    code: str
    message: str


class SentMessage(TypedDict, total=False):
    """``data[0]`` of ``POST /helix/chat/messages``."""

    message_id: str
    is_sent: bool
    drop_reason: DropReason | None


class HelixUser(TypedDict, total=False):
    """``data[]`` of ``GET /helix/users``."""

    id: str
    login: str
    display_name: str
    type: str
    broadcaster_type: str
    created_at: str


class HelixStream(TypedDict, total=False):
    """``data[]`` of ``GET /helix/streams`` (empty list when offline)."""

    id: str
    user_id: str
    user_login: str
    type: str
    title: str
    started_at: str
    viewer_count: int


class ValidateResponse(TypedDict, total=False):
    """``GET /oauth2/validate`` 200 body (app tokens lack login and user_id)."""

    client_id: str
    login: str
    scopes: list[str]
    user_id: str
    expires_in: int


class TokenResponse(TypedDict, total=False):
    """``POST /oauth2/token`` 200 body for the refresh_token grant."""

    access_token: str
    refresh_token: str
    expires_in: int
    scope: list[str]
    token_type: str
