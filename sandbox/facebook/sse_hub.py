"""The emulator's ``/{live-video-id}/live_comments`` streams: fan-out, rate dropping, drops."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from sandbox.facebook.graph_routes import comment_payload
from sandbox.facebook.state import Comment, GraphFailure, PageState

# comment_rate -> (comments, per seconds)
COMMENT_RATES: dict[str, tuple[int, float]] = {
    "one_per_two_seconds": (1, 2.0),
    "ten_per_second": (10, 1.0),
    "one_hundred_per_second": (100, 1.0),
}


class _Raw:
    """Bytes sent as they are (malformed frames, comments, odd line ends)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class _Close:
    """Sentinel: end the stream cleanly."""


class _Abort:
    """Sentinel: drop the connection without ending the chunked body."""


class StreamAborted(Exception):
    """Raised inside the response body to cut the connection abruptly."""


@dataclass(slots=True)
class Subscriber:
    """One open stream."""

    video_id: str
    with_from: bool
    fields: str | None
    limit: int
    per_seconds: float
    queue: asyncio.Queue[Comment | _Raw | _Close | _Abort] = field(default_factory=asyncio.Queue)
    recent: deque[float] = field(default_factory=deque)
    delivered: int = 0
    dropped: int = 0

    def offer(self, comment: Comment, now: float) -> bool:
        """Queue the comment unless over ``comment_rate`` (then it is dropped, as Facebook does)."""
        while self.recent and now - self.recent[0] >= self.per_seconds:
            self.recent.popleft()
        if len(self.recent) >= self.limit:
            self.dropped += 1
            return False
        self.recent.append(now)
        self.delivered += 1
        self.queue.put_nowait(comment)
        return True


class SseHub:
    """All open streams; ``publish`` fans a new comment out to the ones watching its video."""

    def __init__(
        self,
        *,
        keepalive_seconds: float | None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keepalive_seconds = keepalive_seconds
        self.monotonic = monotonic
        self.subscribers: list[Subscriber] = []
        self.delivered = 0
        self.dropped = 0
        self.opened = 0
        self._changed = asyncio.Event()

    @property
    def open_streams(self) -> int:
        """Streams currently connected."""
        return len(self.subscribers)

    async def wait_streams(self, count: int) -> None:
        """Wait until exactly ``count`` streams are open (use with a timeout)."""
        while len(self.subscribers) != count:
            await self._changed.wait()

    async def wait_opened(self, total: int) -> None:
        """Wait until ``total`` streams have been opened since the start."""
        while self.opened < total:
            await self._changed.wait()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def publish(self, video_id: str, comment: Comment) -> None:
        """Offer a new comment to every stream of ``video_id``."""
        now = self.monotonic()
        for sub in self.subscribers:
            if sub.video_id == video_id:
                if sub.offer(comment, now):
                    self.delivered += 1
                else:
                    self.dropped += 1

    def send_raw(self, data: bytes) -> int:
        """Write ``data`` as-is to every open stream (bad-input tests); return how many."""
        for sub in self.subscribers:
            sub.queue.put_nowait(_Raw(data))
        return len(self.subscribers)

    def close_all(self, *, clean: bool) -> int:
        """End every open stream; return how many."""
        for sub in self.subscribers:
            sub.queue.put_nowait(_Close() if clean else _Abort())
        return len(self.subscribers)

    def response(
        self,
        state: PageState,
        object_id: str,
        params: Mapping[str, str],
        token_kind: str,
        headers: dict[str, str],
    ) -> Response:
        """Open a stream, or raise the Graph error the real endpoint would give."""
        video = state.video_for(object_id)
        if video is None:
            raise GraphFailure.graph(400, 100, f"Object with ID '{object_id}' does not exist")
        rate = params.get("comment_rate", "one_per_two_seconds")
        if rate not in COMMENT_RATES:
            raise GraphFailure.graph(400, 100, "(#100) param comment_rate must be one of enum")
        limit, per = COMMENT_RATES[rate]
        sub = Subscriber(
            video_id=video.id,
            with_from=token_kind == "page",
            fields=params.get("fields"),
            limit=limit,
            per_seconds=per,
        )
        if video.status != "LIVE":
            sub.queue.put_nowait(_Close())  # nothing to stream: the body ends at once
        # registered now, before the headers go out, so no comment falls between the two
        self.subscribers.append(sub)
        self.opened += 1
        self._notify()
        return _SseResponse(
            self._body(sub),
            on_close=lambda: self._unregister(sub),
            media_type="text/event-stream",
            headers={**headers, "cache-control": "no-cache"},
        )

    async def _body(self, sub: Subscriber) -> AsyncIterator[bytes]:
        while True:
            try:
                async with asyncio.timeout(self.keepalive_seconds):
                    item = await sub.queue.get()
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            if isinstance(item, _Close):
                return
            if isinstance(item, _Abort):
                raise StreamAborted("emulated network drop")
            if isinstance(item, _Raw):
                yield item.data
                continue
            payload = comment_payload(item, with_from=sub.with_from, fields=sub.fields)
            yield f"data: {json.dumps(payload)}\n\n".encode()

    def _unregister(self, sub: Subscriber) -> None:
        if sub in self.subscribers:
            self.subscribers.remove(sub)
            self._notify()


class _SseResponse(StreamingResponse):
    """A streaming response that unregisters its stream however the connection ends."""

    def __init__(
        self, body: AsyncIterator[bytes], *, on_close: Callable[[], None], **kw: Any
    ) -> None:
        super().__init__(body, **kw)
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except StreamAborted:
            pass  # returning mid-body makes the server drop the connection: a network cut
        finally:
            self._on_close()
