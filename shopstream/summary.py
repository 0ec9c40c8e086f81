"""The closing summary of a show, as a table (printed by ``run``, ``demo`` and ``rehearse``)."""

from __future__ import annotations

from rich.table import Table

from shopstream.runtime.show import ShowResult


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
