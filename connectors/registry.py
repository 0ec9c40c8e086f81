"""Built-in connectors by platform name, plus third-party ones from entry points."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

ENTRY_POINT_GROUP = "shopstream.connectors"

# platform -> "module:Class"; each connector sub-package registers one line here.
BUILTIN: dict[str, str] = {
    "console": "connectors.console.connector:ConsoleConnector",
    "replay": "connectors.replay.connector:ReplayConnector",
    "twitch": "connectors.twitch.connector:TwitchConnector",
    "youtube": "connectors.youtube.connector:YouTubeConnector",
    "facebook": "connectors.facebook.connector:FacebookConnector",
}


def load(platform: str) -> Any:
    """Return the connector class for ``platform``.

    Raises:
        KeyError: no built-in or installed connector has that name.
    """
    target = BUILTIN.get(platform)
    if target is None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == platform:
                return ep.load()
        raise KeyError(platform)
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
