"""Route replies to the outbox of their platform and channel, and run every outbox."""

from __future__ import annotations

import asyncio
import logging

from connectors.events import Reply
from shopstream.outbox.outbox import Outbox, OutboxStats

_LOGGER = logging.getLogger(__name__)


class OutboxRouter:
    """Holds one :class:`Outbox` per (platform, channel)."""

    def __init__(self) -> None:
        self._boxes: dict[tuple[str, str], Outbox] = {}
        self.unroutable = 0

    def add(self, outbox: Outbox) -> None:
        """Register ``outbox`` for its platform and channel (before :meth:`run`)."""
        self._boxes[(outbox.platform, outbox.channel)] = outbox

    def get(self, platform: str, channel: str) -> Outbox | None:
        """Return the outbox of a platform channel, if registered."""
        return self._boxes.get((platform, channel))

    async def put(self, reply: Reply) -> bool:
        """Queue ``reply`` on its outbox; False (and a log line) if none is registered."""
        box = self._boxes.get((reply.platform, reply.channel))
        if box is None:
            self.unroutable += 1
            _LOGGER.warning(
                "no outbox for %s/%s; reply %s dropped", reply.platform, reply.channel, reply.key
            )
            return False
        await box.put(reply)
        return True

    async def run(self) -> None:
        """Run every registered outbox until cancelled."""
        async with asyncio.TaskGroup() as group:
            for (platform, channel), box in self._boxes.items():
                group.create_task(box.run(), name=f"outbox:{platform}:{channel}")

    async def flush(self) -> None:
        """Send everything queued on every outbox."""
        await asyncio.gather(*(box.flush() for box in self._boxes.values()))

    def stats(self) -> dict[str, OutboxStats]:
        """Return each outbox's stats keyed ``platform:channel``."""
        return {f"{p}:{c}": box.stats for (p, c), box in self._boxes.items()}

    def violations(self) -> dict[str, list[str]]:
        """Return each outbox's limit violations (all lists empty when limits held)."""
        return {f"{p}:{c}": box.violations() for (p, c), box in self._boxes.items()}
