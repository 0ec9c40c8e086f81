"""``shopstream sync``: read the store into the mirror by hand, with a rich progress bar.

Wiring (the app)::

    from shopstream.commands.sync import make_sync_command
    app.command("sync")(make_sync_command(lambda: (settings.shop, engine)))

``load()`` returns the app's :class:`~shop_sync.config.ShopConfig` (with ``admin_base_url``
filled in sandbox mode) and its engine. The token comes from ``SHOPSTREAM_SHOPIFY_TOKEN`` (or
client credentials, see :mod:`shop_sync.config`); ``token_default`` is used when none is set
(the emulator's token in sandbox mode).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import requests
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine

from shop_sync.client import ShopifyClient
from shop_sync.config import ShopConfig
from shop_sync.errors import ShopError
from shop_sync.holds import HoldBook
from shop_sync.mirror import Mirror
from shop_sync.reconcile import Reconciler, SyncReport
from shop_sync.tokens import token_source_from_env

Loader = Callable[[], "tuple[ShopConfig, Engine]"]


def run_sync(
    settings_shop: ShopConfig,
    engine: Engine,
    console: Console,
    *,
    full: bool = True,
    session: requests.Session | None = None,
    environ: Mapping[str, str] | None = None,
    token_default: str | None = None,
) -> SyncReport:
    """Run one full (or incremental) sync into the mirror, showing progress on ``console``.

    Raises:
        ShopError: the store could not be read (auth, GraphQL error, retries exhausted).
    """
    from datetime import UTC, datetime

    http = session or requests.Session()
    tokens = token_source_from_env(
        settings_shop, session=http, environ=environ, default=token_default
    )
    client = ShopifyClient(settings_shop, session=http, tokens=tokens)
    mirror = Mirror(engine, settings_shop)
    holds = HoldBook(engine, clock=lambda: datetime.now(UTC), config=settings_shop.holds)
    reconciler = Reconciler(client, mirror, settings_shop, holds=holds)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(f"sync {settings_shop.shop}", total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        if full:
            report = reconciler.full_sync(progress=update)
        else:
            report = reconciler.incremental_sync(progress=update)
        progress.update(task, completed=report.variants, total=report.variants)
    console.print(
        f"{report.kind} sync: {report.variants} variants, {report.removed} removed, "
        f"{report.promoted} waiting buyers served, {report.seconds:.2f} s"
    )
    return report


def make_sync_command(load: Loader, *, token_default: str | None = None) -> Callable[..., Any]:
    """Return the typer command function bound to the app's settings and engine."""

    def sync_command(
        full: bool = typer.Option(
            True, "--full/--incremental", help="Read every variant, or only what changed."
        ),
    ) -> None:
        """Sync the store's catalog and stock into the mirror now."""
        console = Console()
        shop, engine = load()
        try:
            run_sync(shop, engine, console, full=full, token_default=token_default)
        except ShopError as exc:
            console.print(f"[red]sync failed ({exc.key}):[/red] {exc}")
            raise typer.Exit(1) from None

    return sync_command
