"""Language data files: the shipped five, merchant extensions and new languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chat_commands.catalog import CatalogProduct
from chat_commands.config import ParserConfig
from chat_commands.index import CatalogIndex
from chat_commands.language import (
    LanguageFileError,
    builtin_codes,
    load_config_languages,
    load_language_file,
    load_languages,
)
from chat_commands.parse import ParseContext, parse
from chat_commands.record import intent_record


def _context(products: tuple[CatalogProduct, ...], config: ParserConfig) -> ParseContext:
    index = CatalogIndex.build(products, language_data=load_config_languages(config))
    return ParseContext(
        index=index, featured="classic-tee", languages=config.languages, config=config
    )


def test_five_languages_ship_with_every_table_filled() -> None:
    assert set(builtin_codes()) >= {"en", "es", "pt", "fr", "de"}
    for code, table in load_languages().items():
        assert table.code == code
        for category in ("claim", "want", "price", "stock", "cancel", "help", "filler"):
            assert table.phrases.get(category), (code, category)
        assert table.colors and table.commands.get("buy")


def test_unknown_language_is_refused() -> None:
    with pytest.raises(LanguageFileError, match="unknown language"):
        load_languages(("en", "xx"))


def test_a_merchant_file_extends_a_shipped_language(
    tmp_path: Path, demo_products: tuple[CatalogProduct, ...]
) -> None:
    extra = tmp_path / "en-extra.json"
    extra.write_text(json.dumps({"code": "en", "phrases": {"claim": ["yoink"]}}), "utf-8")
    config = ParserConfig(extra_language_files=(extra,))
    record = intent_record(parse("yoink M red", _context(demo_products, config)))
    assert (record["intent"], record["sku"]) == ("buy", "CT-101-M-RED")


def test_a_merchant_file_adds_a_language(
    tmp_path: Path, demo_products: tuple[CatalogProduct, ...]
) -> None:
    italian = {
        "code": "it",
        "name": "Italiano",
        "phrases": {"want": ["prendo", "lo prendo"], "filler": ["la", "taglia"]},
        "colors": {"rossa": "red", "rosso": "red"},
        "commands": {"buy": ["compra"]},
    }
    path = tmp_path / "it.json"
    path.write_text(json.dumps(italian), "utf-8")
    config = ParserConfig(languages=("en", "it"), extra_language_files=(path,))
    context = _context(demo_products, config)
    intent = parse("prendo la taglia M rossa", context)
    assert intent_record(intent)["sku"] == "CT-101-M-RED"
    assert intent.language == "it"
    assert intent_record(parse("!compra L rosso", context))["sku"] == "CT-101-L-RED"


def test_keyword_aliases_from_settings(demo_products: tuple[CatalogProduct, ...]) -> None:
    config = ParserConfig(keyword_aliases={"claim": ("dibsies",), "price": ("$$",), "buy": ("b",)})
    context = _context(demo_products, config)
    claim = parse("dibsies S white", context)
    assert intent_record(claim)["sku"] == "CT-101-S-WHI"
    assert claim.language is None
    assert intent_record(parse("!b M red", context))["sku"] == "CT-101-M-RED"


def test_disabled_languages_are_not_understood(
    demo_products: tuple[CatalogProduct, ...],
) -> None:
    config = ParserConfig(languages=("en",))
    context = _context(demo_products, config)
    assert parse("quiero la talla M roja", context).intent == "none"
    assert parse("I want it in M red", context).intent == "buy"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "Expecting value"),
        ("[]", "'code' string"),
        ('{"code": "xx", "phrases": {"shouting": ["!!"]}}', "unknown category"),
        ('{"code": "xx", "phrases": {"claim": "sold"}}', "list of strings"),
        ('{"code": "xx", "numbers": {"one": "1"}}', "integers"),
        ('{"code": "xx", "sizes": ["s"]}', "must be an object"),
        ('{"code": "xx", "commands": {"dance": ["d"]}}', "unknown category"),
    ],
)
def test_malformed_language_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, "utf-8")
    with pytest.raises(LanguageFileError, match=message):
        load_language_file(path)


def test_unknown_keyword_alias_category_is_refused() -> None:
    with pytest.raises(LanguageFileError, match="keyword_aliases"):
        load_languages(("en",), keyword_aliases={"dance": ["d"]})
