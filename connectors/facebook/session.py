"""One reading session: the SSE stream, with backfill after every (re)connect and periodically.

The stream samples comments above ``comment_rate`` and cannot be resumed, so it is only the
fast path. Completeness comes from ``/comments?filter=stream&live_filter=no_filter&order=
chronological&since=…``: read after the stream opens (so nothing falls between the two), every
``backfill_interval_seconds``, and after the stream ends. The backfill cursor only moves with
backfill results (which are complete up to their last ``created_time``), never with the stream's
sample. Both paths share one id memory, so each comment is yielded once.

The delivery watermark (``Health.delivered_until``) therefore comes from the time at which the
last *completed* backfill query started (all its pages read and handed over), read at the
whole-second resolution of ``created_time`` (:func:`translate.backfill_watermark`): the stream
alone proves nothing. A query that chases a burst may not end for seconds; once one of its
pages reaches comments stamped after the second it started in, everything written before
its start has been read (the listing is chronological), so the watermark moves there and the
rest of the query counts as started anew (:func:`translate.read_past`).

When each round starts is :class:`connectors.facebook.pacing.BackfillPlan`'s decision: just
after each whole second at the default 1 s cadence, stretched as Graph's usage headers climb,
and sooner (``burst_backfill_seconds``) while the stream delivers at its ``comment_rate`` cap
(it is dropping comments), so the dropped comments, and the watermark, keep up during a burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from connectors.backoff import Backoff
from connectors.errors import AuthError, ConnectorError, FatalError, RateLimited, TransientError
from connectors.events import ChatEnded, ChatEvent, ChatMessage
from connectors.facebook.config import COMMENT_RATE_CAPS, FacebookConfig
from connectors.facebook.dedupe import RecentIds
from connectors.facebook.graph import GraphClient
from connectors.facebook.pacing import BackfillPlan, plan_of, usage_percent
from connectors.facebook.stream import StreamEnded, StreamRequest, read_stream
from connectors.facebook.translate import (
    PLATFORM,
    backfill_watermark,
    comment_id_of,
    comment_to_message,
    first_watermark,
    parse_graph_time,
    read_past,
)
from connectors.status import Health, Status

_LOGGER = logging.getLogger(__name__)

_ENDED_STATUSES = frozenset({"LIVE_STOPPED", "VOD", "PROCESSING", "SCHEDULED_EXPIRED"})
_AT_CAP = 0.8  # this share of the comment_rate cap, observed, counts as "at the cap"


@dataclass(slots=True)
class SessionState:
    """What outlives one session: the backfill cursor and the id memories."""

    backoff: Backoff
    cursor: datetime | None = None
    resume: dict[str, str] | None = None  # the query a capped backfill round continues
    query_started: datetime | None = None  # when the query being read was first sent
    seen: RecentIds[str, bool] = field(default_factory=RecentIds)
    own_ids: RecentIds[str, bool] = field(default_factory=RecentIds)
    own_texts: RecentIds[str, bool] = field(default_factory=lambda: RecentIds(1000))
    comment_times: RecentIds[str, datetime] = field(default_factory=RecentIds)


class CapWatch:
    """Watch the stream's delivery rate against its ``comment_rate`` cap."""

    def __init__(self, limit: int, per_seconds: float, share: float = _AT_CAP) -> None:
        self.limit = limit
        self.per_seconds = per_seconds
        self.share = share
        self._arrivals: deque[float] = deque()

    def note(self, now: float) -> bool:
        """Note one stream comment at ``now`` (seconds); whether the stream is at its cap."""
        arrivals = self._arrivals
        arrivals.append(now)
        while arrivals and now - arrivals[0] >= self.per_seconds:
            arrivals.popleft()
        return len(arrivals) >= self.limit * self.share


class _Opened:
    """Marker: the stream answered 200."""


class _Ended:
    """Marker: the stream closed cleanly."""


_Item = dict[str, Any] | _Opened | _Ended | BaseException


class CommentSession:
    """Merge the stream and the backfill into one deduplicated sequence of events."""

    def __init__(
        self,
        *,
        config: FacebookConfig,
        graph: GraphClient,
        http: httpx.AsyncClient,
        token: str,
        video_id: str,
        channel: str,
        page_id: str | None,
        health: Health,
        state: SessionState,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]] | None,
    ) -> None:
        self.config = config
        self.graph = graph
        self.http = http
        self.token = token
        self.video_id = video_id
        self.channel = channel
        self.page_id = page_id
        self.health = health
        self.state = state
        self.clock = clock
        self.sleep = sleep or asyncio.sleep
        self._penalty = 0.0
        self._cap = CapWatch(*COMMENT_RATE_CAPS[config.comment_rate])
        self._plan: BackfillPlan = plan_of(config)
        if state.cursor is None:
            state.cursor = clock() - timedelta(seconds=config.startup_lookback_seconds)
        if health.delivered_until is None:
            # Until the first backfill proves more, only what it will never read counts as
            # handed over: without a watermark the fairness gate would not wait for Facebook
            # at all, and a drop opening at once sold out before the first round (a flash
            # drop's other platforms won every unit their first 100 ms).
            health.delivered(first_watermark(state.cursor, config.backfill_overlap_seconds))

    async def run(self) -> AsyncIterator[ChatEvent]:
        """Yield events until the live ends (then ChatEnded) or a failure raises."""
        while True:
            async for event in self._one_connection():
                yield event
            # the stream closed cleanly: catch up, then see whether the live is over
            async for message in self.backfill():
                yield message
            if await self._live_ended():
                self.health.set(Status.STREAM_OFFLINE, "live ended")
                yield ChatEnded(platform=PLATFORM, channel=self.channel, at=self.clock())
                return
            delay = self.state.backoff.next_delay()
            self.health.set(Status.RECONNECTING, f"stream closed; again in {delay:.1f} s")
            await self.sleep(delay)

    async def _one_connection(self) -> AsyncIterator[ChatEvent]:
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        pump = asyncio.create_task(self._pump(queue), name=f"facebook-sse-{self.video_id}")
        loop = asyncio.get_running_loop()
        try:
            item = await queue.get()
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, _Ended):
                return
            self.health.set(Status.OK, f"video={self.video_id}")
            async for message in self.backfill():
                yield message
            next_poll = loop.time() + self._pause()
            while True:
                try:
                    async with asyncio.timeout(max(0.0, next_poll - loop.time())):
                        item = await queue.get()
                except TimeoutError:
                    async for message in self._periodic_backfill():
                        yield message
                    next_poll = loop.time() + self._pause()
                    continue
                if isinstance(item, _Ended):
                    return
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, dict):
                    if self._cap.note(loop.time()):
                        next_poll = min(next_poll, loop.time() + self._pause(capped=True))
                    accepted = self.accept(item)
                    if accepted is not None:
                        self.state.backoff.reset()
                        yield accepted
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    def _pause(self, *, capped: bool = False) -> float:
        """Seconds until the next backfill round (see :mod:`connectors.facebook.pacing`)."""
        started = self.state.query_started
        return self._plan.delay(
            self.clock().timestamp(),
            last_start=started.timestamp() if started is not None else None,
            usage_pct=usage_percent(self.graph.usage),
            capped=capped,
            resume=self.state.resume is not None,
            penalty=self._penalty,
        )

    async def _pump(self, queue: asyncio.Queue[_Item]) -> None:
        request = StreamRequest(
            base_url=str(self.config.streaming_url),
            video_id=self.video_id,
            comment_rate=self.config.comment_rate,
            fields=self.config.stream_fields,
        )
        try:
            async for comment in read_stream(
                self.http,
                request,
                self.token,
                default_wait=self.config.rate_limit_wait_seconds,
                on_open=lambda: queue.put_nowait(_Opened()),
                on_skip=self.health.skip,
            ):
                queue.put_nowait(dict(comment))
        except StreamEnded as exc:
            _LOGGER.info("facebook stream ended: %s", exc)
            queue.put_nowait(_Ended())
        except ConnectorError as exc:
            queue.put_nowait(exc)
        except Exception as exc:  # never lose a failure silently
            _LOGGER.exception("facebook stream reader failed")
            queue.put_nowait(TransientError(f"stream: {type(exc).__name__}", platform=PLATFORM))

    async def _periodic_backfill(self) -> AsyncIterator[ChatMessage]:
        """A backfill round whose transient failures pause backfill but keep the stream."""
        self._penalty = 0.0
        try:
            async for message in self.backfill():
                yield message
        except (AuthError, FatalError):
            raise
        except RateLimited as exc:
            self._penalty = exc.retry_after or self.config.rate_limit_wait_seconds
            self.health.set(Status.RATE_LIMITED, f"backfill paused {self._penalty:.0f} s")
        except TransientError as exc:
            self._penalty = self.config.backfill_interval_seconds
            _LOGGER.warning("facebook backfill failed (%s); the next round catches up", exc)

    async def backfill(self) -> AsyncIterator[ChatMessage]:
        """Yield comments since the cursor (minus the overlap), oldest first, unseen only.

        Each comment is yielded as soon as its page arrives, so a failure on a later page loses
        nothing already read. At most ``backfill_max_pages`` pages per round; when more remain
        (a flash drop can put thousands of comments in one second), or a page failed, the next
        round resumes from that page of the same query instead of starting over.
        """
        assert self.state.cursor is not None
        if self.state.resume is None:
            self.state.query_started = self.clock()
        args = self.state.resume or self._fresh_query()
        for _ in range(self.config.backfill_max_pages):
            self.state.resume = args  # if this page fails, the next round asks for it again
            asked = self.clock()  # Graph answers this page with what was written by then, or more
            page = await self.graph.get_connections(self.video_id, "comments", **args)
            data = page.get("data")
            newest: datetime | None = None
            for comment in data if isinstance(data, list) else []:
                if not isinstance(comment, dict):
                    self.health.skip(comment, "backfill item is not an object")
                    continue
                created = parse_graph_time(comment.get("created_time"))
                if created is not None and created > self.state.cursor:
                    self.state.cursor = created
                if created is not None and (newest is None or created > newest):
                    newest = created
                message = self.accept(comment)
                if message is not None:
                    yield message
            started = self.state.query_started
            if started is not None and newest is not None and read_past(newest, started):
                # a query chasing a burst may not end for a while; everything written
                # before it started is handed over already, and the rest counts as started
                # when this page was asked for: not "now", which may be a second later (the
                # page's handover, a busy loop), and this may be the query's last page, which
                # holds nothing written after Graph answered it
                self.health.delivered(backfill_watermark(started))
                self.state.query_started = asked
            after = _next_cursor(page)
            if after is None:
                self.state.resume = None
                break
            args = {**args, "after": after}
        else:
            self.state.resume = args
        if self.state.resume is None and self.state.query_started is not None:
            # all of it is handed over now, as far as whole-second created_times can say
            self.health.delivered(backfill_watermark(self.state.query_started))
        if self.graph.usage:
            self.health.extra["usage"] = ",".join(f"{k}={v}%" for k, v in self.graph.usage.items())

    def _fresh_query(self) -> dict[str, str]:
        assert self.state.cursor is not None
        since = self.state.cursor - timedelta(seconds=self.config.backfill_overlap_seconds)
        return {
            "filter": "stream",
            "live_filter": "no_filter",
            "order": "chronological",
            "since": str(int(since.timestamp())),
            "limit": str(self.config.backfill_page_limit),
            "fields": self.config.stream_fields,
        }

    def accept(self, comment: dict[str, Any]) -> ChatMessage | None:
        """Translate a comment unless it was seen already or is one of our own replies.

        A comment that cannot be translated, for any reason, is a counted skip of that
        comment alone (:meth:`Health.skip`); the stream and the backfill go on.
        """
        comment_id = comment_id_of(comment)
        if comment_id is not None and comment_id in self.state.seen:
            return None
        if comment_id is not None and comment_id in self.state.own_ids:
            self.state.seen.add(comment_id, True)
            return None
        try:
            message = comment_to_message(
                comment, channel=self.channel, page_id=self.page_id, received_at=self.clock()
            )
        except Exception as exc:
            self.health.skip(comment, f"comment: {type(exc).__name__}: {exc}")
            return None
        if message.author_id == self.page_id and message.text in self.state.own_texts:
            # our own reply, seen on the stream before the POST that made it returned its id
            self.state.seen.add(message.message_id, True)
            return None
        self.state.seen.add(message.message_id, True)
        self.state.comment_times.add(message.message_id, message.sent_at)
        self.health.saw_message()
        return message

    async def _live_ended(self) -> bool:
        video = await self.graph.get_object(self.video_id, fields="id,status")
        status = video.get("status")
        return isinstance(status, str) and status in _ENDED_STATUSES


def _next_cursor(page: dict[str, Any]) -> str | None:
    paging = page.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return after if isinstance(after, str) and after else None
