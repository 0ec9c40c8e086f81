"""``shopstream parse``: stdin lines in, one JSON record per line out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from shopstream.commands.parse import parse_command
from tests.chat_commands.conftest import DEMO_CATALOG

KEYS = ["intent", "product", "sku", "quantity", "missing", "question", "candidates", "confidence"]


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("parse")(parse_command)

    @app.callback()
    def main() -> None:
        """Test app with one command, as the application registers it."""

    return app


def _run(app: typer.Typer, stdin: str, *args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, ["parse", "--catalog", str(DEMO_CATALOG), *args], input=stdin)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.output


def test_plain_and_json_lines(app: typer.Typer) -> None:
    stdin = "\n".join(
        [
            "SOLD 101 navy XL",
            json.dumps({"text": "how much is the hoodie?", "platform": "twitch", "author": "ana"}),
            "I sold my car lol",
            "!feature 101",
        ]
    )
    code, lines, _ = _run(app, stdin + "\n")
    assert code == 0
    assert [list(line)[:8] for line in lines] == [KEYS] * 4
    assert lines[0] == {
        "intent": "buy",
        "product": "classic-tee",
        "sku": "CT-101-XL-NAV",
        "quantity": 1,
        "missing": [],
        "question": None,
        "candidates": [],
        "confidence": 0.95,
    }
    assert (lines[1]["intent"], lines[1]["question"], lines[1]["product"]) == (
        "question",
        "price",
        "cozy-hoodie",
    )
    assert lines[1]["quantity"] is None
    assert lines[2]["intent"] == "none"
    assert (lines[3]["intent"], lines[3]["command"], lines[3]["args"]) == (
        "mod",
        "feature",
        ["101"],
    )


def test_malformed_lines_yield_an_error_and_the_run_goes_on(app: typer.Typer) -> None:
    stdin = '{"text": \n{"text": 5}\n{"platform": "yt"}\nsold 102 M black\n'
    code, lines, _ = _run(app, stdin)
    assert code == 0
    assert [set(line) for line in lines[:3]] == [{"error"}] * 3
    assert lines[3]["sku"] == "CH-102-M-BLA"


def test_deeply_nested_json_is_one_malformed_line(app: typer.Typer) -> None:
    deep = '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    code, lines, _ = _run(app, f"{deep}\nsold 102 M black\n")
    assert code == 0
    assert set(lines[0]) == {"error"} and "RecursionError" in str(lines[0]["error"])
    assert lines[1]["sku"] == "CH-102-M-BLA"


def test_featured_by_code_or_handle(app: typer.Typer) -> None:
    for featured in ("A7", "wool-scarf"):
        _, lines, _ = _run(app, "sold burgundy\nprice?\n", "--featured", featured)
        assert lines[0]["sku"] == "WS-A7-BUR"
        assert (lines[1]["question"], lines[1]["product"]) == ("price", "wool-scarf")


def test_unknown_featured_is_refused(app: typer.Typer) -> None:
    code, _, output = _run(app, "sold\n", "--featured", "999")
    assert code == 2
    assert "names no product" in output


def test_unreadable_catalogs_are_refused(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["parse", "--catalog", str(tmp_path / "none.json")], input="")
    assert missing.exit_code == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["parse", "--catalog", str(broken)], input="")
    assert result.exit_code == 2
    assert "cannot read catalog" in result.output
    shapeless = tmp_path / "shapeless.json"
    shapeless.write_text("[]", encoding="utf-8")
    assert runner.invoke(app, ["parse", "--catalog", str(shapeless)], input="").exit_code == 2


def test_empty_input_writes_nothing(app: typer.Typer) -> None:
    code, lines, _ = _run(app, "")
    assert (code, lines) == (0, [])
