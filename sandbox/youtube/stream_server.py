"""The emulated ``liveChatMessages.streamList``: the same gRPC service YouTube serves.

``youtube.api.v3.V3DataLiveChatMessageService/StreamList`` on 127.0.0.1 (insecure: a local
test server), from the proto of Google's "Streaming Live Chat" guide
(``connectors/youtube/proto/stream_list.proto``). Like the reference page says, the first
response holds recent history (the backlog), new messages are pushed as they are posted, each
response carries a ``next_page_token`` to resume from, and a call costs 5 quota units.

Errors follow Google's error model (https://cloud.google.com/apis/design/errors): the gRPC
code of the REST status (403 → PERMISSION_DENIED ...) and a ``google.rpc.Status`` in the
``grpc-status-details-bin`` trailer whose ``ErrorInfo.reason`` is the REST reason
(``quotaExceeded``, ``liveChatEnded``...). That the live service puts YouTube's REST reason in
``ErrorInfo`` is our reading of that model, not something YouTube documents for streamList.

Controls: ``lifetime_seconds`` ends every stream that long after it opened (one report saw
streams close after about 10 s; None keeps them open for the broadcast), :meth:`end_streams`
ends the open ones now, ``refuse`` answers UNIMPLEMENTED (a server that does not stream).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import any_pb2, json_format
from google.rpc import error_details_pb2, status_pb2

from connectors.youtube.proto import stream_list_pb2, stream_list_pb2_grpc
from sandbox.youtube import envelopes
from sandbox.youtube.api import YouTubeApiState
from sandbox.youtube.state import rfc3339

_LOGGER = logging.getLogger(__name__)

# HTTP status -> gRPC code (the inverse of Google's HTTP mapping for the codes YouTube uses)
_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    500: grpc.StatusCode.INTERNAL,
    503: grpc.StatusCode.UNAVAILABLE,
}
_DOMAIN = "youtube.googleapis.com"


def _type(item: object) -> object:
    """An item's ``snippet.type`` (None for a raw item that is not an object)."""
    snippet = item.get("snippet") if isinstance(item, dict) else None
    return snippet.get("type") if isinstance(snippet, dict) else None


def _rpc_enum(value: str) -> str:
    """``textMessageEvent`` -> ``TEXT_MESSAGE_EVENT`` (REST spelling to proto enum name)."""
    out = "".join("_" + c if c.isupper() else c.upper() for c in value)
    return out.lstrip("_")


def proto_message(item: dict[str, Any]) -> stream_list_pb2.LiveChatMessage | None:
    """One feed item as a proto message; None for one the proto cannot hold (a raw test item)."""
    if not isinstance(item, dict) or not isinstance(item.get("snippet", {}), dict):
        return None  # a raw test item the proto cannot carry
    data = dict(item)
    snippet = dict(data.get("snippet") or {})
    if isinstance(snippet.get("type"), str):
        snippet["type"] = _rpc_enum(snippet["type"])
    banned = snippet.get("userBannedDetails")
    if isinstance(banned, dict) and isinstance(banned.get("banType"), str):
        snippet["userBannedDetails"] = {**banned, "banType": banned["banType"].upper()}
    data["snippet"] = snippet
    try:
        return json_format.ParseDict(
            data, stream_list_pb2.LiveChatMessage(), ignore_unknown_fields=True
        )
    except (json_format.ParseError, TypeError, ValueError):
        return None


def _trailer(status: int, body: Any) -> tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]]:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    errors = error.get("errors") or [{}]
    reason = str(errors[0].get("reason") or "")
    message = str(error.get("message") or reason)
    code = _CODES.get(status, grpc.StatusCode.UNKNOWN)
    packed = any_pb2.Any()
    packed.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=_DOMAIN))
    rpc_status = status_pb2.Status(code=code.value[0], message=message, details=[packed])
    return code, message, (("grpc-status-details-bin", rpc_status.SerializeToString()),)


class StreamListService(stream_list_pb2_grpc.V3DataLiveChatMessageServiceServicer):
    """Serves ``StreamList`` from the emulator's chat state."""

    def __init__(self, state: YouTubeApiState) -> None:
        self.state = state
        self.lifetime_seconds: float | None = None
        self.refuse = False
        self.opened = 0  # streams opened, for tests and benches
        self._wake = asyncio.Event()
        self._generation = 0  # bumped by end_streams()
        self._loop = asyncio.get_running_loop()
        state.chat.listeners.append(self.changed_listener)

    def changed_listener(self) -> None:
        """Wake the open streams (registered with the chat state)."""
        self._loop.call_soon_threadsafe(self._wake.set)

    def end_streams(self) -> None:
        """End every open stream now (cleanly: the client resumes with its last token)."""
        self._generation += 1
        self._wake.set()

    async def _abort(self, context: grpc.aio.ServicerContext, status: int, body: Any) -> None:
        code, message, trailer = _trailer(status, body)
        context.set_trailing_metadata(trailer)
        await context.abort(code, message)

    async def StreamList(  # the generated servicer's method name
        self,
        request: stream_list_pb2.LiveChatMessageListRequest,
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[stream_list_pb2.LiveChatMessageListResponse]:
        """Push the chat from the request's token (or the recent backlog) as it grows."""
        if self.refuse:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not found.")
        metadata = {k.lower(): v for k, v in context.invocation_metadata() or ()}
        auth = str(metadata.get("authorization", ""))
        bearer = auth[7:] if auth.lower().startswith("bearer ") else None
        denied = self.state.admit("stream", bearer, metadata.get("x-goog-api-key"))
        if denied is not None:
            await self._abort(context, *denied)
        chat = self.state.chat
        if request.live_chat_id != chat.live_chat_id:
            await self._abort(context, 404, envelopes.error("liveChatNotFound"))
        if request.page_token:
            found = self.state.position_of(request.page_token)
            if found is None:
                await self._abort(context, 400, envelopes.error("invalidPageToken"))
            position = int(found or 0)
        else:
            position = max(0, len(chat.items) - self.state.backlog)
        parts = set(request.part) or {"id", "snippet", "authorDetails"}
        self.opened += 1
        generation = self._generation
        loop = asyncio.get_running_loop()
        deadline = None if self.lifetime_seconds is None else loop.time() + self.lifetime_seconds
        first = True
        while True:
            if chat.disabled:
                await self._abort(context, 403, envelopes.error("liveChatDisabled"))
            if self._past_the_end(position):
                await self._abort(context, 403, envelopes.error("liveChatEnded"))
            window = chat.items[position:]
            if window or first:
                yield self._response(window, position, parts)
                position += len(window)
                first = False
                if any(_type(i) == "chatEndedEvent" for i in window):
                    return  # the end went out: this stream is over
            self._wake.clear()
            if len(chat.items) > position:
                continue
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return  # the stream's lifetime is over: it closes with OK
            if self._generation != generation:
                return

    def _past_the_end(self, position: int) -> bool:
        """Whether a stream at ``position`` already has the chat's end (then it is refused as
        ``liveChatEnded``); a client resuming from before the end still gets what is left."""
        chat = self.state.chat
        if chat.offline_at is None:  # the end is posted by end(), which stamps offline_at
            return False
        for index, item in enumerate(chat.items):
            if _type(item) == "chatEndedEvent":
                return position > index
        return False

    def _response(
        self, window: list[dict[str, Any]], position: int, parts: set[str]
    ) -> stream_list_pb2.LiveChatMessageListResponse:
        chat = self.state.chat
        response = stream_list_pb2.LiveChatMessageListResponse(
            kind="youtube#liveChatMessageListResponse",
            next_page_token=self.state.token_for(position + len(window)),
        )
        for item in window:
            if not isinstance(item, dict) or item.get("id") in chat.deleted:
                continue  # a raw test item the proto cannot carry is not pushed
            shaped = {
                k: v for k, v in item.items() if k not in ("snippet", "authorDetails") or k in parts
            }
            message = proto_message(shaped)
            if message is not None:
                response.items.append(message)
        response.page_info.total_results = len(response.items)
        response.page_info.results_per_page = len(response.items)
        if chat.offline_at is not None:
            response.offline_at = rfc3339(chat.offline_at)
        return response


async def start_stream_server(
    state: YouTubeApiState, port: int = 0
) -> tuple[grpc.aio.Server, StreamListService, int]:
    """Serve ``StreamList`` on 127.0.0.1 on ``port`` (0: one the OS picks); return server,
    service and the port."""
    server = grpc.aio.server()
    service = StreamListService(state)
    stream_list_pb2_grpc.add_V3DataLiveChatMessageServiceServicer_to_server(service, server)
    port = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server, service, port
