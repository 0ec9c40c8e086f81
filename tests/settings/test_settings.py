"""Settings: the shipped file is valid; every problem is reported with its key path; exit code 2."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopstream.cli import app
from shopstream.secrets import RedactSecrets
from shopstream.settings import load_settings, parse_settings
from shopstream.settings_errors import SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_settings_file_is_valid_and_runs_the_sandbox() -> None:
    settings = load_settings(ROOT / "settings.toml")
    assert settings.app.mode == "sandbox"
    assert settings.connectors.replay.enabled


def test_settings_are_frozen() -> None:
    settings = parse_settings({})
    with pytest.raises(ValueError):
        settings.app.mode = "live"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"app": {"mode": "production"}}, "x.toml: app.mode: input should be 'sandbox' or 'live'"),
        ({"web": {"port": "eighty"}}, "x.toml: web.port: input should be a valid integer"),
        ({"web": {"port": 70000}}, "x.toml: web.port: input should be less than or equal to 65535"),
        ({"shows": {}}, "x.toml: shows: no such key (unknown setting)"),
        ({"connectors": {"replay": {"speed": 0}}}, "x.toml: connectors.replay.speed: input should"),
        ({"connectors": {"replay": {"sped": 2}}}, "x.toml: connectors.replay.sped: no such key"),
    ],
)
def test_each_problem_names_its_key_path(data: dict[str, object], expected: str) -> None:
    with pytest.raises(SettingsError) as info:
        parse_settings(data, "x.toml")
    assert any(line.startswith(expected) for line in info.value.problems), info.value.problems


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(SettingsError) as info:
        parse_settings({"app": {"mode": 1, "log_level": "LOUD"}, "web": {"port": -1}, "x": 1})
    assert len(info.value.problems) == 4


def test_cli_prints_one_line_per_problem_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text('[app]\nmode = "prod"\nbogus = 1\n[web]\nport = "x"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["claims", "--settings", str(bad)])
    assert result.exit_code == 2
    text = result.output
    assert "app.mode" in text and "app.bogus" in text and "web.port" in text
    assert "Traceback" not in text


def test_invalid_toml_reports_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text("[app]\nmode = \n", encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings(bad)
    assert "line 2" in info.value.problems[0]


def test_missing_file_is_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(tmp_path / "nope.toml")
    assert info.value.problems == [
        f"{tmp_path / 'nope.toml'}: cannot read: No such file or directory"
    ]


def test_secrets_are_redacted_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    env = {"SHOPSTREAM_TWITCH_TOKEN": "oauth-abcdef123456"}
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactSecrets(env))
    with caplog.at_level(logging.INFO, logger="test.redact"):
        logger.info("connecting with %s", "oauth-abcdef123456")
    assert "oauth-abcdef123456" not in caplog.text
    assert "connecting with ***" in caplog.text
