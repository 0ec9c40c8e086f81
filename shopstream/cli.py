"""The ``shopstream`` command line (typer + rich)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from shopstream.commands.auth import auth_command
from shopstream.commands.parse import parse_command
from shopstream.secrets import RedactSecrets
from shopstream.settings import DEFAULT_PATH, Settings, load_settings
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


NOISY_LIBRARIES = (
    "alembic",
    "apscheduler",
    "uvicorn",
    "httpx",
    "httpcore",
    "websockets",
    "urllib3",
    "googleapiclient",
)
"""Third-party loggers kept at WARNING unless ``-v`` (the scheduler logs every job run)."""


def setup_logging(level: str, *, quiet_libraries: bool = True) -> None:
    """Log to stderr with secrets redacted; third-party chatter at WARNING unless asked."""
    handler = _StderrHandler()
    handler.addFilter(RedactSecrets())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if quiet_libraries:
        handler.addFilter(_quiet_libraries)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _quiet_libraries(record: logging.LogRecord) -> bool:
    """Drop third-party records below WARNING (a filter on our handler: the libraries'
    own logger levels stay as they are)."""
    if record.levelno >= logging.WARNING:
        return True
    return not any(record.name == n or record.name.startswith(f"{n}.") for n in NOISY_LIBRARIES)


def print_problems(problems: list[str] | tuple[str, ...], console: Console) -> None:
    """One line per problem, never wrapped, so ``file:line:`` stays whole for editors and grep."""
    for line in problems:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def settings_or_exit(path: Path) -> Settings:
    """Load settings, or print every problem (one line each) and exit with code 2.

    Without a settings file in the current folder (and none named), every key takes its
    default: the sandbox, no credentials.
    """
    if path == DEFAULT_PATH and not path.exists() and "SHOPSTREAM_SETTINGS" not in os.environ:
        Console(stderr=True).print(
            "no settings.toml here: using the defaults (sandbox mode, no credentials)",
            highlight=False,
        )
        return Settings()
    try:
        return load_settings(path)
    except SettingsError as exc:
        settings_problems(exc.problems)
    raise AssertionError("unreachable")


def settings_problems(problems: list[str] | tuple[str, ...]) -> NoReturn:
    """Print settings problems (one line each) and exit with code 2."""
    err = Console(stderr=True)
    err.print(f"[bold red]{len(problems)} problem(s) in the settings:[/]")
    print_problems(problems, err)
    raise typer.Exit(2)


@contextlib.contextmanager
def as_sentences(what: str) -> Iterator[None]:
    """Turn the errors a merchant can cause into one sentence each and an exit code."""
    from sqlalchemy.exc import SQLAlchemyError

    from shop_sync.errors import ShopError
    from shopstream.replies.templates import TemplateError
    from shopstream.show.run_of_show import RunOfShowError

    try:
        yield
    except (SettingsError, RunOfShowError) as exc:
        settings_problems(exc.problems)
    except TemplateError as exc:
        settings_problems([f"templates: {exc}"])
    except ShopError as exc:
        Console(stderr=True).print(f"{what} failed: the store said {exc.key}: {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        Console(stderr=True).print(f"{what} stopped by Ctrl-C")
        raise typer.Exit(130) from None
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        Console(stderr=True).print(
            f"{what} failed: cannot use the database ({type(exc).__name__}: {first})",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(1) from None


DemoFlag = Annotated[
    bool,
    typer.Option("--demo", help="Read the database of the last `shopstream demo`.", metavar=""),
]


def database_url(cfg: Settings, database: str, demo: bool) -> str:
    """The database a reading command opens: --database, --demo, or the settings'."""
    if database:
        return database
    if demo:
        path = cfg.app.data_dir / DEMO_DATABASE
        if not path.exists():
            Console(stderr=True).print(f"no demo database at {path}: run `shopstream demo` first")
            raise typer.Exit(1)
        return f"sqlite:///{path.resolve()}"
    return cfg.database_url()


DEMO_DATABASE = "demo.db"


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
    demo: DemoFlag = False,
    format: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write every claim to this CSV file.")
    ] = None,
) -> None:
    """List every claim: time, viewer, product and variant, price, status, order, paid."""
    from shopstream.commands.merchant_views import (
        CLAIM_FIELDS,
        claim_dicts,
        claim_lines,
        claims_table,
        to_csv,
    )
    from shopstream.storage import make_engine
    from shopstream.storage.migrate import upgrade

    if format not in ("table", "json", "csv"):
        Console(stderr=True).print("--format must be table, json or csv")
        raise typer.Exit(2)
    cfg = settings_or_exit(settings)
    with as_sentences("claims"):
        engine = make_engine(database_url(cfg, database, demo))
        try:
            upgrade(engine)
            lines = claim_lines(engine, show or None)
        finally:
            engine.dispose()
    rows = claim_dicts(lines)
    if csv_file is not None:
        write_csv(csv_file, to_csv(rows, CLAIM_FIELDS))
    if format == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif format == "csv":
        typer.echo(to_csv(rows, CLAIM_FIELDS), nl=False)
    else:
        Console().print(claims_table(lines, title=show))


def write_csv(path: Path, text: str) -> None:
    """Write an export, or say why it could not be written (exit 1)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        Console(stderr=True).print(f"cannot write {path}: {exc.strerror}")
        raise typer.Exit(1) from None
    Console(stderr=True).print(f"wrote {path}", highlight=False)


@app.command()
def demo(
    settings: SettingsPath = Path("settings.toml"),
    replay: Annotated[
        bool,
        typer.Option(
            "--replay", help="Play the bundled chat log instead of live viewers.", metavar=""
        ),
    ] = False,
    viewers: Annotated[int, typer.Option(help="Simulated viewers.")] = 60,
    lines: Annotated[int, typer.Option(help="Chat lines they type.")] = 150,
    seconds: Annotated[float, typer.Option(help="Length of the show in seconds.")] = 25.0,
    speed: Annotated[float, typer.Option(help="Replay speed with --replay.")] = 3.0,
    keep_open: Annotated[
        bool,
        typer.Option(
            "--keep-open",
            help="Keep the show and its dashboard up after the viewers are done (Ctrl-C ends).",
            metavar="",
        ),
    ] = False,
) -> None:
    """Run a sandbox show on 127.0.0.1 and end with a report (under a minute).

    Starts the Shopify, YouTube, Facebook and Twitch emulators, syncs the demo catalog
    through the real Shopify client, and runs the real connectors against the emulators
    while simulated viewers buy, ask and chat in five languages. Some buyers pay, and
    their orders come back as signed webhooks. With --replay, the bundled chat log is
    played through the replay connector instead. The dashboard's address and a one-time
    login link are printed at the start; --keep-open leaves it up after the viewers.
    """

    from sandbox.show.demo import (
        SandboxFailure,
        fresh_database,
        print_outcome,
        replay_connectors,
        run_sandbox_show,
        sandbox_settings,
    )
    from sandbox.show.demo_platforms import Audience, run_platform_demo
    from shopstream.interrupt import run_interruptibly

    cfg = sandbox_settings(settings_or_exit(settings))
    setup_logging("WARNING")
    console = Console()
    url = fresh_database(cfg.app.data_dir, DEMO_DATABASE)
    title = f"shopstream demo — {cfg.show.title}"

    async def go() -> None:
        if replay:
            outcome = await run_sandbox_show(
                cfg,
                await replay_connectors(cfg, speed),
                database_url=url,
                console=console,
                title=title,
            )
            print_outcome(console, outcome)
            return
        audience = Audience(viewers=viewers, lines=lines, seconds=seconds)
        outcome, funnel = await run_platform_demo(
            cfg,
            database_url=url,
            audience=audience,
            console=console,
            title=title,
            keep_open=keep_open,
        )
        print_outcome(console, outcome)
        from checkout_links.report import funnel_table

        console.print(funnel_table(funnel))

    with as_sentences("the demo"):
        try:
            run_interruptibly(go)
        except SandboxFailure as exc:
            Console(stderr=True).print(f"the demo stopped: {exc}", highlight=False)
            raise typer.Exit(1) from None
    console.print(
        "Look again: shopstream claims --demo · shopstream report --demo", highlight=False
    )


@app.command()
def run(
    settings: SettingsPath = Path("settings.toml"),
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Debug logs, libraries' too (scheduler, web).", metavar=""
        ),
    ] = False,
) -> None:
    """Run the show settings.toml describes, until its connectors end or Ctrl-C.

    In sandbox mode the store and the enabled platforms are local emulators; in live
    mode they are the real ones, with credentials from the environment.
    """

    from shopstream.interrupt import run_interruptibly
    from shopstream.operate import run_show
    from shopstream.summary import summary_table

    cfg = settings_or_exit(settings)
    live_credentials_or_exit(cfg)
    if cfg.app.mode == "live":
        from shopstream.auth.live_check import start_findings

        start_findings(cfg, Console(stderr=True))
    setup_logging("DEBUG" if verbose else cfg.app.log_level, quiet_libraries=not verbose)
    console = Console()

    def web_ready(url: str) -> None:
        console.print(f"dashboard: {url}/  (status: {url}/status) — Ctrl-C ends the show")

    def login(link: str) -> None:
        console.print(
            f"sign in to the dashboard (one-time link, 15 minutes): {link}",
            highlight=False,
            soft_wrap=True,
        )

    with as_sentences("the show"):
        # a live show's last replies may take the outbox's drain (30 s) to go out
        result = run_interruptibly(
            lambda: run_show(cfg, on_web_ready=web_ready, on_login=login), grace=45
        )
    console.print(summary_table(result, holds={}))


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
    with as_sentences("check"):
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

    with as_sentences("sync"):
        try:
            asyncio.run(go())
        except ShopError as exc:
            console.print(f"[red]sync failed ({exc.key}):[/red] {exc}")
            raise typer.Exit(1) from None


@app.command()
def report(
    show: Annotated[
        str, typer.Argument(help="Show id (default: the settings' show.id, or the list).")
    ] = "",
    settings: SettingsPath = Path("settings.toml"),
    format: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    database: Annotated[str, typer.Option(help="Database URL (default: the settings').")] = "",
    demo: DemoFlag = False,
    list_: Annotated[
        bool, typer.Option("--list", help="List the shows in the database.", metavar="")
    ] = False,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write the per-variant breakdown to this CSV file."),
    ] = None,
) -> None:
    """A show's funnel per platform, then per product and variant (claims, holds, paid,
    revenue, sell-through). Without a show and with no data for the settings' show, or
    with --list, the shows in the database."""
    from checkout_links.report import funnel_json
    from shopstream.commands.merchant_views import (
        VARIANT_FIELDS,
        list_shows,
        shows_table,
        to_csv,
        variant_dicts,
        variant_lines,
        variants_table,
    )
    from shopstream.commands.report import render_report, report_data
    from shopstream.reports import platform_counts
    from shopstream.storage import make_engine
    from shopstream.storage.migrate import upgrade

    if format not in ("table", "json", "csv"):
        Console(stderr=True).print("--format must be table, json or csv")
        raise typer.Exit(2)
    cfg = settings_or_exit(settings)
    with as_sentences("report"):
        engine = make_engine(database_url(cfg, database, demo))
        upgrade(engine)
    try:
        shows = list_shows(engine)
        known = {s.show for s in shows}
        wanted = show or cfg.show.id
        if list_ or (not show and wanted not in known):
            _print_shows(shows, format, shows_table)
            return
        if wanted not in known:
            names = ", ".join(sorted(known)) or "none yet"
            Console(stderr=True).print(
                f"no such show: {wanted!r} (shows in this database: {names})", highlight=False
            )
            raise typer.Exit(1)
        funnel = report_data(engine, wanted, platform_counts)
        lines = variant_lines(engine, wanted)
    finally:
        engine.dispose()
    rows = variant_dicts(lines)
    if csv_file is not None:
        write_csv(csv_file, to_csv(rows, VARIANT_FIELDS))
    if format == "json":
        data = json.loads(funnel_json(funnel))
        data["variants"] = rows
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1))
    elif format == "csv":
        typer.echo(to_csv(rows, VARIANT_FIELDS), nl=False)
    else:
        console = Console()
        render_report(funnel, "table", console)
        console.print(variants_table(lines, wanted))


def _print_shows(shows: list[Any], format: str, table: Any) -> None:
    from dataclasses import asdict

    from shopstream.commands.merchant_views import to_csv

    rows = [asdict(s) for s in shows]
    if format == "json":
        typer.echo(json.dumps(rows, indent=1))
    elif format == "csv":
        typer.echo(to_csv(rows, ["show", "claims", "holds", "orders", "first", "last"]), nl=False)
    else:
        Console().print(table(shows))
        if shows:
            Console().print("A show's report: shopstream report SHOW", highlight=False)


@app.command()
def rehearse(
    catalog: Annotated[
        Path,
        typer.Option(
            help="Your catalog: Shopify's product CSV export, or products.json.",
            exists=True,
            dir_okay=False,
        ),
    ],
    run_of_show: Annotated[
        Path | None,
        typer.Option(
            "--run-of-show",
            help="Your run-of-show TOML (default: the settings' show.run_of_show).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    settings: SettingsPath = Path("settings.toml"),
    viewers: Annotated[int, typer.Option(help="Simulated viewers.")] = 60,
    lines: Annotated[int, typer.Option(help="Chat lines they type.")] = 150,
    seconds: Annotated[float, typer.Option(help="Length of the rehearsal in seconds.")] = 25.0,
) -> None:
    """Rehearse your own catalog and lineup in the sandbox before going live.

    The catalog is checked first: every problem is listed with its row (CSV) or product
    and field, and what was assumed (stock tracked or not, missing options, missing
    stock). Problems that would oversell or crash the show stop here with exit code 2.
    """
    from checkout_links.report import funnel_table
    from sandbox.catalog import check_lineup, load_catalog
    from sandbox.show.demo import SandboxFailure, fresh_database, print_outcome, sandbox_settings
    from sandbox.show.demo_platforms import Audience, run_platform_demo
    from shopstream.interrupt import run_interruptibly
    from shopstream.show.run_of_show import RunOfShowError, load_run_of_show

    cfg = sandbox_settings(settings_or_exit(settings))
    setup_logging("WARNING")
    err = Console(stderr=True)
    console = Console()
    checked = load_catalog(catalog)
    console.print(checked.summary(), highlight=False, soft_wrap=True)
    print_problems(checked.lines(), console)
    if checked.stops:
        err.print(
            f"[bold red]the rehearsal did not start:[/] {len(checked.errors())} problem(s)"
            f" in {catalog} would oversell or crash the show"
        )
        raise typer.Exit(2)
    ros_path = run_of_show or cfg.show.run_of_show
    lineup: list[tuple[str, str]] = []
    if ros_path is not None:
        try:
            ros = load_run_of_show(ros_path, default_cap=cfg.control.default_drop_cap)
        except RunOfShowError as exc:
            settings_problems(exc.problems)
        lineup = [(item.code, item.handle) for item in ros.lineup]
        _print_plan(console, ros, seconds)
    problems = check_lineup(checked, lineup, featured=cfg.show.featured, where=str(ros_path))
    if problems:
        settings_problems(problems)
    url = fresh_database(cfg.app.data_dir, "rehearsal.db")

    async def go() -> Any:
        return await run_platform_demo(
            cfg,
            database_url=url,
            audience=Audience(viewers=viewers, lines=lines, seconds=seconds),
            products=checked.products,
            run_of_show=ros_path,
            console=console,
            title=f"rehearsal — {cfg.show.title}",
        )

    with as_sentences("the rehearsal"):
        console.print(
            f"rehearsal starting: {viewers} viewers, {lines} lines, {seconds:g} s"
            " — Ctrl-C stops it",
            highlight=False,
        )
        try:
            outcome, funnel = run_interruptibly(go)
        except SandboxFailure as exc:
            err.print(f"the rehearsal stopped: {exc}", highlight=False)
            raise typer.Exit(1) from None
    print_outcome(console, outcome)
    console.print(funnel_table(funnel))
    console.print(
        f"Every claim of this rehearsal: shopstream claims --database {url}",
        highlight=False,
        soft_wrap=True,
    )


def _print_plan(console: Console, ros: Any, seconds: float) -> None:
    """The lineup, drops and timers of the run-of-show, before the show starts."""
    if ros.lineup:
        codes = ", ".join(f"{i.code}={i.handle}" for i in ros.lineup)
        console.print(f"lineup: {codes}", highlight=False, soft_wrap=True)
    for drop in ros.drops:
        at = drop.at.total_seconds()
        late = "" if at <= seconds else f"  (after this {seconds:g} s rehearsal ends)"
        console.print(
            f"drop at +{drop.at}: {drop.qty} x {drop.code}, at most {drop.cap} each{late}",
            highlight=False,
        )
    for timer in ros.timers:
        console.print(
            f"timer every {timer.every_minutes:g} min (after {timer.min_chat_messages} chat"
            f" messages): {timer.text}",
            highlight=False,
            soft_wrap=True,
        )


app.command("parse")(parse_command)
app.command("auth")(auth_command)


def main() -> None:
    """Console-script entry point (a Ctrl-C outside a command's own handling: exit 130)."""
    try:
        app()
    except KeyboardInterrupt:
        print("stopped by Ctrl-C", file=sys.stderr)
        raise SystemExit(130) from None
