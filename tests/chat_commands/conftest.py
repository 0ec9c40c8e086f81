"""Fixtures for the parser tests: the demo catalog, its index and a context factory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from chat_commands.catalog import CatalogProduct, load_products_json
from chat_commands.config import ParserConfig
from chat_commands.index import CatalogIndex
from chat_commands.parse import ParseContext

DEMO_CATALOG = Path(__file__).resolve().parents[2] / "sandbox" / "data" / "demo_products.json"


@pytest.fixture(scope="session")
def demo_products() -> tuple[CatalogProduct, ...]:
    """The sandbox demo catalog (12 products, 62 variants)."""
    return load_products_json(json.loads(DEMO_CATALOG.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def demo_index(demo_products: tuple[CatalogProduct, ...]) -> CatalogIndex:
    """The index of the demo catalog with every built-in language."""
    return CatalogIndex.build(demo_products)


@pytest.fixture(scope="session")
def context_for(demo_index: CatalogIndex) -> Callable[..., ParseContext]:
    """Build a parse context on the demo index with an optional featured handle."""

    def make(featured: str | None = None, **config: object) -> ParseContext:
        parser_config = ParserConfig.model_validate(config)
        return ParseContext(
            index=demo_index,
            featured=featured,
            languages=parser_config.languages,
            config=parser_config,
        )

    return make
