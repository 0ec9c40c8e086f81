"""A merchant's catalog (products.json or Shopify's product CSV) checked before a rehearsal.

Fixtures: tests/sandbox/data/SOURCES.md (Shopify's sample product CSV, and our own export).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sandbox.catalog import check_lineup, check_products, load_catalog
from sandbox.catalog.report import CatalogReport

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
DEMO = json.loads((ROOT / "sandbox/data/demo_products.json").read_text(encoding="utf-8"))


def _demo() -> list[dict[str, Any]]:
    return copy.deepcopy(DEMO["products"])


def _lines(report: CatalogReport) -> list[str]:
    return [f.line() for f in report.findings]


def test_the_demo_catalog_passes_without_findings() -> None:
    report = check_products(_demo(), "demo.json")
    assert report.findings == []
    assert len(report.products) == len(DEMO["products"])


def test_shopify_sample_csv_reads_with_rows_named_and_assumptions_reported() -> None:
    report = load_catalog(DATA / "shopify_product_template.csv")
    assert not report.stops
    assert [p["handle"] for p in report.products] == ["example-t-shirt"]
    shirt = report.products[0]
    assert [v["option1"] for v in shirt["variants"]] == [
        'Lithograph - Height: 9" x Width: 12"',
        "Small",
        "Medium",
    ]
    assert [v["price"] for v in shirt["variants"]] == ["25.00", "19.99", "19.99"]
    assert all(v["product_id"] == shirt["id"] for v in shirt["variants"])
    text = "\n".join(_lines(report))
    name = str(DATA / "shopify_product_template.csv")
    # blank tracker = not tracked (Shopify's CSV docs): reported, never silent
    assert f"{name}:2: Variant Inventory Tracker: stock is not tracked" in text
    assert f"{name}:4: Variant Inventory Qty: missing; assumed 0 in stock" in text
    assert f"{name}:5: Status: is 'draft'" in text and f"{name}:6: Status: is 'archived'" in text
    assert "the option is named 'Title' but the product has 3 variants" in text


def test_our_own_export_keeps_options_stock_and_live_codes() -> None:
    report = load_catalog(DATA / "knit_shop_export.csv")
    assert report.findings == []
    sweater = next(p for p in report.products if p["handle"] == "cable-sweater")
    assert [o["name"] for o in sweater["options"]] == ["Size", "Color"]
    assert [(v["option1"], v["inventory_quantity"]) for v in sweater["variants"]] == [
        ("S", 2),
        ("M", 3),
        ("L", 1),
    ]  # the image-only row is no variant
    assert check_lineup(report, [("K2", "cable-sweater")], featured="K1") == []


def test_variants_without_product_id_get_their_products() -> None:
    products = _demo()
    for p in products:
        for v in p["variants"]:
            del v["product_id"]
    report = check_products(products, "mine.json")
    assert not report.stops
    assert all(v["product_id"] == p["id"] for p in report.products for v in p["variants"])
    assert "mine.json: product #1 (classic-tee), variant #1 (CT-101-S-RED)" in _lines(report)[0]


def test_a_quantity_without_tracking_is_tracked_and_reported() -> None:
    products = _demo()
    serum = next(p for p in products if p["handle"] == "glow-serum")
    serum["variants"][0].pop("inventory_management")
    serum["variants"][0]["inventory_quantity"] = 0
    report = check_products(products, "mine.json")
    fixed = next(p for p in report.products if p["handle"] == "glow-serum")["variants"][0]
    assert fixed["inventory_management"] == "shopify" and fixed["inventory_quantity"] == 0
    assert any(
        "inventory_management: does not say whether stock is tracked" in line
        and "assumed tracked, 0 in stock" in line
        for line in _lines(report)
    )


def test_no_stock_and_no_tracking_is_zero_not_unlimited() -> None:
    products = _demo()
    variant = products[0]["variants"][0]
    del variant["inventory_management"], variant["inventory_quantity"]
    report = check_products(products, "mine.json")
    fixed = report.products[0]["variants"][0]
    assert (fixed["inventory_management"], fixed["inventory_quantity"]) == ("shopify", 0)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda ps: ps[:0], "the catalog has no products"),
        (lambda ps: [{**ps[0], "variants": []}], "product #1 (classic-tee): variants: the product"),
        (lambda ps: [{k: v for k, v in ps[0].items() if k != "variants"}], "no variants"),
        (
            lambda ps: [{k: v for k, v in ps[0].items() if k not in ("handle", "title")}],
            "product #1: handle: a product needs a handle or a title",
        ),
        (lambda ps: [ps[0], ps[0]], "handle 'classic-tee' is also"),
        (lambda ps: "not a list", "products: expected a list"),
    ],
)
def test_problems_that_would_crash_stop_the_show(change: Any, expected: str) -> None:
    report = check_products(change(_demo()), "mine.json")
    assert report.stops
    assert any(expected in f.line() for f in report.errors()), _lines(report)


def test_a_product_without_handle_takes_one_from_its_title() -> None:
    products = _demo()[:1]
    del products[0]["handle"]
    report = check_products(products, "mine.json")
    assert report.products[0]["handle"] == "classic-tee"
    assert "handle: missing; assumed 'classic-tee' (from the title)" in _lines(report)[0]


def test_a_variant_without_options_gets_the_default_one() -> None:
    products = _demo()[:1]
    products[0]["variants"] = products[0]["variants"][:1]
    products[0].pop("options")
    for key in ("option1", "option2", "option3"):
        products[0]["variants"][0].pop(key)
    report = check_products(products, "mine.json")
    product = report.products[0]
    assert product["options"][0]["name"] == "Title"
    assert product["variants"][0]["option1"] == "Default Title"


def test_bad_values_name_row_and_column_in_a_csv(tmp_path: Path) -> None:
    text = (DATA / "knit_shop_export.csv").read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace(",28.00,", ",twenty,").replace(",0,deny", ",lots,deny")
    text[3] = text[3].replace(",S,Color,", ",,Color,")
    path = tmp_path / "products_export.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    report = load_catalog(path)
    assert report.stops
    errors = [f.line() for f in report.errors()]
    assert f"{path}:3: Variant Price: expected a price like 24.00, got 'twenty'" in errors
    assert f"{path}:3: Variant Inventory Qty: expected a whole number, got 'lots'" in errors
    assert any(
        e.startswith(f"{path}:4: Option1 Value: no value for the option 'Size'") for e in errors
    )


def test_a_file_that_is_no_catalog_says_so(tmp_path: Path) -> None:
    wrong = tmp_path / "orders.csv"
    wrong.write_text("Name,Email,Total\n#1001,a@example.com,10.00\n", encoding="utf-8")
    report = load_catalog(wrong)
    assert report.stops and "column missing" in report.errors()[0].line()
    broken = tmp_path / "products.json"
    broken.write_text('{"products": [', encoding="utf-8")
    assert "not valid JSON" in load_catalog(broken).errors()[0].line()
    short = tmp_path / "short.csv"
    short.write_text("Handle,Title,Variant Price\nhat,Hat\n", encoding="utf-8")
    assert f"{short}:2: row: has 2 cells, the header has 3" in load_catalog(short).lines()


def test_lineup_and_featured_must_name_catalog_products() -> None:
    report = check_products(_demo(), "mine.json")
    problems = check_lineup(
        report, [("101", "classic-tee"), ("J9", "no-such-thing")], featured="999", where="show.toml"
    )
    assert problems == [
        "show.toml: lineup code 'J9': handle 'no-such-thing' is not in the catalog mine.json",
        "settings: show.featured: '999' is neither a lineup code nor a product handle of mine.json",
    ]
    assert check_lineup(report, [("J1", "classic-tee")], featured="J1") == []
    assert check_lineup(report, [], featured="A7") == []  # a live: tag code


def test_many_assumptions_of_one_kind_are_counted_not_repeated() -> None:
    products = _demo()
    for p in products:
        for v in p["variants"]:
            del v["product_id"]
    lines = check_products(products, "mine.json").lines(per_kind=3)
    assert len(lines) == 4 and lines[-1] == "  … and 59 more like this"
