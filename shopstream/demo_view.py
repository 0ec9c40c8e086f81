"""The demo's live table: recent messages, what they meant, what happened, the reply."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from connectors.events import ChatMessage, Reply
from shopstream.runtime.show import ShowResult
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


def summary_table(result: ShowResult, holds: dict[str, int]) -> Table:
    """The closing summary of a show."""
    table = Table(title="show summary")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("chat events", str(result.events))
    table.add_row("duplicate deliveries ignored", str(result.duplicates))
    table.add_row("messages that failed to handle", str(result.failures))
    if result.shared_chat:
        table.add_row("Shared Chat messages (partner channels)", str(result.shared_chat))
    if result.storage_retries:
        table.add_row("batches retried after a database error", str(result.storage_retries))
    for status, n in sorted(result.outcomes.items()):
        table.add_row(f"claims {status}", str(n))
    for status, n in sorted(holds.items()):
        table.add_row(f"holds {status}", str(n))
    for name, sent in sorted(result.messages_sent.items()):
        table.add_row(f"messages sent on {name}", str(sent))
    table.add_row("platform limit violations", str(sum(len(v) for v in result.violations.values())))
    table.add_row("claim replies never told (untold)", str(result.untold))
    if result.in_doubt:
        table.add_row("replies in doubt after a crash (taken, never marked)", str(result.in_doubt))
    if result.gate_held is not None:
        table.add_row("held for fairness (waited for slower platforms)", str(result.gate_held))
        table.add_row(
            "fairness wait, median / longest (ms)",
            f"{result.gate_wait_p50_ms:g} / {result.gate_wait_max_ms:g}",
        )
        table.add_row("let go by the horizon (a platform fell behind)", str(result.gate_expired))
    for name, status in sorted(result.connector_status.items()):
        table.add_row(f"connector {name}", status)
    return table
