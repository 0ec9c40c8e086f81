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

QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "userRequestsExceedRateLimit"}
)
OFFLINE_REASONS = frozenset({"liveChatEnded", "liveChatDisabled", "liveChatNotFound"})
AUTH_REASONS = frozenset(
    {"forbidden", "insufficientPermissions", "authError", "unauthorized", "invalidCredentials"}
)
DEFAULT_RATE_RETRY = 10.0
MAX_RETRY_AFTER = 86_400.0  # a Retry-After past a day (or inf, NaN) is not a wait we follow


def reason_from_content(content: bytes | str | None) -> str | None:
    """Return ``error.errors[0].reason`` (or ``error.status``) of a Google error body."""
    if not content:
        return None
    try:
        body = json.loads(content)
    except JSON_ERRORS:
        return None
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return None
    errors = error.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        reason = errors[0].get("reason")
        if isinstance(reason, str):
            return reason
    status = error.get("status")
    return status if isinstance(status, str) else None


def reason_of(error_details: Any, content: bytes | str | None) -> str | None:
    """Return the machine reason of an ``HttpError`` (``error_details`` first, then the body)."""
    if isinstance(error_details, list) and error_details:
        first = error_details[0]
        if isinstance(first, Mapping) and isinstance(first.get("reason"), str):
            return str(first["reason"])
    return reason_from_content(content)


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
    if status >= 500 or status in (408, 409):
        return TransientError(label, platform=PLATFORM)
    return FatalError(label, platform=PLATFORM)
