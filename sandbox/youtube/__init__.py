"""A YouTube Data API v3 live-chat emulator for tests, rehearsals and the demo."""

from __future__ import annotations

from sandbox.youtube.emulator import YouTubeEmulator

__all__ = ["YouTubeEmulator"]
