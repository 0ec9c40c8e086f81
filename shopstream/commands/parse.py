"""``shopstream parse``: run the chat parser over stdin lines against a catalog file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from chat_commands.catalog import CatalogError, load_products_json
from chat_commands.config import ParserConfig
from chat_commands.index import CatalogIndex
from chat_commands.language import load_config_languages
from chat_commands.parse import ParseContext, parse
from chat_commands.record import intent_record
from connectors.values import JSON_ERRORS


def _text_of(line: str) -> str:
    """The message text of one input line: plain text, or a JSON object with ``text``."""
    stripped = line.strip()
    if not stripped.startswith("{"):
        return line.rstrip("\r\n")
    data: Any = json.loads(stripped)
    if not isinstance(data, dict):
        raise ValueError("a JSON line must be an object")
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError("a JSON line needs a string 'text'")
    return text


def run(lines: TextIO, out: TextIO, context: ParseContext) -> int:
    """Parse every line of ``lines`` into one JSON object per line on ``out``; count them."""
    count = 0
    for line in lines:
        try:
            record = intent_record(parse(_text_of(line), context))
        except JSON_ERRORS as exc:  # bad JSON, or nested too deep to read
            record = {"error": f"malformed line: {type(exc).__name__}: {exc}"[:200]}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        count += 1
    return count


def parse_command(
    catalog: Annotated[
        Path,
        typer.Option(
            "--catalog",
            help="Shopify products.json file the messages refer to.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    featured: Annotated[
        str | None,
        typer.Option("--featured", help="Featured product: live code, lineup code or handle."),
    ] = None,
    run_of_show: Annotated[
        Path | None,
        typer.Option(
            "--run-of-show",
            help="Run-of-show TOML whose lineup codes (J1 = a handle) viewers type.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Parse chat messages from stdin (plain text or JSON with "text"), one JSON line each."""
    try:
        data = json.loads(catalog.read_text(encoding="utf-8"))
        products = load_products_json(data)
    except (OSError, ValueError, CatalogError) as exc:
        typer.echo(f"error: cannot read catalog {catalog}: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    lineup: dict[str, str] = {}
    if run_of_show is not None:
        from shopstream.show.run_of_show import RunOfShowError, load_run_of_show

        try:
            lineup = {i.code: i.handle for i in load_run_of_show(run_of_show).lineup}
        except RunOfShowError as exc:
            typer.echo("\n".join(exc.problems), err=True)
            raise typer.Exit(code=2) from None
    config = ParserConfig()
    index = CatalogIndex.build(products, lineup=lineup, language_data=load_config_languages(config))
    handle = None
    if featured:
        handle = index.resolve_reference(featured)
        if handle is None:
            hint = "" if run_of_show else " (a lineup code needs --run-of-show FILE)"
            typer.echo(
                f"error: --featured {featured!r} names no product (no live code, lineup code"
                f" or handle of {catalog}){hint}",
                err=True,
            )
            raise typer.Exit(code=2)
    context = ParseContext(index=index, featured=handle, languages=config.languages, config=config)
    run(sys.stdin, sys.stdout, context)
