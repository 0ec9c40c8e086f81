"""Keep the Page token out of HTTP client logs (the Graph API takes it as a query parameter).

httpx logs every request URL at INFO and urllib3 (under requests, under facebook-sdk) at DEBUG,
query string included. :func:`install` adds a filter to those two loggers that replaces the
value of ``access_token=`` with ``***``; it is idempotent.
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"(access_token=)[^&\s\"'#]+")
_LOGGERS = ("httpx", "urllib3.connectionpool")


def redact(text: str) -> str:
    """Replace every ``access_token=<value>`` in ``text`` with ``access_token=***``."""
    return _TOKEN.sub(r"\1***", text)


class RedactAccessToken(logging.Filter):
    """A logging filter that rewrites records whose message carries an access token."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            return True
        if "access_token=" in text:
            record.msg, record.args = redact(text), None
        return True


_FILTER = RedactAccessToken()


def install() -> None:
    """Attach the filter to the HTTP client loggers (once)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
