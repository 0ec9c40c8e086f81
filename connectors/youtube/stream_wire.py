"""Pure streamList wire translation: protobuf responses into the REST page shape, gRPC errors
into the connector error tree (no I/O, table-tested).

A ``LiveChatMessageListResponse`` from the stream is turned into the same dictionary that
``liveChatMessages.list`` returns (the discovery document's JSON names and value forms), so one
translator (:func:`connectors.youtube.translate.translate_page`) reads both transports.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2

from connectors.errors import ConnectorError
from connectors.youtube.classify import classify
from connectors.youtube.proto import stream_list_pb2

_LOGGER = logging.getLogger(__name__)

STATUS_DETAILS_KEY = "grpc-status-details-bin"  # google.rpc.Status in the trailers

# gRPC status code name -> the HTTP status Google's REST front end answers for it
# (https://cloud.google.com/apis/design/errors#handling_errors, "HTTP Mapping").
HTTP_STATUS: Mapping[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 503,  # (499 "client closed"; from the server it is a drop to retry)
    "UNKNOWN": 500,
    "INTERNAL": 500,
    "DATA_LOSS": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
# Codes that mean "this server does not stream here": read by polling instead.
REFUSED = frozenset({"UNIMPLEMENTED"})

_UPPER = re.compile(r"_([a-z0-9])")


def rest_enum(name: str) -> str:
    """``TEXT_MESSAGE_EVENT`` -> ``textMessageEvent``; ``PERMANENT`` -> ``permanent``."""
    return _UPPER.sub(lambda m: m.group(1).upper(), name.lower())


def _rest_enums(item: dict[str, Any]) -> dict[str, Any]:
    snippet = item.get("snippet")
    if isinstance(snippet, dict):
        kind = snippet.get("type")
        if isinstance(kind, str):
            snippet["type"] = rest_enum(kind)
        banned = snippet.get("userBannedDetails")
        if isinstance(banned, dict) and isinstance(banned.get("banType"), str):
            banned["banType"] = rest_enum(banned["banType"])
    return item


def page_from_response(response: stream_list_pb2.LiveChatMessageListResponse) -> dict[str, Any]:
    """The REST page (``liveChatMessageListResponse``) a stream response stands for.

    Field names become the discovery document's (``authorDetails``, ``nextPageToken``),
    64-bit integers strings (as REST sends ``amountMicros``), enums their REST spelling. A
    field or enum value this proto does not know is dropped by the protobuf runtime, not
    fatal (an item without a known ``type`` is then skipped by the translator, kept raw).
    """
    body = json_format.MessageToDict(response)
    items = body.get("items")
    if isinstance(items, list):
        body["items"] = [_rest_enums(i) for i in items if isinstance(i, dict)]
    return body


def request_for(
    chat_id: str, page_token: str | None, parts: Sequence[str] = ("id", "snippet", "authorDetails")
) -> stream_list_pb2.LiveChatMessageListRequest:
    """The ``StreamList`` request: the chat, the parts, and the token to resume from."""
    request = stream_list_pb2.LiveChatMessageListRequest(live_chat_id=chat_id, part=list(parts))
    if page_token:
        request.page_token = page_token
    return request


def reason_from_details(details: bytes | None) -> str | None:
    """The first ``ErrorInfo.reason`` of a serialized ``google.rpc.Status``, if any."""
    if not details:
        return None
    status = status_pb2.Status()
    try:
        status.ParseFromString(details)
    except DecodeError:
        return None
    for packed in status.details:
        info = error_details_pb2.ErrorInfo()
        if packed.Unpack(info) and info.reason:
            return str(info.reason)
    return None


def error_of(
    code_name: str, details: bytes | None, *, message: str, quota_reset_in: float
) -> ConnectorError:
    """The connector error for a stream that ended with gRPC status ``code_name``.

    The machine reason comes from the ``ErrorInfo`` in the status details (YouTube's REST
    reasons: ``quotaExceeded``, ``liveChatEnded``...), the class from the same table as the
    REST calls (:func:`connectors.youtube.classify.classify`) by the mapped HTTP status.
    """
    reason = reason_from_details(details)
    status = HTTP_STATUS.get(code_name, 500)
    error = classify(status, reason, quota_reset_in=quota_reset_in)
    _LOGGER.debug("youtube stream ended %s %s: %s", code_name, reason, message[:200])
    return error
