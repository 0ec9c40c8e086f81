"""A YouTube Data API v3 live-chat emulator for tests, rehearsals and the demo.

Usage (in-process, 127.0.0.1, an ephemeral port)::

    async with YouTubeEmulator(polling_interval_ms=2000) as emu:
        config = YouTubeConfig.for_emulator(emu.base_url, video_id=emu.video_id)
        emu.inject_message("!buy 101 M", author_name="Ana")
        emu.inject_messages({"text": f"!buy 10{i % 9} L"} for i in range(500))  # a flash drop
        emu.delete_message(message_id); emu.ban_user(channel_id); emu.end_chat()
        emu.fail_next("list", "quotaExceeded")  # or rateLimitExceeded, backendError, ...
        emu.sent  # what the bot posted

Routes: ``GET /youtube/v3/videos``, ``GET /youtube/v3/liveBroadcasts``,
``GET|POST|DELETE /youtube/v3/liveChat/messages``, ``GET /youtube/v3/liveChat/messages/stream``
(one JSON page) and ``POST /token`` (OAuth refresh).
"""

from __future__ import annotations

from sandbox.youtube.emulator import YouTubeEmulator

__all__ = ["YouTubeEmulator"]
