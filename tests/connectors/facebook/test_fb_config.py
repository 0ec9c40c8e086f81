"""Settings validation and credentials from the environment."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from connectors.facebook import FacebookConfig, FacebookConnector, credentials_from_env


def test_defaults_need_no_credentials_and_name_nothing_real() -> None:
    config = FacebookConfig()
    assert config.graph_url is None and config.streaming_url is None
    assert config.api_version == "v26.0" and config.comment_rate == "one_hundred_per_second"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("api_version", "26.0"),
        ("api_version", "v3"),
        ("api_version", "2.8"),
        ("comment_rate", "as_fast_as_possible"),
        ("backfill_interval_seconds", 0),
        ("backfill_page_limit", 500),
        ("stream_fields", "message,from{id,name}"),
        ("stream_fields", "id,message,from{created_time}"),
        ("replies_per_minute", 0),
        ("surprise", True),
    ],
)
def test_bad_settings_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        FacebookConfig(**{field: value})


def test_urls_get_a_trailing_slash_and_empty_means_unset() -> None:
    config = FacebookConfig(graph_url="http://127.0.0.1:1", streaming_url="")
    assert config.graph_url == "http://127.0.0.1:1/" and config.streaming_url is None


def test_replies_per_minute_sets_the_declared_limit() -> None:
    conn = FacebookConnector(FacebookConfig(replies_per_minute=20))
    assert conn.limits.max_messages == 20 and conn.limits.window_seconds == 60


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"SHOPSTREAM_FACEBOOK_PAGE_TOKEN": "  "}, None),
        ({"SHOPSTREAM_FACEBOOK_PAGE_TOKEN": "EAAB123"}, ("EAAB123", None)),
        (
            {"SHOPSTREAM_FACEBOOK_PAGE_TOKEN": "EAAB123", "SHOPSTREAM_FACEBOOK_PAGE_ID": "42"},
            ("EAAB123", "42"),
        ),
    ],
)
def test_credentials_from_env(env: dict[str, str], expected: tuple[str, str | None] | None) -> None:
    creds = credentials_from_env(env)
    if expected is None:
        assert creds is None
    else:
        assert creds is not None
        assert (creds.page_token.get_secret_value(), creds.page_id) == expected
        assert "EAAB123" not in repr(creds)
