"""Connector health in plain words, and what the host should do (one map, pure)."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.status import Status


@dataclass(frozen=True, slots=True)
class PlainHealth:
    """How the dashboard says a status: words, a level (ok / warn / bad) and advice."""

    words: str
    level: str
    advice: str


HEALTH: dict[str, PlainHealth] = {
    Status.STARTING: PlainHealth("starting", "warn", "Wait a few seconds."),
    Status.OK: PlainHealth("ok", "ok", ""),
    Status.RECONNECTING: PlainHealth(
        "reconnecting",
        "warn",
        "It retries on its own; check the network if it lasts.",
    ),
    Status.RATE_LIMITED: PlainHealth(
        "rate limited", "warn", "Replies are slowed by the platform; they go out when allowed."
    ),
    Status.STREAM_OFFLINE: PlainHealth(
        "offline", "bad", "The stream is not live: start it on the platform."
    ),
    Status.CANNOT_CONNECT: PlainHealth(
        "offline", "bad", "Cannot reach the platform: check the network and the channel id."
    ),
    Status.INVALID_AUTH: PlainHealth(
        "auth failed", "bad", "Sign in again: run `shopstream auth <platform>`, then restart."
    ),
    Status.STOPPED: PlainHealth("stopped", "bad", "This connector ended; restart the show."),
}

_UNKNOWN = PlainHealth("unknown", "warn", "")


def plain_health(status: str) -> PlainHealth:
    """The plain words for a status key (an unknown key is said as itself)."""
    found = HEALTH.get(status)
    if found is not None:
        return found
    return PlainHealth(status.replace("_", " ") or _UNKNOWN.words, "warn", "")
