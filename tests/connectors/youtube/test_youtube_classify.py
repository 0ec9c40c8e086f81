"""Table tests: YouTube failures map to the error tree by status and machine reason."""

from __future__ import annotations

import json
from pathlib import Path

import httplib2
import pytest
from googleapiclient.errors import HttpError

from connectors.errors import AuthError, FatalError, RateLimited, StreamOffline, TransientError
from connectors.youtube.classify import classify, reason_from_content, reason_of, retry_after_of
from sandbox.youtube import envelopes


@pytest.mark.parametrize(
    ("status", "reason", "error", "retry_after"),
    [
        (403, "quotaExceeded", RateLimited, 3600.0),
        (403, "dailyLimitExceeded", RateLimited, 3600.0),
        (403, "rateLimitExceeded", RateLimited, 10.0),
        (403, "userRateLimitExceeded", RateLimited, 10.0),
        (429, None, RateLimited, 10.0),
        (403, "liveChatEnded", StreamOffline, None),
        (403, "liveChatDisabled", StreamOffline, None),
        (404, "liveChatNotFound", StreamOffline, None),
        (403, "forbidden", AuthError, None),
        (403, "insufficientPermissions", AuthError, None),
        (401, "authError", AuthError, None),
        (401, None, AuthError, None),
        (500, "internalError", TransientError, None),
        (503, "backendError", TransientError, None),
        (400, "invalidPageToken", FatalError, None),
    ],
)
def test_classify(status: int, reason: str | None, error: type, retry_after: float | None) -> None:
    result = classify(status, reason, quota_reset_in=3600.0)
    assert type(result) is error
    if retry_after is not None:
        assert isinstance(result, RateLimited) and result.retry_after == retry_after


def test_retry_after_header_wins() -> None:
    result = classify(429, None, quota_reset_in=1.0, retry_after=7.0)
    assert isinstance(result, RateLimited) and result.retry_after == 7.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "12"}, 12.0),
        ({"Retry-After": "3.5"}, 3.5),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "1e400"}, None),
        ({"retry-after": "86401"}, None),
        ({"retry-after": "-3"}, 0.0),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after_of(headers: dict[str, str] | None, seconds: float | None) -> None:
    assert retry_after_of(headers) == seconds


def test_reason_comes_from_details_not_message() -> None:
    body = envelopes.error("quotaExceeded")
    assert "quota" in body["error"]["message"]
    assert reason_from_content(json.dumps(body).encode()) == "quotaExceeded"
    assert reason_of(body["error"]["errors"], b"") == "quotaExceeded"
    assert reason_of("", json.dumps(envelopes.error("liveChatEnded"))) == "liveChatEnded"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<html>502</html>", None),
        (b"", None),
        (b"[]", None),
        (b'{"error": "x"}', None),
        (b'{"error": {"status": "UNAVAILABLE"}}', "UNAVAILABLE"),
        (b'{"error": {"errors": [{"reason": 5}], "status": "X"}}', "X"),
    ],
)
def test_reason_from_odd_bodies(content: bytes, reason: str | None) -> None:
    assert reason_from_content(content) == reason


_BODIES = json.loads((Path(__file__).parent / "fixtures" / "error_bodies.json").read_text())
_ERRORS = {
    "RateLimited": RateLimited,
    "AuthError": AuthError,
    "StreamOffline": StreamOffline,
    "TransientError": TransientError,
}


@pytest.mark.parametrize("name", sorted(k for k in _BODIES if not k.startswith("_")))
def test_real_error_bodies_through_the_client_librarys_http_error(name: str) -> None:
    """Each body goes through google-api-python-client's own HttpError, as the client sees it.

    ``HttpError.error_details`` prefers ``details`` over ``errors``; a rate limit whose
    details carry ``RATE_LIMIT_EXCEEDED`` was read as auth (issue 17).
    """
    case = _BODIES[name]
    content = json.dumps(case["body"]).encode()
    error = HttpError(httplib2.Response({"status": case["status"]}), content, uri="https://x")
    reason = reason_of(error.error_details, error.content)
    got = classify(int(error.status_code), reason, quota_reset_in=60.0)
    assert type(got) is _ERRORS[case["expect"]], (name, reason)
