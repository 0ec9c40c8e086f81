"""The order ledger and the funnel report on SQLite and PostgreSQL, and the report command."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import typer
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from typer.testing import CliRunner

from checkout_links.ledger import OrderLedger
from checkout_links.report import PlatformCounts, build_funnel, funnel_json, load_funnel
from checkout_links.shortlinks import ShortLinks
from shopstream.commands.report import make_report_command
from tests.support.clock import FakeClock


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    from shopstream.storage.engine import make_engine

    eng = make_engine(db_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


def _order(
    order_id: int, *, holds: str | None, platform: str, total: str, **kw: Any
) -> dict[str, Any]:
    notes = []
    if holds is not None:
        notes = [
            {"name": "_shopstream_hold", "value": holds},
            {"name": "_shopstream_show", "value": "show-101"},
            {"name": "_shopstream_platform", "value": platform},
        ]
    order: dict[str, Any] = {
        "id": order_id,
        "name": f"#{order_id}",
        "currency": "USD",
        "financial_status": "paid",
        "total_price": total,
        "note_attributes": notes,
        "line_items": [
            {"variant_id": 44000000001, "product_id": 7000000001, "quantity": 2, "price": "24.00"},
            {"variant_id": 44000000017, "product_id": 7000000002, "quantity": 1, "price": "55.00"},
        ],
    }
    order.update(kw)
    return order


def test_orders_are_recorded_once_and_never_dropped(engine: Engine, clock: FakeClock) -> None:
    ledger = OrderLedger(engine, clock=clock)
    first = ledger.record_payload(_order(1, holds="h1,h2", platform="youtube", total="103.00"))
    assert first is not None and first.new and first.attribution.hold_ids == ("h1", "h2")
    again = ledger.record_payload(_order(1, holds="h1,h2", platform="youtube", total="103.00"))
    assert again is not None and not again.new
    stray = ledger.record_payload(_order(2, holds=None, platform="", total="10.00"))
    assert stray is not None and stray.new and not stray.attribution.attributed
    assert ledger.record_payload({"no": "id"}) is None
    assert [o.order_id for o in ledger.orders()] == ["1", "2"]
    assert [o.order_id for o in ledger.unattributed()] == ["2"]
    assert ledger.orders("show-101")[0].total == Decimal("103.00")


def test_revenue_per_show_platform_and_product(engine: Engine) -> None:
    ledger = OrderLedger(engine)
    ledger.record_payload(_order(1, holds="h1", platform="youtube", total="103.00"))
    ledger.record_payload(_order(2, holds="h2", platform="twitch", total="98.50"))
    ledger.record_payload(_order(3, holds="h3", platform="youtube", total="0.10"))
    ledger.record_payload(_order(4, holds=None, platform="", total="999.00"))
    rev = ledger.revenue("show-101")
    assert rev.orders_by_platform == {"youtube": 2, "twitch": 1}
    assert rev.revenue_by_platform == {
        ("youtube", "USD"): Decimal("103.10"),
        ("twitch", "USD"): Decimal("98.50"),
    }
    assert rev.revenue_by_product == {
        ("7000000001", "USD"): Decimal("144.00"),
        ("7000000002", "USD"): Decimal("165.00"),
    }
    assert rev.units_by_product == {"7000000001": 6, "7000000002": 3}


COUNTS: Mapping[str, PlatformCounts] = {
    "youtube": PlatformCounts(messages=500, claims=40, holds=30),
    "twitch": PlatformCounts(messages=900, claims=20, holds=8),
    "facebook": PlatformCounts(messages=50, claims=0, holds=0),
}


def _seed(engine: Engine, clock: FakeClock) -> None:
    links = ShortLinks(engine, key=b"k" * 32, public_base_url="http://x", clock=clock)
    for platform, n in (("youtube", 3), ("twitch", 1)):
        url = links.create(
            "https://shop/cart/1:1",
            hold_ids=["h"],
            viewer_key="v",
            expires_at=clock() + timedelta(minutes=5),
            show="show-101",
            platform=platform,
        )
        for _ in range(n):
            assert links.resolve(url.rsplit("/", 1)[1]).kind == "redirect"
    ledger = OrderLedger(engine)
    ledger.record_payload(_order(1, holds="h1", platform="youtube", total="103.00"))
    ledger.record_payload(_order(2, holds="h2", platform="youtube", total="20.00"))
    ledger.record_payload(_order(3, holds="h3", platform="twitch", total="98.50"))


def test_funnel_from_the_database(engine: Engine, clock: FakeClock) -> None:
    _seed(engine, clock)
    funnel = load_funnel(engine, "show-101", COUNTS)
    rows = {r.platform: r for r in funnel.rows}
    assert (rows["youtube"].clicks, rows["youtube"].orders) == (3, 2)
    assert rows["youtube"].revenue == {"USD": Decimal("123.00")}
    assert rows["youtube"].conversion == Decimal("6.7")  # 2 orders / 30 holds
    assert rows["twitch"].conversion == Decimal("12.5")
    assert rows["facebook"].conversion is None
    assert (funnel.total.messages, funnel.total.holds, funnel.total.orders) == (1450, 38, 3)
    assert funnel.total.revenue == {"USD": Decimal("221.50")}
    doc = json.loads(funnel_json(funnel))
    assert doc["total"]["revenue"] == {"USD": "221.50"}
    assert doc["platforms"][0]["platform"] == "facebook"


def test_report_command_prints_table_and_json(engine: Engine, clock: FakeClock) -> None:
    _seed(engine, clock)

    class _Keep:  # the command disposes the engine it is given; hand it a fresh one each time
        def __call__(self) -> Engine:
            from shopstream.storage.engine import make_engine

            return make_engine(str(engine.url.render_as_string(hide_password=False)))

    app = typer.Typer()
    app.command("report")(make_report_command(_Keep(), lambda eng, show: COUNTS))
    app.command("noop")(lambda: None)
    runner = CliRunner()
    out = runner.invoke(app, ["report", "show-101", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["total"]["orders"] == 3
    table = runner.invoke(app, ["report", "show-101"], env={"COLUMNS": "150"})
    assert table.exit_code == 0
    assert "youtube" in table.stdout and "123.00 USD" in table.stdout and "6.7%" in table.stdout
    bad = runner.invoke(app, ["report", "show-101", "--format", "xml"])
    assert bad.exit_code == 2


def test_build_funnel_with_no_data_at_all() -> None:
    from checkout_links.ledger import Revenue

    empty = Revenue(
        show="s",
        orders_by_platform={},
        revenue_by_platform={},
        revenue_by_product={},
        units_by_product={},
    )
    funnel = build_funnel("s", {}, {}, empty)
    assert funnel.rows == () and funnel.total.orders == 0 and funnel.total.conversion is None


def test_default_report_command_reads_the_settings_database(tmp_path: Any) -> None:
    from shopstream.commands.report import report_command
    from shopstream.storage.engine import make_engine

    url = f"sqlite:///{tmp_path / 'app.db'}"
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    OrderLedger(eng).record_payload(_order(1, holds="h1", platform="twitch", total="9.99"))
    eng.dispose()
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[storage]\nurl = "{url}"\n', encoding="utf-8")
    app = typer.Typer()
    app.command("report")(report_command)
    app.command("noop")(lambda: None)
    out = CliRunner().invoke(
        app, ["report", "show-101", "-f", "json"], env={"SHOPSTREAM_SETTINGS": str(settings)}
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["total"]["revenue"] == {"USD": "9.99"}
    assert doc["platforms"][0]["messages"] == 0  # no counts wired by default
