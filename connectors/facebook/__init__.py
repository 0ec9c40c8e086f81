"""Facebook Live connector: SSE comments with gap backfill, public and private replies."""

from __future__ import annotations

from connectors.facebook.config import FacebookConfig, FacebookCredentials, credentials_from_env
from connectors.facebook.connector import FACEBOOK_LIMITS, FacebookConnector
from connectors.facebook.graph_errors import (
    DuplicateContent,
    PermissionDenied,
    PostingBlocked,
    PrivateReplyRefused,
)

__all__ = [
    "FACEBOOK_LIMITS",
    "DuplicateContent",
    "FacebookConfig",
    "FacebookConnector",
    "FacebookCredentials",
    "PermissionDenied",
    "PostingBlocked",
    "PrivateReplyRefused",
    "credentials_from_env",
]
