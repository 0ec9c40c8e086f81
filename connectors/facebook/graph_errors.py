"""Map the Graph error envelope and usage headers to the connector error tree (pure).

::

    code 4, 17, 32, 613, 80001, 80006 (341) -> RateLimited (wait from the usage headers)
    code 190                              -> AuthError (invalid_auth)
    code 10900-10903, 10/2018278          -> PrivateReplyRefused (a FatalError for that reply)
    code 10, 200-299                      -> PermissionDenied (an AuthError: App Review / scopes)
    code 368                              -> PostingBlocked (a FatalError: stop posting)
    code 506                              -> DuplicateContent (a TransientError: vary the text)
    code 1, 2, is_transient, HTTP 5xx     -> TransientError
    anything else (100, unknown)          -> FatalError
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from connectors.errors import (
    AuthError,
    ConnectorError,
    FatalError,
    RateLimited,
    TransientError,
)
from connectors.values import JSON_ERRORS, ascii_int

_LOGGER = logging.getLogger(__name__)

PLATFORM = "facebook"
# 80001 Pages and 80006 Messenger Business Use Case limits (rate-limiting docs, BUC codes [R])
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, 80001, 80006})
# (#10900) activity already replied to, (#10901) too old, (#10902) not replyable [R];
# (#10) subcode 2018278: message sent outside the allowed window [R].
PRIVATE_REPLY_CODES = frozenset({10900, 10901, 10902, 10903})
OUTSIDE_WINDOW_SUBCODE = 2018278
_MAX_CODE = 2**31 - 1  # Graph codes and subcodes are 32-bit integers
_MAX_WAIT = 7 * 24 * 60  # minutes; a longer estimated_time_to_regain_access is not believed
_MAX_PERCENT = 10_000  # usage percentages pass 100 when over the limit, never by this much
USAGE_HEADERS = ("x-business-use-case-usage", "x-app-usage", "x-page-usage", "x-ad-account-usage")


class DuplicateContent(TransientError):
    """Graph refused the text as a duplicate post (code 506): send it again with varied text."""

    key = "duplicate_content"


class PermissionDenied(AuthError):
    """The token lacks a permission (code 10 or 200-299): fix scopes or App Review."""


class PostingBlocked(FatalError):
    """The Page is temporarily blocked from posting (code 368): stop posting."""

    key = "posting_blocked"


class PrivateReplyRefused(FatalError):
    """A private reply is not allowed any more (already sent, or older than 7 days)."""

    key = "private_reply_refused"


def error_body(result: object) -> Mapping[str, Any] | None:
    """Return the ``error`` object of a Graph envelope, or None when it is not one."""
    if isinstance(result, Mapping):
        err = result.get("error")
        if isinstance(err, Mapping):
            return err
    return None


def usage_wait_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait that the usage headers imply, or None when they say nothing.

    ``X-Business-Use-Case-Usage`` carries ``estimated_time_to_regain_access`` in minutes per
    business object (BUC applies when present). ``X-App-Usage`` / ``X-Page-Usage`` only give
    percentages of a rolling window, so they imply no exact time.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    raw = lowered.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except JSON_ERRORS:
        _LOGGER.warning("facebook: unparsable X-Business-Use-Case-Usage header")
        return None
    minutes: list[int] = []
    if isinstance(doc, Mapping):
        for entries in doc.values():
            if not isinstance(entries, list):
                continue
            for entry in entries:
                if isinstance(entry, Mapping):
                    value = ascii_int(entry.get("estimated_time_to_regain_access"), hi=_MAX_WAIT)
                    if value is not None and value > 0:
                        minutes.append(value)
    return max(minutes) * 60.0 if minutes else None


def usage_summary(headers: Mapping[str, str]) -> dict[str, int]:
    """Return the highest percentage per usage header (``{"x-app-usage": 28, ...}``)."""
    summary: dict[str, int] = {}
    for key, raw in headers.items():
        name = key.lower()
        if name not in USAGE_HEADERS:
            continue
        try:
            doc = json.loads(raw)
        except JSON_ERRORS:
            continue
        summary[name] = _max_percent(doc)
    return summary


def _max_percent(doc: object) -> int:
    best = 0
    if isinstance(doc, Mapping):
        for key, value in doc.items():
            if key in ("call_count", "total_time", "total_cputime"):
                best = max(best, ascii_int(value, hi=_MAX_PERCENT) or 0)
            elif isinstance(value, list | Mapping):
                best = max(best, _max_percent(value))
    elif isinstance(doc, list):
        for item in doc:
            best = max(best, _max_percent(item))
    return best


def classify(
    status: int | None,
    result: object,
    headers: Mapping[str, str],
    *,
    default_wait: float,
) -> ConnectorError:
    """Turn one failed Graph answer into the matching :mod:`connectors.errors` instance.

    Args:
        status: the HTTP status, or None when no response came back.
        result: the parsed body (the envelope, or anything else).
        headers: the response headers (usage headers are read for rate limits).
        default_wait: seconds to wait on a rate limit when no header says how long.
    """
    err = error_body(result)
    if err is None:
        if status is not None and (status >= 500 or status == 429):
            return TransientError(f"graph HTTP {status}", platform=PLATFORM)
        return FatalError(f"graph HTTP {status} without an error envelope", platform=PLATFORM)
    code = ascii_int(err.get("code"), lo=-_MAX_CODE, hi=_MAX_CODE)
    subcode = ascii_int(err.get("error_subcode"), lo=-_MAX_CODE, hi=_MAX_CODE)
    trace = err.get("fbtrace_id")
    message = f"(#{code}) subcode={subcode} fbtrace_id={trace}"
    if code in RATE_LIMIT_CODES:
        wait = usage_wait_seconds(headers)
        return RateLimited(
            message, retry_after=wait if wait is not None else default_wait, platform=PLATFORM
        )
    if code == 190:
        return AuthError(message, platform=PLATFORM)
    if code in PRIVATE_REPLY_CODES or (code == 10 and subcode == OUTSIDE_WINDOW_SUBCODE):
        return PrivateReplyRefused(message, platform=PLATFORM)
    if code == 10 or (code is not None and 200 <= code <= 299):
        return PermissionDenied(message, platform=PLATFORM)
    if code == 368:
        return PostingBlocked(message, platform=PLATFORM)
    if code == 506:
        return DuplicateContent(message, platform=PLATFORM)
    if code in (1, 2) or err.get("is_transient") is True or (status or 0) >= 500:
        return TransientError(message, platform=PLATFORM)
    return FatalError(message, platform=PLATFORM)
