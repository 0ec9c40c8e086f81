"""The demo's live table: recent messages, what they meant, what happened, the reply."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from connectors.events import ChatMessage, Reply
from shopstream.runtime.supervisor import Envelope


class DemoView:
    """Collects events as the show runs and renders them (rich renderable)."""

    def __init__(self, rows: int = 14, *, title: str = "shopstream demo") -> None:
        self.title = title
        self.rows: deque[tuple[str, str, str, str]] = deque(maxlen=rows)
        self.counts: Counter[str] = Counter()
        self.statuses: dict[str, str] = {}

    def on_event(self, envelope: Envelope, replies: Sequence[Reply]) -> None:
        """Pipeline callback (called from the worker thread; appends only)."""
        event = envelope.event
        if not isinstance(event, ChatMessage):
            self.counts[type(event).__name__] += 1
            return
        self.counts["messages"] += 1
        self.counts[f"on {event.platform}"] += 1
        reply = replies[0].text if replies else ""
        self.counts["replies"] += len(replies)
        self.rows.append((event.platform, event.author_name or "?", event.text, reply))

    def on_announce(self, text: str) -> None:
        """A scheduled drop or timer posted ``text`` on every platform."""
        self.counts["announcements"] += 1
        self.rows.append(("all", "(show)", "drop / timer", text))

    def __rich__(self) -> Group:
        table = Table(title=f"{self.title} — live chat", expand=True)
        table.add_column("platform", style="cyan", no_wrap=True)
        table.add_column("viewer", no_wrap=True)
        table.add_column("message", ratio=2)
        table.add_column("bot reply", ratio=3, style="green")
        for row in self.rows:
            table.add_row(*row)
        facts = "  ".join(f"{k}: {v}" for k, v in sorted(self.counts.items()))
        status = "  ".join(f"{k}={v}" for k, v in sorted(self.statuses.items()))
        return Group(table, Text(facts), Text(status, style="dim"))
