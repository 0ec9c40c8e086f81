"""``shopstream sync`` reads the emulator into the mirror and reports failures."""

from __future__ import annotations

import io

import pytest
import typer
from rich.console import Console
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from sandbox.shopify import SANDBOX_TOKEN, ShopifyEmulator
from shop_sync.config import ShopConfig
from shop_sync.errors import ShopAuthError
from shop_sync.mirror import Mirror
from shopstream.commands.sync import make_sync_command, run_sync


def test_run_sync_fills_the_mirror(sqlite_engine: Engine) -> None:
    out = io.StringIO()
    with ShopifyEmulator() as emu:
        shop = ShopConfig(admin_base_url=emu.base_url)
        report = run_sync(
            shop,
            sqlite_engine,
            Console(file=out, width=100),
            environ={},
            token_default=SANDBOX_TOKEN,
        )
        assert report.variants == 62
        assert "62 variants" in out.getvalue()
        assert len(Mirror(sqlite_engine, shop).catalog_products()) == 12
        with pytest.raises(ShopAuthError):
            run_sync(shop, sqlite_engine, Console(file=io.StringIO()), environ={})


def test_the_typer_command_exits_1_on_failure(sqlite_engine: Engine) -> None:
    with ShopifyEmulator() as emu:
        shop = ShopConfig(admin_base_url=emu.base_url, max_retries=0)
        app = typer.Typer()
        app.command("sync")(
            make_sync_command(lambda: (shop, sqlite_engine), token_default=SANDBOX_TOKEN)
        )
        app.command("noop")(lambda: None)
        runner = CliRunner()
        ok = runner.invoke(app, ["sync", "--incremental"])
        assert ok.exit_code == 0, ok.output
        emu.inject("http_503")
        failed = runner.invoke(app, ["sync", "--full"])
        assert failed.exit_code == 1 and "cannot_connect" in failed.output
