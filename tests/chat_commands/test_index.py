"""The catalog index: codes, lineup, SKUs, aliases and typo lookup."""

from __future__ import annotations

import logging

import pytest

from chat_commands.catalog import CatalogProduct
from chat_commands.config import ParserConfig
from chat_commands.index import CatalogIndex
from chat_commands.parse import ParseContext, parse


def test_codes_skus_and_handles_resolve(demo_index: CatalogIndex) -> None:
    assert demo_index.resolve_reference("101") == "classic-tee"
    assert demo_index.resolve_reference("a7") == "wool-scarf"
    assert demo_index.resolve_reference("A7") == "wool-scarf"
    assert demo_index.resolve_reference("cozy-hoodie") == "cozy-hoodie"
    assert demo_index.resolve_reference("CH-102-M-BLA") == "cozy-hoodie"
    assert demo_index.resolve_reference("nope") is None
    assert demo_index.code_of("beanie") == "a8"


def test_lineup_codes_add_and_override(
    demo_products: tuple[CatalogProduct, ...], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        index = CatalogIndex.build(
            demo_products, lineup={"1": "ceramic-mug", "101": "glow-serum", "9": "missing"}
        )
    assert index.resolve_reference("1") == "ceramic-mug"
    assert index.resolve_reference("101") == "glow-serum"
    assert index.resolve_reference("9") is None
    assert "lineup code 9 names unknown product missing" in caplog.text


def test_duplicate_handles_keep_the_first(demo_products: tuple[CatalogProduct, ...]) -> None:
    index = CatalogIndex.build((*demo_products, demo_products[0]))
    assert len(index.entries) == len(demo_products)


def test_an_empty_catalog_builds_and_parses_to_nothing_grounded() -> None:
    index = CatalogIndex.build(())
    config = ParserConfig()
    context = ParseContext(index=index, languages=config.languages, config=config)
    assert parse("sold 101 L", context).intent == "buy"
    assert getattr(parse("sold 101 L", context), "product", "x") is None
    assert parse("hello", context).intent == "none"


def test_product_aliases_name_products(demo_products: tuple[CatalogProduct, ...]) -> None:
    index = CatalogIndex.build(demo_products, aliases={"comfy one": "cozy-hoodie"})
    config = ParserConfig()
    context = ParseContext(index=index, languages=config.languages, config=config)
    intent = parse("sold the comfy one M black", context)
    assert (getattr(intent, "product", None), getattr(intent, "sku", None)) == (
        "cozy-hoodie",
        "CH-102-M-BLA",
    )


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("hoddie", "hoodie"),
        ("hodie", "hoodie"),
        ("scraf", "scarf"),
        ("burgandy", "burgundy"),
        ("balck", "black"),
        ("pillowcse", "pillowcase"),
        ("hoodie", "hoodie"),
        ("same", None),  # too short to guess
        ("zzzzzz", None),
        ("carmel", "camel"),
    ],
)
def test_fuzzy_word(demo_index: CatalogIndex, typo: str, word: str | None) -> None:
    assert demo_index.fuzzy_word(typo) == word


def test_variant_lookup_fills_single_valued_options(demo_index: CatalogIndex) -> None:
    serum = demo_index.entries["glow-serum"]
    variant = serum.variant_for({})
    assert variant is not None and variant.sku == "GS-201"
    tee = demo_index.entries["classic-tee"]
    assert tee.variant_for({0: "M"}) is None
    found = tee.variant_for({0: "M", 1: "Navy"})
    assert found is not None and found.sku == "CT-101-M-NAV"
