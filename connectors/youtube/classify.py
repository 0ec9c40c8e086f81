"""Map YouTube API failures to the connector error tree by status and machine reason."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from typing import Any

from connectors.errors import (
    AuthError,
    ConnectorError,
    FatalError,
    RateLimited,
    StreamOffline,
    TransientError,
)
from connectors.values import JSON_ERRORS

_LOGGER = logging.getLogger(__name__)

PLATFORM = "youtube"

# Reasons in ``error.errors[].reason`` (https://developers.google.com/youtube/v3/docs/errors)
# and, in newer bodies, ``google.rpc.ErrorInfo.reason`` in ``error.details[]`` or the
# ``google.rpc.Code`` name in ``error.status`` (https://cloud.google.com/apis/design/errors).
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset(
    {
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "userRequestsExceedRateLimit",
        "RATE_LIMIT_EXCEEDED",
        "RESOURCE_EXHAUSTED",
    }
)
OFFLINE_REASONS = frozenset({"liveChatEnded", "liveChatDisabled", "liveChatNotFound", "NOT_FOUND"})
AUTH_REASONS = frozenset(
    {
        "forbidden",
        "insufficientPermissions",
        "authError",
        "unauthorized",
        "invalidCredentials",
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        "ACCESS_TOKEN_EXPIRED",
        "API_KEY_INVALID",
        "API_KEY_SERVICE_BLOCKED",
        "SERVICE_DISABLED",
        "PERMISSION_DENIED",
        "UNAUTHENTICATED",
    }
)
TRANSIENT_REASONS = frozenset({"backendError", "internalError", "UNAVAILABLE", "INTERNAL"})
DEFAULT_RATE_RETRY = 10.0
MAX_RETRY_AFTER = 86_400.0  # a Retry-After past a day (or inf, NaN) is not a wait we follow


def _first_reason(entries: Any) -> str | None:
    """The first ``reason`` string of a list of error entries (``errors[]`` or ``details[]``)."""
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, Mapping) and isinstance(entry.get("reason"), str):
                return str(entry["reason"])
    return None


def reason_from_content(content: bytes | str | None) -> str | None:
    """Return the machine reason of a Google error body.

    ``error.errors[0].reason`` first, as google-api-python-client's own retry rule reads it
    (``googleapiclient.http._should_retry_response``: "If the 'errors' key exists, we must use
    that first"); then an ``ErrorInfo`` reason in ``error.details``; then ``error.status``.
    A body whose ``details`` come first (``HttpError.error_details`` prefers them) is read the
    same way, so ``RATE_LIMIT_EXCEEDED`` beside ``rateLimitExceeded`` is a rate limit, not auth.
    """
    if not content:
        return None
    try:
        body = json.loads(content)
    except JSON_ERRORS:
        return None
    if isinstance(body, list) and body:  # a batch-style body: a list of {"error": ...}
        body = body[0]
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return None
    reason = _first_reason(error.get("errors")) or _first_reason(error.get("details"))
    if reason is not None:
        return reason
    status = error.get("status")
    return status if isinstance(status, str) else None


def reason_of(error_details: Any, content: bytes | str | None) -> str | None:
    """Return the machine reason of an ``HttpError``: from its body, else its ``error_details``."""
    return reason_from_content(content) or _first_reason(error_details)


def retry_after_of(headers: Mapping[str, Any] | None) -> float | None:
    """Return a numeric ``Retry-After`` header in seconds, if any."""
    if not headers:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else math.nan
    except (TypeError, ValueError):
        return None
    return max(0.0, seconds) if math.isfinite(seconds) and seconds <= MAX_RETRY_AFTER else None


def classify(
    status: int,
    reason: str | None,
    *,
    quota_reset_in: float,
    retry_after: float | None = None,
) -> ConnectorError:
    """Return the connector error for one failed call.

    Args:
        status: the HTTP status code.
        reason: the machine reason (``errors[0].reason``), never the human message.
        quota_reset_in: seconds until the daily quota renews (the wait for ``quotaExceeded``).
        retry_after: the server's ``Retry-After`` in seconds, if it sent one.
    """
    label = f"youtube {status} {reason or '-'}"
    if reason in QUOTA_REASONS:
        return RateLimited(label, retry_after=quota_reset_in, platform=PLATFORM)
    if reason in RATE_REASONS or status == 429:
        wait = retry_after if retry_after is not None else DEFAULT_RATE_RETRY
        return RateLimited(label, retry_after=wait, platform=PLATFORM)
    if reason in OFFLINE_REASONS or status == 404:
        return StreamOffline(label, platform=PLATFORM)
    if status == 401 or reason in AUTH_REASONS or status == 403:
        return AuthError(label, platform=PLATFORM)
    if status >= 500 or status in (408, 409) or reason in TRANSIENT_REASONS:
        return TransientError(label, platform=PLATFORM)
    return FatalError(label, platform=PLATFORM)
