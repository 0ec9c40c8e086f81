"""The YouTube Data API's JSON error envelopes, exactly as the API returns them."""

from __future__ import annotations

from typing import Any

QUOTA_MESSAGE = (
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/'
    'getting-started#quota">quota</a>.'
)

# reason -> (status, domain, message)
KNOWN: dict[str, tuple[int, str, str]] = {
    "quotaExceeded": (403, "youtube.quota", QUOTA_MESSAGE),
    "rateLimitExceeded": (
        403,
        "youtube.liveChat",
        "The request was sent too soon after the previous one. This error occurs when API "
        "requests are sent more frequently than the pollingIntervalMillis value.",
    ),
    "liveChatEnded": (403, "youtube.liveChat", "The live chat is no longer live."),
    "liveChatDisabled": (403, "youtube.liveChat", "Live chat is not enabled for the broadcast."),
    "forbidden": (
        403,
        "youtube.liveChat",
        "You do not have the permissions required to send messages to the specified live chat.",
    ),
    "liveChatNotFound": (
        404,
        "youtube.liveChat",
        "The live chat that you are trying to "
        "retrieve cannot be found. Check the value of the liveChatId parameter "
        "to ensure that it is correct.",
    ),
    "liveChatMessageNotFound": (404, "youtube.liveChat", "The specified message does not exist."),
    "messageTextInvalid": (400, "youtube.liveChat", "The message text is invalid."),
    "messageTextRequired": (400, "youtube.liveChat", "The message text is required."),
    "liveChatIdRequired": (400, "youtube.liveChat", "The liveChatId is required."),
    "typeRequired": (400, "youtube.liveChat", "The message type is required."),
    "invalidPageToken": (400, "youtube.parameter", "The request specifies an invalid page token."),
    "missingRequiredParameter": (400, "youtube.parameter", "No filter selected."),
    "backendError": (503, "global", "The service is currently unavailable."),
    "internalError": (500, "global", "Internal error encountered."),
}

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def error(reason: str, *, status: int | None = None, message: str | None = None) -> dict[str, Any]:
    """Return the ``{"error": {...}}`` body for ``reason`` (status and text from the table)."""
    known_status, domain, known_message = KNOWN.get(reason, (status or 400, "global", reason))
    code = status or known_status
    text = message or known_message
    body: dict[str, Any] = {
        "code": code,
        "message": text,
        "errors": [{"message": text, "domain": domain, "reason": reason}],
    }
    if reason != "quotaExceeded" and code in _STATUS:
        body["status"] = _STATUS[code]
    return {"error": body}


def unauthorized() -> dict[str, Any]:
    """Return the 401 body for a missing, expired or revoked access token."""
    text = (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    return {
        "error": {
            "code": 401,
            "message": text,
            "errors": [
                {
                    "message": "Invalid Credentials",
                    "domain": "global",
                    "reason": "authError",
                    "location": "Authorization",
                    "locationType": "header",
                }
            ],
            "status": "UNAUTHENTICATED",
        }
    }


def status_of(reason: str) -> int:
    """Return the HTTP status YouTube uses for ``reason`` (400 if unknown)."""
    return KNOWN.get(reason, (400, "", ""))[0]
