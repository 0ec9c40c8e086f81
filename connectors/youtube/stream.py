"""liveChatMessages.streamList over gRPC: one call pushes pages until the server ends it.

The I/O edge of the stream transport: a ``grpc.aio`` channel (TLS to
``youtube.googleapis.com:443``, plain TCP only to an emulator on 127.0.0.1), OAuth bearer
metadata from the same google-auth credentials as the REST calls, and every response turned
into the REST page shape by :mod:`connectors.youtube.stream_wire`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from connectors.youtube.proto import stream_list_pb2_grpc
from connectors.youtube.stream_wire import (
    REFUSED,
    STATUS_DETAILS_KEY,
    page_from_response,
    request_for,
)


class StreamRefused(Exception):
    """The server does not serve streamList here (UNIMPLEMENTED): read by polling instead."""


class StreamFailure(Exception):
    """The stream ended with an error status; ``details`` is the serialized google.rpc.Status."""

    def __init__(self, code: str, message: str, details: bytes | None, *, answered: bool) -> None:
        super().__init__(f"youtube stream {code}: {message[:200]}")
        self.code = code
        self.message = message
        self.details = details
        self.answered = answered  # the server answered (so YouTube billed the call)


# Codes a call gets without YouTube having answered it (no quota spent).
_UNANSWERED = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED"})


class StreamListClient:
    """Opens ``StreamList`` calls on one channel; close it when the connector stops."""

    def __init__(self, target: str, *, insecure: bool = False) -> None:
        if insecure:
            self._channel = grpc.aio.insecure_channel(target)
        else:
            self._channel = grpc.aio.secure_channel(target, grpc.ssl_channel_credentials())
        self._stub = stream_list_pb2_grpc.V3DataLiveChatMessageServiceStub(self._channel)

    async def close(self) -> None:
        """Close the channel (open calls are cancelled)."""
        await self._channel.close(grace=None)

    async def pages(
        self, chat_id: str, page_token: str | None, *, access_token: str
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield each pushed response as a REST page until the server ends the call.

        Raises:
            StreamRefused: the method is not served (UNIMPLEMENTED).
            StreamFailure: any other error status (classified by the connector).
        """
        metadata = (("authorization", f"Bearer {access_token}"),)
        call = self._stub.StreamList(request_for(chat_id, page_token), metadata=metadata)
        answered = False
        failure: Exception | None = None
        try:
            async for response in call:
                answered = True
                yield page_from_response(response)
        except grpc.aio.AioRpcError as error:
            failure = _failure_of(error, answered=answered)
        finally:
            call.cancel()
            del call  # nothing of the call outlives it (its poller thread ends with it)
        if failure is not None:
            raise failure  # raised outside the handler: it carries no reference to the call


def _failure_of(error: grpc.aio.AioRpcError, *, answered: bool) -> Exception:
    code = error.code().name
    if code in REFUSED:
        return StreamRefused(error.details() or code)
    details = None
    for key, value in error.trailing_metadata() or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            details = value
    return StreamFailure(
        code, error.details() or "", details, answered=answered or code not in _UNANSWERED
    )
