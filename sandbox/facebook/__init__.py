"""Facebook Graph API emulator: REST routes, SSE live comments, fault and viewer injection."""

from __future__ import annotations

from sandbox.facebook.emulator import FacebookEmulator

__all__ = ["FacebookEmulator"]
