"""The ``shopstream`` command line (typer + rich)."""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shopstream.secrets import RedactSecrets
from shopstream.settings import Settings, load_settings
from shopstream.settings_errors import SettingsError

app = typer.Typer(
    help="Sell from a live stream: chat buy commands answered with held stock and checkout links.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SettingsPath = Annotated[
    Path,
    typer.Option(
        "--settings",
        "-s",
        envvar="SHOPSTREAM_SETTINGS",
        help="Settings file (TOML).",
        show_default=True,
    ),
]


@app.callback()
def _root() -> None:
    """shopstream: live-shopping chat bot for YouTube, Facebook and Twitch."""


def setup_logging(level: str) -> None:
    """Log to stderr with secrets redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def settings_or_exit(path: Path) -> Settings:
    """Load settings, or print every problem (one line each) and exit with code 2."""
    try:
        return load_settings(path)
    except SettingsError as exc:
        err = Console(stderr=True)
        err.print(f"[bold red]{len(exc.problems)} problem(s) in the settings:[/]")
        for line in exc.problems:
            err.print(line, markup=False, highlight=False)
        raise typer.Exit(2) from None


@app.command()
def claims(
    settings: SettingsPath = Path("settings.toml"),
    show: Annotated[str, typer.Option(help="Only this show id (default: every show).")] = "",
    database: Annotated[
        str, typer.Option(help="Database URL (default: the one the settings name).")
    ] = "",
    format: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
) -> None:
    """List every claim: platform, viewer, message id, text, sku, quantity, status, times."""
    from shopstream.storage import make_engine
    from shopstream.storage.migrate import upgrade
    from shopstream.storage.records import Records

    if format not in ("table", "json", "csv"):
        Console(stderr=True).print("--format must be table, json or csv")
        raise typer.Exit(2)
    cfg = settings_or_exit(settings)
    engine = make_engine(database or cfg.database_url())
    upgrade(engine)
    rows = [
        {
            "platform": c.platform,
            "viewer": c.viewer_name or c.viewer_id or "",
            "message_id": c.message_id,
            "text": c.text,
            "sku": c.sku or "",
            "quantity": c.quantity,
            "status": c.status,
            "hold_id": c.hold_id or "",
            "sent_at": c.sent_at.isoformat(),
            "updated_at": c.updated_at.isoformat(),
        }
        for c in Records(engine).claims(show_id=show or None)
    ]
    engine.dispose()
    if format == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif format == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["platform"])
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buf.getvalue(), nl=False)
    else:
        table = Table(title=f"{len(rows)} claim(s)")
        for col in ("platform", "viewer", "message_id", "text", "sku", "quantity", "status"):
            table.add_column(col)
        table.add_column("sent_at")
        for r in rows:
            table.add_row(*(str(r[k]) for k in (*list(r)[:7], "sent_at")))
        Console().print(table)


@app.command()
def demo(
    settings: SettingsPath = Path("settings.toml"),
    replay: Annotated[
        bool, typer.Option("--replay", help="Play the bundled chat log instead of live viewers.")
    ] = False,
    viewers: Annotated[int, typer.Option(help="Simulated viewers.")] = 60,
    lines: Annotated[int, typer.Option(help="Chat lines they type.")] = 150,
    seconds: Annotated[float, typer.Option(help="Length of the show in seconds.")] = 25.0,
    speed: Annotated[float, typer.Option(help="Replay speed with --replay.")] = 3.0,
) -> None:
    """Run a sandbox show on 127.0.0.1 and end with a report (under a minute).

    Starts the Shopify, YouTube, Facebook and Twitch emulators, syncs the demo catalog
    through the real Shopify client, and runs the real connectors against the emulators
    while simulated viewers buy, ask and chat in five languages. Some buyers pay, and
    their orders come back as signed webhooks. With --replay, the bundled chat log is
    played through the replay connector instead.
    """
    import asyncio

    from shopstream.demo import (
        fresh_database,
        print_outcome,
        replay_connectors,
        run_sandbox_show,
        sandbox_settings,
    )
    from shopstream.demo_platforms import Audience, run_platform_demo

    cfg = sandbox_settings(settings_or_exit(settings))
    setup_logging("WARNING")
    console = Console()
    url = fresh_database(cfg.app.data_dir, "demo.db")

    async def go() -> None:
        if replay:
            outcome = await run_sandbox_show(
                cfg, await replay_connectors(cfg, speed), database_url=url, console=console
            )
            print_outcome(console, outcome)
            return
        audience = Audience(viewers=viewers, lines=lines, seconds=seconds)
        outcome, funnel = await run_platform_demo(
            cfg, database_url=url, audience=audience, console=console
        )
        print_outcome(console, outcome)
        from checkout_links.report import funnel_table

        console.print(funnel_table(funnel))

    asyncio.run(go())
    console.print(f"Every claim of this demo: shopstream claims --database {url}")


def main() -> None:
    """Console-script entry point."""
    app()
