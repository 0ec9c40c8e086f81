"""What a merchant reads: claims with product, price, order and paid state in 80 columns;
the funnel per product and variant; the shows in a database. Also: a buy of a product
without options, and the Ctrl-C handler."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlmodel import Session, select

from checkout_links.models import LedgerOrder, LedgerOrderLine
from connectors.events import ChatMessage
from shop_sync.models import Hold, HoldStock, ShopProduct, ShopVariant
from shopstream.commands.merchant_views import (
    CLAIM_FIELDS,
    claim_dicts,
    claim_lines,
    claims_table,
    list_shows,
    to_csv,
    variant_lines,
    variants_table,
)
from shopstream.core import build_core
from shopstream.interrupt import EXIT_INTERRUPTED, Interrupt
from shopstream.runtime.supervisor import Envelope
from shopstream.sandbox_store import sandbox_store
from shopstream.settings import parse_settings
from shopstream.storage import make_engine
from shopstream.storage.migrate import upgrade
from shopstream.storage.models import Claim

T0 = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _seed(url: str) -> Any:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        s.add(
            ShopProduct(
                product_id="1",
                gid="gid://shopify/Product/1",
                handle="cable-sweater",
                title="Cable Sweater with a rather long name for a narrow terminal",
            )
        )
        for vid, title, qty in (("11", "S / Cream", 0), ("12", "M / Cream", 3)):
            s.add(
                ShopVariant(
                    variant_id=vid,
                    gid=f"gid://shopify/ProductVariant/{vid}",
                    product_id="1",
                    position=int(vid) - 10,
                    sku=f"CS-{vid}",
                    title=title,
                    price="89.00",
                    currency="USD",
                )
            )
            s.add(
                HoldStock(
                    variant_id=vid, sku=f"CS-{vid}", product_handle="cable-sweater", sellable=qty
                )
            )
        for n, (vid, status, order) in enumerate(
            (("11", "paid", "6000000001"), ("12", "held", None), ("12", "waitlisted", None))
        ):
            hold = f"h{n}" if status != "waitlisted" else None
            s.add(
                Claim(
                    claim_key=f"k{n}",
                    show_id="knit-night",
                    platform="youtube",
                    message_id=f"m{n}",
                    viewer_name=f"viewer-with-a-long-name-{n}",
                    text="!buy K2 S cream",
                    product="cable-sweater",
                    sku=f"CS-{vid}",
                    variant_id=vid,
                    status=status,
                    hold_id=hold,
                    sent_at=T0 + timedelta(seconds=n),
                    created_at=T0,
                    updated_at=T0,
                )
            )
            if hold:
                s.add(
                    Hold(
                        hold_id=hold,
                        claim_key=f"k{n}",
                        platform="youtube",
                        viewer_id="v",
                        variant_id=vid,
                        show_id="knit-night",
                        status="converted" if order else "active",
                        order_id=order,
                    )
                )
        s.add(
            LedgerOrder(
                order_id="6000000001",
                name="#1001",
                attributed=True,
                show_id="knit-night",
                platform="youtube",
                currency="USD",
                total=Decimal("89.00"),
                recorded_at=T0,
            )
        )
        s.add(
            LedgerOrderLine(
                order_id="6000000001",
                show_id="knit-night",
                platform="youtube",
                variant_id="11",
                product_id="1",
                title="Cable Sweater",
                quantity=1,
                price=Decimal("89.00"),
            )
        )
        s.commit()
    return engine


def test_claims_fit_80_columns_with_title_variant_price_order_and_paid(sqlite_db_url: str) -> None:
    engine = _seed(sqlite_db_url)
    try:
        lines = claim_lines(engine, "knit-night")
    finally:
        engine.dispose()
    paid = lines[0]
    assert (paid.product, paid.variant, paid.price, paid.order, paid.paid) == (
        "Cable Sweater with a rather long name for a narrow terminal",
        "S / Cream",
        "89.00",
        "#1001",
        True,
    )
    assert [c.paid for c in lines] == [True, False, False]
    console = Console(width=80, record=True)
    console.print(claims_table(lines, title="knit-night"))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    for word in ("#1001", "89.00", "S / Cream", "paid", "held", "waitlisted", "yes", "no"):
        assert word in text, text
    rows = list(csv.DictReader(io.StringIO(to_csv(claim_dicts(lines), CLAIM_FIELDS))))
    assert rows[0]["order"] == "#1001" and rows[0]["paid"] == "True"


def test_the_funnel_per_variant_counts_claims_holds_paid_revenue_and_sell_through(
    sqlite_db_url: str,
) -> None:
    engine = _seed(sqlite_db_url)
    try:
        variants = variant_lines(engine, "knit-night")
        shows = list_shows(engine)
    finally:
        engine.dispose()
    small, medium = variants
    assert (small.variant, small.claims, small.holds, small.paid) == ("S / Cream", 1, 1, 1)
    assert small.revenue == Decimal("89.00") and small.sell_through == Decimal("100.0")
    assert (medium.claims, medium.holds, medium.paid, medium.sell_through) == (2, 1, 0, 0)
    console = Console(width=80, record=True)
    console.print(variants_table(variants, "knit-night"))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "89.00 USD" in text and "100.0%" in text
    assert [(s.show, s.claims, s.holds, s.orders) for s in shows] == [("knit-night", 3, 2, 1)]


async def test_a_buy_of_a_product_without_options_takes_its_only_variant(db_url: str) -> None:
    products = json.loads((ROOT / "sandbox/data/demo_products.json").read_text())["products"]
    mug = next(p for p in products if p["handle"] == "ceramic-mug")
    mug["options"] = []
    for key in ("option1", "option2", "option3"):
        mug["variants"][0][key] = None
    settings = parse_settings({"show": {"id": "mugs", "featured": "401"}})
    async with sandbox_store(settings, products=products) as store:
        core = build_core(settings, store.access, database_url=db_url)
        try:
            core.sync()
            msg = ChatMessage(
                platform="twitch",
                channel="c",
                message_id="m1",
                author_id="a1",
                author_name="amy",
                text="!buy 401",
                sent_at=T0,
            )
            core.records.take_messages([msg])
            with core.records.batch():
                (result,) = core.handler.handle_many([Envelope("twitch", msg)])
            claims = core.records.claims(show_id="mugs")
        finally:
            core.close()
    assert not isinstance(result, Exception), result
    assert [c.status for c in claims] == ["held"]


def test_one_ctrl_c_stops_and_a_hung_stop_exits_after_the_grace() -> None:
    exited = threading.Event()
    codes: list[int] = []
    stops: list[str] = []

    def exit_now(code: int) -> None:
        codes.append(code)
        exited.set()

    said: list[str] = []
    handler = Interrupt(
        lambda: stops.append("stop"), grace=0.05, say=said.append, exit_now=exit_now
    )
    handler()
    assert stops == ["stop"] and "stopping" in said[0]
    assert exited.wait(5)  # the show did not end in time: the process exits
    assert codes == [EXIT_INTERRUPTED]
    again = Interrupt(lambda: None, grace=60, say=said.append, exit_now=codes.append)
    again()
    again()  # the second Ctrl-C quits at once
    again.cancel_timer()
    assert codes == [EXIT_INTERRUPTED, EXIT_INTERRUPTED]


async def test_checked_stock_without_tracking_stays_limited_in_the_store(db_url: str) -> None:
    from sandbox.catalog import check_products

    products = json.loads((ROOT / "sandbox/data/demo_products.json").read_text())["products"]
    for product in products:
        for variant in product["variants"]:
            del variant["inventory_management"]  # the catalog: stock "unlimited"
    checked = check_products(products, "mine.json")
    settings = parse_settings({"show": {"id": "stock"}})
    async with sandbox_store(settings, products=checked.products) as store:
        core = build_core(settings, store.access, database_url=db_url)
        try:
            core.sync()
            with Session(core.engine) as session:
                tracked = {v.tracked for v in session.exec(select(ShopVariant)).all()}
        finally:
            core.close()
    assert tracked == {True}
