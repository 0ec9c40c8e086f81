"""Twitch emulator: Helix, OAuth, EventSub WebSocket and IRC on 127.0.0.1."""

from sandbox.twitch.emulator import TwitchEmulator

__all__ = ["TwitchEmulator"]
