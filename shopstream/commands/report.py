"""``shopstream report SHOW``: a show's funnel per platform, as a rich table or JSON.

Wiring (the app): ``app.command("report")(make_report_command(engine_factory, counts_provider))``
where ``engine_factory()`` returns the app's engine (settings → ``make_engine``) and
``counts_provider(engine, show)`` returns ``{platform: PlatformCounts(messages, claims, holds)}``
counted from the app's own tables (processed messages, claims, holds). The module-level
``report_command`` uses the settings file and no counts (those columns then show 0).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from checkout_links.report import Funnel, PlatformCounts, funnel_json, funnel_table, load_funnel

EngineFactory = Callable[[], Engine]
CountsProvider = Callable[[Engine, str], Mapping[str, PlatformCounts]]
FORMATS = ("table", "json")


def no_counts(engine: Engine, show: str) -> Mapping[str, PlatformCounts]:
    """The counts provider used when the app wires none: nothing counted."""
    return {}


def report_data(engine: Engine, show: str, counts_provider: CountsProvider = no_counts) -> Funnel:
    """Return the funnel of ``show`` from the database behind ``engine``."""
    return load_funnel(engine, show, counts_provider(engine, show))


def render_report(funnel: Funnel, format: str, console: Console) -> None:
    """Print ``funnel`` as a table or as JSON on ``console``."""
    if format == "json":
        console.print(funnel_json(funnel), markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(funnel_table(funnel))


def settings_engine() -> Engine:
    """Open the database named by the settings file (``SHOPSTREAM_SETTINGS`` or settings.toml)."""
    from shopstream.settings import Settings, load_settings
    from shopstream.storage.engine import make_engine

    path = Path(os.environ.get("SHOPSTREAM_SETTINGS", "settings.toml"))
    settings = load_settings(path) if path.exists() else Settings()
    return make_engine(settings.database_url(path.parent))


def make_report_command(
    engine_factory: EngineFactory = settings_engine,
    counts_provider: CountsProvider = no_counts,
) -> Callable[[str, str], None]:
    """Return the typer command function, bound to the app's engine and counts."""

    def report_command(
        show: Annotated[str, typer.Argument(help="Show id.")],
        format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    ) -> None:
        """Print a show's funnel per platform: messages, claims, holds, clicks, orders, revenue."""
        if format not in FORMATS:
            Console(stderr=True).print("--format must be table or json")
            raise typer.Exit(2)
        engine = engine_factory()
        try:
            funnel = report_data(engine, show, counts_provider)
        finally:
            engine.dispose()
        render_report(funnel, format, Console())

    return report_command


report_command = make_report_command()
