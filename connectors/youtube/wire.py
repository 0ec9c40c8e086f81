"""TypedDicts of the YouTube Data API v3 payloads the connector reads (discovery rev 20261104)."""

from __future__ import annotations

from typing import TypedDict


class TextMessageDetails(TypedDict, total=False):
    """``snippet.textMessageDetails``."""

    messageText: str


class SuperChatDetails(TypedDict, total=False):
    """``snippet.superChatDetails``; ``amountMicros`` is a JSON string (uint64)."""

    amountMicros: str
    currency: str
    amountDisplayString: str
    userComment: str
    tier: int


class MessageDeletedDetails(TypedDict, total=False):
    """``snippet.messageDeletedDetails``."""

    deletedMessageId: str


class ChannelProfileDetails(TypedDict, total=False):
    """``bannedUserDetails`` of a ban event."""

    channelId: str
    channelUrl: str
    displayName: str
    profileImageUrl: str


class UserBannedDetails(TypedDict, total=False):
    """``snippet.userBannedDetails``; ``banDurationSeconds`` is a JSON string (uint64)."""

    bannedUserDetails: ChannelProfileDetails
    banType: str  # "permanent" | "temporary"
    banDurationSeconds: str


class LiveChatMessageSnippet(TypedDict, total=False):
    """``LiveChatMessageSnippet``: ``type`` says which details object is set."""

    type: str
    liveChatId: str
    authorChannelId: str
    publishedAt: str
    hasDisplayContent: bool
    displayMessage: str
    textMessageDetails: TextMessageDetails
    superChatDetails: SuperChatDetails
    messageDeletedDetails: MessageDeletedDetails
    userBannedDetails: UserBannedDetails


class AuthorDetails(TypedDict, total=False):
    """``LiveChatMessageAuthorDetails``."""

    channelId: str
    channelUrl: str
    displayName: str
    profileImageUrl: str
    isChatModerator: bool
    isChatOwner: bool
    isChatSponsor: bool
    isVerified: bool


class LiveChatMessage(TypedDict, total=False):
    """``youtube#liveChatMessage``."""

    kind: str
    etag: str
    id: str
    snippet: LiveChatMessageSnippet
    authorDetails: AuthorDetails


class PageInfo(TypedDict, total=False):
    """``pageInfo`` of list responses."""

    totalResults: int
    resultsPerPage: int


class LiveChatMessageListResponse(TypedDict, total=False):
    """``youtube#liveChatMessageListResponse``."""

    kind: str
    etag: str
    nextPageToken: str
    pollingIntervalMillis: int
    offlineAt: str
    pageInfo: PageInfo
    items: list[LiveChatMessage]


class VideoLiveStreamingDetails(TypedDict, total=False):
    """``liveStreamingDetails``: ``activeLiveChatId`` only while live."""

    activeLiveChatId: str
    actualStartTime: str
    actualEndTime: str
    scheduledStartTime: str
    concurrentViewers: str


class Video(TypedDict, total=False):
    """``youtube#video`` with the parts the connector asks for."""

    kind: str
    id: str
    liveStreamingDetails: VideoLiveStreamingDetails


class LiveBroadcastSnippet(TypedDict, total=False):
    """``liveBroadcast.snippet``."""

    channelId: str
    title: str
    liveChatId: str
    actualStartTime: str
    actualEndTime: str
    isDefaultBroadcast: bool


class LiveBroadcastStatus(TypedDict, total=False):
    """``liveBroadcast.status``."""

    lifeCycleStatus: str
    privacyStatus: str


class LiveBroadcast(TypedDict, total=False):
    """``youtube#liveBroadcast``."""

    kind: str
    id: str
    snippet: LiveBroadcastSnippet
    status: LiveBroadcastStatus


class ErrorItem(TypedDict, total=False):
    """One entry of ``error.errors``: ``reason`` is the machine code."""

    message: str
    domain: str
    reason: str
