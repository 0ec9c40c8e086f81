"""Loading Shopify's products.json shape into catalog values."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from chat_commands.catalog import (
    CatalogError,
    CatalogProduct,
    live_code_of,
    load_products_json,
    split_tags,
)


def _product(**overrides: Any) -> dict[str, Any]:
    product: dict[str, Any] = {
        "id": 1,
        "handle": "tee",
        "title": "Tee",
        "tags": "apparel, live:A7, livestream",
        "options": [{"name": "Size", "values": ["S", "M"]}],
        "variants": [
            {"id": 11, "sku": "T-S", "title": "S", "option1": "S", "price": "9.50",
             "inventory_quantity": 3},
            {"id": 12, "sku": "", "title": "M", "option1": "M", "price": "9.50"},
        ],
    }  # fmt: skip
    product.update(overrides)
    return product


def test_demo_catalog_loads_whole(demo_products: tuple[CatalogProduct, ...]) -> None:
    assert len(demo_products) == 12
    assert sum(len(p.variants) for p in demo_products) == 62
    tee = demo_products[0]
    assert (tee.handle, tee.live_code, tee.product_id) == ("classic-tee", "101", "7000000001")
    assert [o.name for o in tee.options] == ["Size", "Color"]
    assert tee.variants[0].options == ("S", "Red")
    assert tee.variants[0].price == Decimal("24.00")
    assert tee.variants[0].variant_id == "44000000001"


def test_variant_fields() -> None:
    (product,) = load_products_json({"products": [_product()]})
    small, medium = product.variants
    assert (small.sku, small.available, small.price) == ("T-S", 3, Decimal("9.50"))
    assert (medium.sku, medium.available) == (None, None)
    assert product.tags == ("apparel", "live:A7", "livestream")


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ("apparel, live:101", "101"),
        ("LIVE:b2", "b2"),
        (["live: 7 "], "7"),
        ("livestream, live:", None),
        ("", None),
        (None, None),
    ],
)
def test_live_code_from_tags(tags: Any, code: str | None) -> None:
    assert live_code_of(split_tags(tags)) == code


def test_options_fall_back_to_variant_values() -> None:
    raw = _product(options=[{"name": "Size"}])
    (product,) = load_products_json({"products": [raw]})
    assert product.options[0].values == ("S", "M")
    (untitled,) = load_products_json({"products": [_product(options=None)]})
    assert untitled.options[0].name == "Title"


@pytest.mark.parametrize(
    "bad",
    [
        {"handle": "no-variants", "variants": []},
        {"title": "no handle", "variants": [{"id": 1}]},
        _product(variants=[{"sku": "no id"}]),
        _product(variants=[{"id": 1, "price": "not money"}]),
        "not an object",
    ],
)
def test_malformed_products_are_logged_and_skipped(
    bad: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        loaded = load_products_json({"products": [bad, _product()]})
    assert [p.handle for p in loaded] == ["tee"]
    assert "skipping malformed catalog product #0" in caplog.text


@pytest.mark.parametrize("document", [{}, {"products": {}}, [], {"items": []}])
def test_a_document_without_products_is_refused(document: Any) -> None:
    with pytest.raises(CatalogError):
        load_products_json(document)
