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

from shopstream.commands.auth import auth_command
from shopstream.commands.parse import parse_command
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


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def setup_logging(level: str) -> None:
    """Log to stderr with secrets redacted."""
    handler = _StderrHandler()
    handler.addFilter(RedactSecrets())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def print_problems(problems: list[str] | tuple[str, ...], console: Console) -> None:
    """One line per problem, never wrapped, so ``file:line:`` stays whole for editors and grep."""
    for line in problems:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def settings_or_exit(path: Path) -> Settings:
    """Load settings, or print every problem (one line each) and exit with code 2."""
    try:
        return load_settings(path)
    except SettingsError as exc:
        err = Console(stderr=True)
        err.print(f"[bold red]{len(exc.problems)} problem(s) in the settings:[/]")
        print_problems(exc.problems, err)
        raise typer.Exit(2) from None


def live_credentials_or_exit(cfg: Settings) -> None:
    """In live mode: every missing or unusable credential (one line each), then exit 2."""
    from shopstream.credentials import prepare_live

    problems = prepare_live(cfg)
    if problems:
        err = Console(stderr=True)
        err.print(f"[bold red]{len(problems)} credential problem(s) for a live show:[/]")
        print_problems(problems, err)
        raise typer.Exit(2)


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


@app.command()
def run(settings: SettingsPath = Path("settings.toml")) -> None:
    """Run the show settings.toml describes, until its connectors end or Ctrl-C.

    In sandbox mode the store and the enabled platforms are local emulators; in live
    mode they are the real ones, with credentials from the environment.
    """
    import asyncio

    from shop_sync.errors import ShopError
    from shopstream.demo_view import summary_table
    from shopstream.operate import run_show

    cfg = settings_or_exit(settings)
    live_credentials_or_exit(cfg)
    if cfg.app.mode == "live":
        from shopstream.auth.live_check import start_findings

        start_findings(cfg, Console(stderr=True))
    setup_logging(cfg.app.log_level)
    try:
        result = asyncio.run(run_show(cfg))
    except ShopError as exc:
        Console(stderr=True).print(f"store: {exc.key} ({exc}); fix: run `shopstream check`")
        raise typer.Exit(1) from None
    Console().print(summary_table(result, holds={}))


@app.command()
def check(settings: SettingsPath = Path("settings.toml")) -> None:
    """Validate settings, then make one read-only call to the store and each connector.

    Prints one status key per line (ok, invalid_auth, rate_limited, stream_offline,
    cannot_connect); exits 1 when any is not ok. In live mode every credential is first
    checked for presence (exit 2 with the list of what is missing) and then validated at the
    platform's own endpoint: whose token, scopes, expiry, the stream it will attach to.
    """
    import asyncio

    from shopstream.operate import check_all

    cfg = settings_or_exit(settings)
    live_credentials_or_exit(cfg)
    setup_logging("WARNING")
    typer.echo(f"settings: ok ({settings}, mode {cfg.app.mode})")
    failed = False
    if cfg.app.mode == "live":
        from shopstream.auth.live_check import live_findings

        for finding in live_findings(cfg):
            failed |= not finding.ok
            print_problems(finding.lines(), Console())
    details: dict[str, str] = {}
    statuses = asyncio.run(check_all(cfg, details))
    for name, key in statuses.items():
        typer.echo(f"{name}: {key}" + (f" ({details[name]})" if details.get(name) else ""))
    if failed or any(key != "ok" for key in statuses.values()):
        raise typer.Exit(1)


@app.command()
def sync(
    settings: SettingsPath = Path("settings.toml"),
    full: Annotated[
        bool, typer.Option("--full/--incremental", help="Every variant, or changes.")
    ] = True,
) -> None:
    """Sync the store's catalog and stock into the mirror now, with a progress bar.

    In sandbox mode this reads the store emulator (seeded with the demo catalog).
    """
    import asyncio

    from shop_sync.errors import ShopError
    from shopstream.commands.sync import run_sync
    from shopstream.core import replace_model
    from shopstream.operate import environment
    from shopstream.storage import make_engine
    from shopstream.storage.migrate import upgrade

    cfg = settings_or_exit(settings)
    setup_logging("WARNING")
    console = Console()

    async def go() -> None:
        async with environment(cfg) as (access, _store, _platforms):
            shop = replace_model(cfg.shop, admin_base_url=access.admin_base_url)
            engine = make_engine(cfg.database_url())
            try:
                await asyncio.to_thread(upgrade, engine)
                await asyncio.to_thread(
                    run_sync, shop, engine, console, full=full, token_default=access.token
                )
            finally:
                engine.dispose()

    try:
        asyncio.run(go())
    except ShopError as exc:
        console.print(f"[red]sync failed ({exc.key}):[/red] {exc}")
        raise typer.Exit(1) from None


@app.command()
def report(
    show: Annotated[str, typer.Argument(help="Show id (settings' show.id when omitted).")] = "",
    settings: SettingsPath = Path("settings.toml"),
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    database: Annotated[str, typer.Option(help="Database URL (default: the settings').")] = "",
) -> None:
    """Print a show's funnel per platform: messages, claims, holds, clicks, orders, revenue."""
    from shopstream.commands.report import render_report, report_data
    from shopstream.reports import platform_counts
    from shopstream.storage import make_engine
    from shopstream.storage.migrate import upgrade

    if format not in ("table", "json"):
        Console(stderr=True).print("--format must be table or json")
        raise typer.Exit(2)
    cfg = settings_or_exit(settings)
    engine = make_engine(database or cfg.database_url())
    try:
        upgrade(engine)
        funnel = report_data(engine, show or cfg.show.id, platform_counts)
    finally:
        engine.dispose()
    render_report(funnel, format, Console())


@app.command()
def rehearse(
    catalog: Annotated[
        Path, typer.Option(help="Your products.json (Shopify shape).", exists=True, dir_okay=False)
    ],
    run_of_show: Annotated[
        Path | None,
        typer.Option("--run-of-show", help="Your run-of-show TOML.", exists=True, dir_okay=False),
    ] = None,
    settings: SettingsPath = Path("settings.toml"),
    viewers: Annotated[int, typer.Option(help="Simulated viewers.")] = 60,
    lines: Annotated[int, typer.Option(help="Chat lines they type.")] = 150,
    seconds: Annotated[float, typer.Option(help="Length of the rehearsal in seconds.")] = 25.0,
) -> None:
    """Rehearse your own catalog and lineup in the sandbox before going live."""
    import asyncio
    import json

    from checkout_links.report import funnel_table
    from shopstream.demo import fresh_database, print_outcome, sandbox_settings
    from shopstream.demo_platforms import Audience, run_platform_demo
    from shopstream.show.run_of_show import RunOfShowError, load_run_of_show

    cfg = sandbox_settings(settings_or_exit(settings))
    setup_logging("WARNING")
    err = Console(stderr=True)
    try:
        products = json.loads(catalog.read_text(encoding="utf-8"))["products"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        err.print(f"{catalog}: not a products.json document ({exc})")
        raise typer.Exit(2) from None
    if run_of_show is not None:
        try:
            load_run_of_show(run_of_show, default_cap=cfg.control.default_drop_cap)
        except RunOfShowError as exc:
            print_problems(exc.problems, err)
            raise typer.Exit(2) from None
    console = Console()
    url = fresh_database(cfg.app.data_dir, "rehearsal.db")

    async def go() -> None:
        outcome, funnel = await run_platform_demo(
            cfg,
            database_url=url,
            audience=Audience(viewers=viewers, lines=lines, seconds=seconds),
            products=products,
            run_of_show=run_of_show,
            console=console,
        )
        print_outcome(console, outcome)
        console.print(funnel_table(funnel))

    asyncio.run(go())
    console.print(f"Every claim of this rehearsal: shopstream claims --database {url}")


app.command("parse")(parse_command)
app.command("auth")(auth_command)


def main() -> None:
    """Console-script entry point."""
    app()
