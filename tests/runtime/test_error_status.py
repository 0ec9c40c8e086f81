"""One map from connector errors to status: the table, read by the supervisor and ``key``."""

from __future__ import annotations

import pytest

from connectors.errors import (
    AuthError,
    ConnectorError,
    FatalError,
    RateLimited,
    StreamOffline,
    TransientError,
    Verdict,
    verdict,
)
from connectors.facebook.graph_errors import DuplicateContent, PermissionDenied, PostingBlocked
from connectors.status import Status

S = Status


@pytest.mark.parametrize(
    ("error", "opening", "reading"),
    [
        (AuthError("x"), Verdict(S.INVALID_AUTH, stop=True), Verdict(S.INVALID_AUTH, stop=True)),
        (PermissionDenied("x"), Verdict(S.INVALID_AUTH, True), Verdict(S.INVALID_AUTH, True)),
        (FatalError("x"), Verdict(S.CANNOT_CONNECT, True), Verdict(S.CANNOT_CONNECT, True)),
        (PostingBlocked("x"), Verdict(S.CANNOT_CONNECT, True), Verdict(S.CANNOT_CONNECT, True)),
        (RateLimited("x", retry_after=3), Verdict(S.RATE_LIMITED), Verdict(S.RATE_LIMITED)),
        (StreamOffline("x"), Verdict(S.STREAM_OFFLINE), Verdict(S.STREAM_OFFLINE)),
        (TransientError("x"), Verdict(S.CANNOT_CONNECT), Verdict(S.RECONNECTING)),
        (DuplicateContent("x"), Verdict(S.CANNOT_CONNECT), Verdict(S.RECONNECTING)),
        (ConnectorError("x"), Verdict(S.CANNOT_CONNECT, unexpected=True), None),
        (RuntimeError("bug"), Verdict(S.CANNOT_CONNECT, unexpected=True), None),
        (OverflowError("bug"), Verdict(S.CANNOT_CONNECT, unexpected=True), None),
    ],
)
def test_each_error_has_one_status(
    error: Exception, opening: Verdict, reading: Verdict | None
) -> None:
    assert verdict(error, opened=False) == opening
    assert verdict(error, opened=True) == (reading or opening)
    assert verdict(type(error), opened=False) == opening


@pytest.mark.parametrize(
    ("cls", "key"),
    [
        (ConnectorError, "cannot_connect"),
        (TransientError, "reconnecting"),
        (RateLimited, "rate_limited"),
        (StreamOffline, "stream_offline"),
        (AuthError, "invalid_auth"),
        (PermissionDenied, "invalid_auth"),
        (FatalError, "cannot_connect"),
        (DuplicateContent, "duplicate_content"),  # a finer key of its own
        (PostingBlocked, "posting_blocked"),
    ],
)
def test_key_comes_from_the_table_unless_a_class_names_a_finer_one(
    cls: type[ConnectorError], key: str
) -> None:
    assert cls.key == key
    assert cls("x").key == key
