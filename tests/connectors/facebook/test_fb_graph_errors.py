"""Graph error envelopes and usage headers -> the connector error tree (a table)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import AuthError, FatalError, RateLimited, TransientError
from connectors.facebook.graph_errors import (
    DuplicateContent,
    PermissionDenied,
    PostingBlocked,
    PrivateReplyRefused,
    classify,
    usage_summary,
    usage_wait_seconds,
)

ENVELOPES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "error_envelopes.json").read_text("utf-8")
)
BUC = {
    "x-business-use-case-usage": json.dumps(
        {
            "104532198765432": [
                {
                    "type": "pages",
                    "call_count": 100,
                    "total_cputime": 25,
                    "total_time": 25,
                    "estimated_time_to_regain_access": 19,
                }
            ]
        }
    )
}


@pytest.mark.parametrize(
    ("name", "status", "error_type"),
    [
        ("app_rate_limit", 400, RateLimited),
        ("user_rate_limit", 400, RateLimited),
        ("page_rate_limit", 400, RateLimited),
        ("custom_rate_limit", 400, RateLimited),
        ("buc_rate_limit", 400, RateLimited),
        ("expired_token", 400, AuthError),
        ("permission", 403, PermissionDenied),
        ("permission_10", 403, PermissionDenied),
        ("blocked", 400, PostingBlocked),
        ("duplicate", 400, DuplicateContent),
        ("unknown", 500, TransientError),
        ("service", 503, TransientError),
        ("bad_param", 400, FatalError),
        ("already_replied", 400, PrivateReplyRefused),
        ("outside_window", 400, PrivateReplyRefused),
    ],
)
def test_envelope_classification(name: str, status: int, error_type: type[Exception]) -> None:
    error = classify(status, ENVELOPES[name], {}, default_wait=60.0)
    assert type(error) is error_type
    code = ENVELOPES[name]["error"]["code"]
    assert f"(#{code})" in str(error) and "fbtrace_id=" in str(error)


def test_error_tree_positions() -> None:
    assert issubclass(DuplicateContent, TransientError)
    assert issubclass(PermissionDenied, AuthError) and PermissionDenied.key == "invalid_auth"
    assert issubclass(PostingBlocked, FatalError)
    assert DuplicateContent.key == "duplicate_content"


def test_rate_limit_waits_what_the_buc_header_says() -> None:
    error = classify(400, ENVELOPES["buc_rate_limit"], BUC, default_wait=60.0)
    assert isinstance(error, RateLimited) and error.retry_after == 19 * 60


def test_rate_limit_without_headers_waits_the_default() -> None:
    error = classify(400, ENVELOPES["app_rate_limit"], {}, default_wait=42.0)
    assert isinstance(error, RateLimited) and error.retry_after == 42.0


@pytest.mark.parametrize(
    ("status", "body", "error_type"),
    [
        (502, "<html>Bad Gateway</html>", TransientError),
        (500, None, TransientError),
        (429, None, TransientError),
        (None, None, FatalError),
        (404, {"data": []}, FatalError),
        (400, {"error": "a string"}, FatalError),
        (400, {"error": {"code": "4"}}, RateLimited),  # code as a string
        (500, {"error": {"message": "no code"}}, TransientError),
        (400, {"error": {"code": 1234, "is_transient": True}}, TransientError),
    ],
)
def test_unexpected_bodies(status: int | None, body: object, error_type: type[Exception]) -> None:
    assert type(classify(status, body, {}, default_wait=1.0)) is error_type


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        (BUC, 19 * 60.0),
        ({"X-Business-Use-Case-Usage": BUC["x-business-use-case-usage"]}, 19 * 60.0),
        ({"x-business-use-case-usage": "not json"}, None),
        ({"x-business-use-case-usage": '{"1":[{"estimated_time_to_regain_access":0}]}'}, None),
        (
            {
                "x-business-use-case-usage": json.dumps(
                    {
                        "1": [{"estimated_time_to_regain_access": 3}],
                        "2": [{"estimated_time_to_regain_access": 7}, "junk"],
                        "3": "junk",
                    }
                )
            },
            7 * 60.0,
        ),
        ({"x-app-usage": '{"call_count":100,"total_time":25,"total_cputime":25}'}, None),
    ],
)
def test_usage_wait_seconds(headers: dict[str, str], expected: float | None) -> None:
    assert usage_wait_seconds(headers) == expected


def test_usage_summary_keeps_the_highest_percent_per_header() -> None:
    headers = {
        "X-App-Usage": '{"call_count":28,"total_time":25,"total_cputime":31}',
        **BUC,
        "x-page-usage": "garbage",
        "content-type": "application/json",
    }
    assert usage_summary(headers) == {"x-app-usage": 31, "x-business-use-case-usage": 100}
