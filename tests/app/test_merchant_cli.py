"""A merchant's first hour: every command's failure is a sentence, and one Ctrl-C stops.

Ctrl-C is tested on a real process (``python -c 'shopstream.cli.main()'``) with SIGINT.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopstream.cli import app

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "sandbox" / "data"
DEMO = ROOT / "sandbox" / "data" / "demo_products.json"


def _settings(tmp_path: Path, extra: str = "", *, replay: bool = True) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(
        f"""
[app]
data_dir = "{tmp_path / "data"}"
[web]
port = 0
[show]
id = "merchant-show"
title = "Knit night"
[connectors.replay]
enabled = {"true" if replay else "false"}
speed = 1000.0
{extra}
""",
        encoding="utf-8",
    )
    return path


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "80"})
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


# --- rehearse: the catalog is checked before anything starts --------------------------


def test_rehearse_stops_on_a_catalog_that_would_crash(tmp_path: Path) -> None:
    bad = tmp_path / "products_export.csv"
    text = (DATA / "knit_shop_export.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace(",28.00,", ",,", 1), encoding="utf-8")
    code, out = _invoke("rehearse", "--catalog", str(bad), "-s", str(_settings(tmp_path)))
    assert code == 2
    assert f"{bad}:2: Variant Price: expected a price like 24.00" in out
    assert "the rehearsal did not start" in out
    assert not (tmp_path / "data" / "rehearsal.db").exists()  # nothing started


@pytest.mark.parametrize(
    ("products", "expected"),
    [
        ('{"products": []}', "the catalog has no products"),
        ('{"products": [{"handle": "x", "title": "X", "variants": []}]}', "no variants"),
        ('{"items": []}', 'expected an object with a "products" list'),
    ],
)
def test_rehearse_names_each_broken_catalog(tmp_path: Path, products: str, expected: str) -> None:
    catalog = tmp_path / "products.json"
    catalog.write_text(products, encoding="utf-8")
    code, out = _invoke("rehearse", "--catalog", str(catalog), "-s", str(_settings(tmp_path)))
    assert code == 2 and expected in out


def test_a_lineup_handle_not_in_the_catalog_is_a_settings_error(tmp_path: Path) -> None:
    ros = tmp_path / "show.toml"
    ros.write_text('lineup = [{code = "J1", handle = "no-such-sweater"}]\n', encoding="utf-8")
    code, out = _invoke(
        "rehearse",
        "--catalog",
        str(DATA / "knit_shop_export.csv"),
        "--run-of-show",
        str(ros),
        "-s",
        str(_settings(tmp_path)),
    )
    assert code == 2
    assert "problem(s) in the settings" in out
    assert "lineup code 'J1': handle 'no-such-sweater' is not in the catalog" in out


def test_an_unknown_featured_product_is_a_settings_error_for_rehearse(tmp_path: Path) -> None:
    settings = (
        _settings(tmp_path)
        .read_text(encoding="utf-8")
        .replace('title = "Knit night"', 'title = "Knit night"\nfeatured = "999"')
    )
    (tmp_path / "settings.toml").write_text(settings, encoding="utf-8")
    code, out = _invoke(
        "rehearse",
        "--catalog",
        str(DATA / "knit_shop_export.csv"),
        "-s",
        str(tmp_path / "settings.toml"),
    )
    assert code == 2 and "show.featured: '999'" in out


def test_rehearse_a_shopify_export_from_a_folder_without_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPSTREAM_SETTINGS", raising=False)
    ros = tmp_path / "show.toml"
    ros.write_text(
        'lineup = [{code = "K2", handle = "cable-sweater"}]\n\n'
        '[[drops]]\nat = "+00:00:02"\ncode = "K2"\nqty = 2\ncap = 1\n\n'
        '[[timers]]\nevery_minutes = 0.05\ntext = "Type !buy K2 M"\n',
        encoding="utf-8",
    )
    code, out = _invoke(
        "rehearse",
        "--catalog",
        str(DATA / "knit_shop_export.csv"),
        "--run-of-show",
        str(ros),
        "--seconds",
        "4",
        "--lines",
        "30",
        "--viewers",
        "10",
    )
    assert code == 0, out
    assert "no settings.toml here: using the defaults" in out
    assert "2 product(s), 5 variant(s); 0 problem(s)" in out
    assert "drop at +0:00:02: 2 x K2, at most 1 each" in out
    assert "timer every 0.05 min" in out
    assert "show summary" in out and "claims" in out
    assert (tmp_path / "data" / "rehearsal.db").exists()


def test_the_live_view_names_the_show_and_shows_drops_and_timers() -> None:
    from rich.console import Console

    from shopstream.demo_view import DemoView

    view = DemoView(title="rehearsal — Knit night")
    view.on_announce("DROP: 2 x Cable Sweater, type !buy K2")
    console = Console(width=100, record=True)
    console.print(view)
    text = console.export_text()
    assert "rehearsal — Knit night — live chat" in text
    assert "DROP: 2 x Cable Sweater" in text and "announcements: 1" in text


async def test_a_failing_sandbox_thread_ends_the_show_with_a_sentence(tmp_path: Path) -> None:
    import threading

    from shopstream.demo import SandboxFailure, run_sandbox_show, sandbox_settings
    from shopstream.settings import parse_settings

    settings = sandbox_settings(parse_settings({"app": {"data_dir": str(tmp_path)}}))

    async def no_connectors(store: object, core: object) -> list[object]:
        return []

    async def emulator_breaks(store: object, runner: object) -> None:
        def boom() -> None:
            raise KeyError("product_id")

        worker = threading.Thread(target=boom, name="bulk-export")
        worker.start()
        worker.join()
        await asyncio_forever()

    with pytest.raises(SandboxFailure, match=r"bulk-export failed at .*: KeyError: 'product_id'"):
        await run_sandbox_show(
            settings,
            no_connectors,
            database_url=f"sqlite:///{tmp_path / 'x.db'}",
            after_start=emulator_breaks,
        )


async def asyncio_forever() -> None:
    import asyncio

    await asyncio.Event().wait()


# --- commands: a sentence, not a traceback ------------------------------------------------


def test_check_works_for_every_connector_in_sandbox_mode(tmp_path: Path) -> None:
    extra = "\n".join(
        f"[connectors.{name}]\nenabled = true" for name in ("youtube", "facebook", "twitch")
    )
    code, out = _invoke("check", "-s", str(_settings(tmp_path, extra, replay=False)))
    assert code == 0, out
    keys = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    # "youtube:<channel>: ok (quota_left=9999 transport=stream)": the key, then its detail
    platforms = {k.split(":")[0]: v.split(" (", 1)[0] for k, v in keys.items()}
    assert platforms["youtube"] == platforms["facebook"] == platforms["twitch"] == "ok"


def test_a_missing_run_of_show_file_is_a_settings_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    extra = ""
    settings = _settings(tmp_path, extra)
    text = settings.read_text(encoding="utf-8").replace(
        'title = "Knit night"', f'title = "Knit night"\nrun_of_show = "{missing}"'
    )
    settings.write_text(text, encoding="utf-8")
    code, out = _invoke("run", "-s", str(settings))
    assert code == 2 and f"{missing}: cannot read" in out


def test_run_refuses_a_featured_product_the_store_lacks(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    text = settings.read_text(encoding="utf-8").replace(
        'title = "Knit night"', 'title = "Knit night"\nfeatured = "999"'
    )
    settings.write_text(text, encoding="utf-8")
    code, out = _invoke("run", "-s", str(settings))
    assert code == 2
    assert "show.featured: '999' is neither a lineup code nor a product of the store" in out


def test_parse_accepts_a_lineup_code_as_featured(tmp_path: Path) -> None:
    ros = tmp_path / "show.toml"
    ros.write_text('lineup = [{code = "J1", handle = "classic-tee"}]\n', encoding="utf-8")
    args = ["parse", "--catalog", str(DEMO), "--featured", "J1"]
    result = CliRunner().invoke(app, [*args, "--run-of-show", str(ros)], input="sold M red\n")
    assert result.exit_code == 0, result.output
    assert '"product": "classic-tee"' in result.output and "CT-101-M-RED" in result.output
    without = CliRunner().invoke(app, args, input="sold\n")
    assert without.exit_code == 2 and "a lineup code needs --run-of-show" in without.output


def test_demo_help_shows_replay_as_a_flag() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "100"})
    (line,) = [x for x in result.output.splitlines() if "--replay" in x and "Play" in x]
    assert "<bool>" not in line


# --- the demo leaves something to look at; reports a merchant reads ---------------------


def test_after_the_demo_claims_and_report_show_it(tmp_path: Path) -> None:
    settings = str(_settings(tmp_path))
    code, out = _invoke("demo", "--replay", "--speed", "1000", "-s", settings)
    assert code == 0, out
    assert "shopstream claims --demo" in out and "shopstream report --demo" in out
    code, claims = _invoke("claims", "--demo", "-s", settings)
    assert code == 0 and "claim(s)" in claims
    assert max(len(line) for line in claims.splitlines()) <= 80
    assert "Classic Tee" in claims or "Cozy Hoodie" in claims
    code, listed = _invoke("report", "--demo", "--list", "-s", settings)
    assert code == 0 and "merchant-show" in listed
    code, report = _invoke("report", "--demo", "-s", settings)
    assert code == 0 and "per product and variant" in report
    assert max(len(line) for line in report.splitlines()) <= 80
    code, missing = _invoke("report", "nosuchshow", "--demo", "-s", settings)
    assert code == 1 and "no such show: 'nosuchshow'" in missing and "merchant-show" in missing
    export = tmp_path / "variants.csv"
    code, _ = _invoke("report", "--demo", "--csv", str(export), "-s", settings)
    header = export.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("product,variant,sku,claims,holds,paid,revenue")
    claims_csv = tmp_path / "claims.csv"
    code, _ = _invoke("claims", "--demo", "--csv", str(claims_csv), "-s", settings)
    first = claims_csv.read_text(encoding="utf-8").splitlines()[0]
    assert "product,variant" in first and "price" in first and "order,paid" in first


def test_claims_and_report_without_a_demo_say_how_to_make_one(tmp_path: Path) -> None:
    code, out = _invoke("claims", "--demo", "-s", str(_settings(tmp_path)))
    assert code == 1 and "run `shopstream demo` first" in out


# --- one Ctrl-C stops a real process -----------------------------------------------------


def _start(args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    env.pop("SHOPSTREAM_SETTINGS", None)
    return subprocess.Popen(
        [sys.executable, "-c", "from shopstream.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,  # kept open and silent: a console connector waits on it
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(proc: subprocess.Popen[bytes], text: str, timeout: float = 60.0) -> str:
    """Read the process's stdout until ``text`` appears (or fail after ``timeout``)."""
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while text.encode() not in seen:
            left = deadline - time.monotonic()
            assert left > 0 and proc.poll() is None, seen.decode(errors="replace")
            if sel.select(left):
                chunk = os.read(proc.stdout.fileno(), 65536)
                assert chunk, seen.decode(errors="replace")
                seen += chunk
    return seen.decode()


def _interrupt(proc: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("one Ctrl-C did not stop the process within 30 s") from None
    return proc.returncode, out.decode(), err.decode()


def test_run_with_the_console_connector_stops_on_one_ctrl_c(tmp_path: Path) -> None:
    extra = "[connectors.console]\nenabled = true\n"
    settings = _settings(tmp_path, extra, replay=False)
    proc = _start(["run", "-s", str(settings)], tmp_path)
    seen = _wait_for(proc, "dashboard: http://127.0.0.1:")
    code, out, err = _interrupt(proc)
    assert code in (0, 130), err
    assert "show summary" in seen + out
    assert "INFO apscheduler" not in err and "Traceback" not in err


def test_rehearse_stops_on_one_ctrl_c(tmp_path: Path) -> None:
    proc = _start(
        ["rehearse", "--catalog", str(DATA / "knit_shop_export.csv"), "--seconds", "120"],
        tmp_path,
    )
    _wait_for(proc, "rehearsal starting")
    code, _out, err = _interrupt(proc)
    # 130: stopped before the show ran; 0: the show ran and ended early, with its summary
    assert code in (0, 130), err
    assert "stop" in err and "Traceback" not in err


def test_the_sandbox_store_serves_the_merchant_catalog_and_refuses_a_broken_one(
    tmp_path: Path,
) -> None:
    ours = f'[app]\nsandbox_catalog = "{DATA / "knit_shop_export.csv"}"\n'
    settings = _settings(tmp_path).read_text(encoding="utf-8").replace("[app]\n", ours, 1)
    (tmp_path / "settings.toml").write_text(settings, encoding="utf-8")
    code, out = _invoke("sync", "-s", str(tmp_path / "settings.toml"))
    assert code == 0, out
    assert "full sync: 5 variants" in out  # the export's, not the demo's 62
    bad = tmp_path / "broken.csv"
    bad.write_text("Handle,Title,Variant Price\nhat,Hat,free\n", encoding="utf-8")
    (tmp_path / "settings.toml").write_text(
        settings.replace(str(DATA / "knit_shop_export.csv"), str(bad)), encoding="utf-8"
    )
    code, out = _invoke("run", "-s", str(tmp_path / "settings.toml"))
    assert code == 2
    assert f"app.sandbox_catalog: {bad}:2: Variant Price: expected a price like 24.00" in out


def test_a_database_that_cannot_be_opened_is_a_sentence(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}"
    for command in ("claims", "report"):
        code, out = _invoke(command, "--database", url, "-s", str(_settings(tmp_path)))
        assert code == 1 and f"{command} failed: cannot use the database" in out
