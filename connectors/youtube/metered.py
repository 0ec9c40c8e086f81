"""Every YouTube call charged to the quota plan, its failure mapped onto the error tree."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from connectors.errors import StreamOffline, TransientError
from connectors.youtube.classify import PLATFORM, QUOTA_REASONS, classify
from connectors.youtube.client import ApiFailure, MalformedResponse, YouTubeApi
from connectors.youtube.config import QuotaSettings
from connectors.youtube.quota import QuotaPlanner, Spend
from connectors.youtube.translate import chat_from_broadcasts, chat_id_from_video

_LOGGER = logging.getLogger(__name__)

MALFORMED_MAX = 3


class ChatIsOver(StreamOffline):
    """403 ``liveChatEnded``: the chat finished (reading ends with a ChatEnded event)."""


class TextRefused(Exception):
    """400 ``messageTextInvalid``: this text can never be sent (drop it, do not retry)."""


class MeteredApi:
    """The connector's calls, each charged to ``quota`` (failed answers too: YouTube bills them).

    Raises (from every call): the :mod:`connectors.errors` class for the failure, chosen by
    status and ``errors[0].reason``; ``quotaExceeded`` also marks the day exhausted.
    """

    def __init__(
        self,
        api: YouTubeApi,
        quota: QuotaPlanner,
        costs: QuotaSettings,
        *,
        on_spend: Callable[[], None],
        on_skip: Callable[[object, str], None] | None = None,
    ) -> None:
        self.api = api
        self.quota = quota
        self.costs = costs
        self._on_spend = on_spend
        self._on_skip = on_skip  # a page that cannot be used (the connector counts it)
        self._malformed = 0

    async def _call(
        self, call: Awaitable[Any], spend: Spend, cost: int, *, reading: bool = False
    ) -> Any:
        try:
            body = await call
        except ApiFailure as failure:
            self._spent(spend, cost)
            if failure.reason in QUOTA_REASONS:
                self.quota.mark_exhausted()
            if failure.reason == "liveChatEnded" and reading:
                raise ChatIsOver("youtube 403 liveChatEnded", platform=PLATFORM) from None
            if failure.reason == "messageTextInvalid" and spend is Spend.REPLY:
                raise TextRefused(failure.reason) from None
            raise classify(
                failure.status,
                failure.reason,
                quota_reset_in=self.quota.seconds_until_reset(),
                retry_after=failure.retry_after,
            ) from None
        except MalformedResponse:
            self._spent(spend, cost)  # YouTube answered, so it billed the call
            raise
        self._spent(spend, cost)
        return body

    def _spent(self, spend: Spend, cost: int) -> None:
        # Calls that never reached YouTube (refused connection, token refresh) cost nothing.
        self.quota.charge(spend, cost)
        self._on_spend()

    async def find_chat(self, video_id: str | None) -> tuple[str | None, str | None]:
        """Return ``(live chat id, owner channel id)`` of the video, or the active broadcast.

        ``videos.list`` (1 unit) when a video id is given, else ``liveBroadcasts.list`` of the
        authorised channel with ``broadcastStatus=active`` and ``broadcastType=all``.
        """
        try:
            if video_id:
                body = await self._call(
                    self.api.video(video_id), Spend.LOOKUP, self.costs.cost_videos_list
                )
                return chat_id_from_video(body), None
            body = await self._call(
                self.api.active_broadcasts(), Spend.LOOKUP, self.costs.cost_broadcasts_list
            )
        except MalformedResponse:
            raise TransientError("youtube: malformed lookup", platform=PLATFORM) from None
        found = chat_from_broadcasts(body)
        return found if found else (None, None)

    async def read(self, chat_id: str, token: str | None) -> Any:
        """Read one page; None for a malformed page to skip (three in a row raise)."""
        try:
            body = await self._call(
                self.api.list_messages(chat_id, token),
                Spend.READ,
                self.costs.cost_list,
                reading=True,
            )
        except MalformedResponse as exc:
            self._malformed += 1
            reason = f"a malformed chat page ({self._malformed} in a row)"
            if self._on_skip is None:
                _LOGGER.warning("youtube: skipped %s", reason)
            else:  # it logs and counts
                self._on_skip(str(exc), reason)
            if self._malformed >= MALFORMED_MAX:
                self._malformed = 0
                raise TransientError("youtube: malformed pages", platform=PLATFORM) from None
            return None
        self._malformed = 0
        return body

    async def insert(self, chat_id: str, text: str) -> Any:
        """Insert one chat message (``cost_insert`` units); ``{}`` if the answer is garbled."""
        try:
            return await self._call(
                self.api.insert_message(chat_id, text), Spend.REPLY, self.costs.cost_insert
            )
        except MalformedResponse:
            return {}
