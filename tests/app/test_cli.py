"""The CLI end to end in the sandbox: check, run, claims, report, demo --replay, rehearse."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from shopstream.cli import app

ROOT = Path(__file__).resolve().parents[2]


def _settings(tmp_path: Path) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(
        f"""
[app]
data_dir = "{tmp_path / "data"}"
[web]
port = 0
[show]
id = "cli-show"
featured = "101"
[connectors.replay]
enabled = true
speed = 1000.0
""",
        encoding="utf-8",
    )
    return path


def test_check_reports_a_status_key_per_service(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", "--settings", str(_settings(tmp_path))])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "store: ok" in lines and "replay:replay: ok" in lines


def test_run_then_claims_and_report(tmp_path: Path) -> None:
    settings = str(_settings(tmp_path))
    runner = CliRunner()
    ran = runner.invoke(app, ["run", "--settings", settings])
    assert ran.exit_code == 0, ran.output
    assert re.search(
        r"sign in to the dashboard .*: http://127\.0\.0\.1:\d+/login/\S{20,}", ran.output
    )
    as_json = runner.invoke(app, ["claims", "--settings", settings, "--format", "json"])
    assert as_json.exit_code == 0 and as_json.output.startswith("["), repr(as_json.output[:300])
    claims = json.loads(as_json.output)
    assert {c["status"] for c in claims} >= {"held", "waitlisted"}
    assert all(c["platform"] in ("twitch", "youtube", "facebook") for c in claims)
    as_csv = runner.invoke(app, ["claims", "--settings", settings, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert len(rows) == len(claims) and rows[0]["message_id"]
    report = runner.invoke(app, ["report", "--settings", settings, "--format", "json"])
    funnel = json.loads(report.output)
    assert funnel["show"] == "cli-show"
    assert funnel["total"]["claims"] == len(claims)


def test_demo_replay_ends_with_a_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--replay", "--speed", "1000", "--settings", str(_settings(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert "show summary" in result.output and "claims held" in result.output
    assert re.search(
        r"dashboard: http://127\.0\.0\.1:\d+/ +sign in .*/login/\S{20,}", result.output
    )
    assert "chat log line 16 skipped" in result.output
    assert "held for fairness" in result.output  # the gate is on by default (replay: none held)


def test_rehearse_rejects_a_broken_run_of_show_with_line_numbers(tmp_path: Path) -> None:
    ros = tmp_path / "show.toml"
    lines = ['lineup = [{code = "101", handle = "classic-tee"}]', "", "[[drops]]", 'at = "soon"']
    ros.write_text("\n".join([*lines, 'code = "101"', ""]), encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "rehearse",
            "--catalog",
            str(ROOT / "sandbox/data/demo_products.json"),
            "--run-of-show",
            str(ros),
            "--settings",
            str(_settings(tmp_path)),
        ],
    )
    assert result.exit_code == 2
    assert f"{ros}:" in result.output and ":4" in result.output  # the line of the bad time
