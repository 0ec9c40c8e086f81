"""Missing and unusable credentials are all reported before a live show starts (exit 2)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopstream.cli import app
from shopstream.credentials import normalise, preflight
from shopstream.secrets import load_stored, read_stored, store_path, write_stored
from shopstream.settings import Settings, parse_settings

ALL_PLATFORMS = """
[app]
mode = "live"
data_dir = "{data}"
[connectors.youtube]
enabled = true
[connectors.twitch]
enabled = true
[connectors.facebook]
enabled = true
"""


def _live(tmp_path: Path, **extra: object) -> Settings:
    data: dict[str, object] = {"app": {"mode": "live", "data_dir": str(tmp_path)}}
    data["connectors"] = {p: {"enabled": True} for p in ("youtube", "twitch", "facebook")}
    data.update(extra)
    return parse_settings(data)


@pytest.mark.parametrize("command", ["check", "run"])
def test_live_command_without_secrets_lists_every_missing_one_and_exits_2(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, command: str
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(ALL_PLATFORMS.format(data=tmp_path / "data"), encoding="utf-8")
    result = CliRunner().invoke(app, [command, "--settings", str(path)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    out = result.output
    for name, fix in [
        ("SHOPSTREAM_SHOPIFY_TOKEN", "shopstream auth shopify"),
        ("SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET", "shopstream auth shopify"),
        ("SHOPSTREAM_LINK_SIGNING_KEY", "shopstream auth links"),
        ("SHOPSTREAM_YOUTUBE_CLIENT_ID", "shopstream auth youtube"),
        ("SHOPSTREAM_YOUTUBE_REFRESH_TOKEN", "shopstream auth youtube"),
        ("SHOPSTREAM_TWITCH_TOKEN", "shopstream auth twitch"),
        ("SHOPSTREAM_TWITCH_CLIENT_ID", "shopstream auth twitch"),
        ("SHOPSTREAM_FACEBOOK_PAGE_TOKEN", "shopstream auth facebook"),
    ]:
        line = next(x for x in out.splitlines() if f": {name}:" in x)
        assert "is not set" in line and fix in line, line
    assert "9 credential problem(s)" in out
    assert not (tmp_path / "data" / "shopstream.db").exists()  # nothing started


def test_sandbox_mode_needs_no_credentials(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    settings = parse_settings({"app": {"data_dir": str(tmp_path)}})
    assert preflight(settings, {}) == []


def test_only_enabled_parts_are_asked_for(tmp_path: Path) -> None:
    settings = parse_settings({"app": {"mode": "live", "data_dir": str(tmp_path)}})
    problems = preflight(settings, {})
    assert [p.split(":")[0] for p in problems] == ["store", "webhooks", "links"]
    storefront = parse_settings({"app": {"mode": "live"}, "links": {"strategy": "storefront_cart"}})
    assert any("SHOPSTREAM_SHOPIFY_STOREFRONT_TOKEN" in p for p in preflight(storefront, {}))


def _complete() -> dict[str, str]:
    return {
        "SHOPSTREAM_SHOPIFY_TOKEN": "shpat_0123456789",
        "SHOPSTREAM_SHOPIFY_WEBHOOK_SECRET": "whsec-0123456789",
        "SHOPSTREAM_LINK_SIGNING_KEY": "k" * 32,
        "SHOPSTREAM_YOUTUBE_CLIENT_ID": "cid.apps.googleusercontent.com",
        "SHOPSTREAM_YOUTUBE_CLIENT_SECRET": "GOCSPX-secret",
        "SHOPSTREAM_YOUTUBE_REFRESH_TOKEN": "1//refresh",
        "SHOPSTREAM_TWITCH_TOKEN": "abcdef0123456789",
        "SHOPSTREAM_TWITCH_CLIENT_ID": "twitchclient",
        "SHOPSTREAM_FACEBOOK_PAGE_TOKEN": "EAAB0123456789",
    }


def test_complete_credentials_pass_and_pasted_whitespace_is_trimmed(tmp_path: Path) -> None:
    env = _complete()
    env["SHOPSTREAM_FACEBOOK_PAGE_TOKEN"] = "  EAAB0123456789\n"
    env["SHOPSTREAM_TWITCH_TOKEN"] = "oauth:abcdef0123456789 "
    assert preflight(_live(tmp_path), env) == []
    assert env["SHOPSTREAM_FACEBOOK_PAGE_TOKEN"] == "EAAB0123456789"
    assert env["SHOPSTREAM_TWITCH_TOKEN"] == "abcdef0123456789"


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("SHOPSTREAM_FACEBOOK_PAGE_TOKEN", "Bearer EAAB0123", "starts with 'bearer'"),
        ("SHOPSTREAM_TWITCH_TOKEN", "OAuth abcdef", "starts with 'oauth'"),
        ("SHOPSTREAM_SHOPIFY_TOKEN", "shpat_01 23", "whitespace inside"),
        ("SHOPSTREAM_YOUTUBE_REFRESH_TOKEN", "oauth:1//x", "only a Twitch IRC password"),
        ("SHOPSTREAM_LINK_SIGNING_KEY", "short", "shorter than 16"),
        ("SHOPSTREAM_TWITCH_REFRESH_TOKEN", "r3fresh", "SHOPSTREAM_TWITCH_CLIENT_SECRET"),
    ],
)
def test_unusable_values_are_refused_with_the_reason(
    tmp_path: Path, name: str, value: str, reason: str
) -> None:
    env = {**_complete(), name: value}
    problems = preflight(_live(tmp_path), env)
    assert len(problems) == 1 and reason in problems[0], problems
    assert "fix: run `shopstream auth" in problems[0]


def test_shopify_client_credentials_stand_in_for_the_static_token(tmp_path: Path) -> None:
    env = _complete()
    del env["SHOPSTREAM_SHOPIFY_TOKEN"]
    env["SHOPSTREAM_SHOPIFY_CLIENT_ID"] = "client"
    problems = preflight(_live(tmp_path), env)
    assert any("SHOPSTREAM_SHOPIFY_CLIENT_SECRET: is not set but" in p for p in problems)
    env["SHOPSTREAM_SHOPIFY_CLIENT_SECRET"] = "secret"
    assert preflight(_live(tmp_path), env) == []


def test_normalise_keeps_good_values_as_they_are() -> None:
    assert normalise("SHOPSTREAM_SHOPIFY_TOKEN", "shpat_abc") == ("shpat_abc", None)
    assert normalise("SHOPSTREAM_SHOPIFY_TOKEN", " \t")[1] == "is empty"


def test_stored_credentials_are_owner_only_and_the_environment_wins(tmp_path: Path) -> None:
    path = write_stored(
        tmp_path, {"SHOPSTREAM_TWITCH_TOKEN": "stored", "SHOPSTREAM_TWITCH_CLIENT_ID": "c"}
    )
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    env = {"SHOPSTREAM_TWITCH_TOKEN": "from-env"}
    assert load_stored(tmp_path, env) == ["SHOPSTREAM_TWITCH_CLIENT_ID"]
    assert env == {"SHOPSTREAM_TWITCH_TOKEN": "from-env", "SHOPSTREAM_TWITCH_CLIENT_ID": "c"}
    write_stored(tmp_path, {"SHOPSTREAM_TWITCH_TOKEN": "newer"})
    assert read_stored(tmp_path)["SHOPSTREAM_TWITCH_TOKEN"] == "newer"
    with pytest.raises(ValueError, match="not a credential name"):
        write_stored(tmp_path, {"PATH": "/bin"})
    os.chmod(store_path(tmp_path), 0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        read_stored(tmp_path)


def test_a_live_check_reads_the_stored_file(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    write_stored(data, {"SHOPSTREAM_LINK_SIGNING_KEY": "x" * 20})
    path = tmp_path / "settings.toml"
    path.write_text(f'[app]\nmode = "live"\ndata_dir = "{data}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--settings", str(path)])
    assert result.exit_code == 2
    assert "SHOPSTREAM_LINK_SIGNING_KEY" not in result.output
    assert "SHOPSTREAM_SHOPIFY_TOKEN" in result.output
