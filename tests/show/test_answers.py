"""Answers from live inventory, checked on the demo catalog and on small tables."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shopstream.answers import (
    ProductView,
    QuestionKind,
    VariantView,
    answer,
    faq_answer,
    options_in_stock,
    product_url,
)
from shopstream.replies import Templates
from shopstream.show.config import FaqConfig

CATALOG = Path(__file__).resolve().parents[2] / "sandbox" / "data" / "demo_products.json"


def _view(raw: dict[str, Any], stock: dict[str, int] | None = None) -> ProductView:
    names = tuple(o["name"] for o in raw["options"])
    variants = []
    for v in raw["variants"]:
        values = tuple(v[f"option{i}"] for i in (1, 2, 3) if v.get(f"option{i}"))
        qty = (stock or {}).get(v["title"], v["inventory_quantity"])
        variants.append(
            VariantView(title=v["title"], options=values, price=Decimal(v["price"]), available=qty)
        )
    return ProductView(
        title=raw["title"],
        handle=raw["handle"],
        currency="USD",
        options=names,
        variants=tuple(variants),
    )


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates.load()


@pytest.fixture(scope="module")
def tee() -> dict[str, Any]:
    products = json.loads(CATALOG.read_text())["products"]
    return next(p for p in products if p["handle"] == "classic-tee")


SIZES = ProductView(
    title="Hoodie",
    handle="hoodie",
    currency="EUR",
    options=("Size",),
    variants=(
        VariantView(title="S", options=("S",), price=Decimal("40"), available=0),
        VariantView(title="M", options=("M",), price=Decimal("40"), available=3),
        VariantView(title="L", options=("L",), price=Decimal("45"), available=0),
        VariantView(title="XL", options=("XL",), price=Decimal("45"), available=None),
    ),
)
SINGLE = ProductView(
    title="Mug", handle="mug", currency="USD",
    variants=(VariantView(title="Default Title", price=Decimal("12.5"), available=2),),
)  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "product", "locale", "expected"),
    [
        (QuestionKind.PRICE, SINGLE, "en", "Mug: $12.50"),
        (QuestionKind.PRICE, SINGLE, "de", "Mug: 12,50 $"),
        (QuestionKind.PRICE, SIZES, "en", "Hoodie: €40.00 to €45.00"),
        (QuestionKind.PRICE, SIZES, "fr", "Hoodie : de 40,00 € à 45,00 €"),
        (QuestionKind.STOCK, SIZES, "en",
         "Hoodie: S is sold out, 3 left in M, L is sold out, XL in stock"),
        (QuestionKind.STOCK, SINGLE, "es", "Mug: quedan 2"),
        (QuestionKind.OPTIONS, SIZES, "en", "Hoodie in stock: M, XL"),
        (QuestionKind.LINK, SIZES, "en", "Hoodie: https://shop.example/products/hoodie"),
        (QuestionKind.SHIPPING, None, "en", "Shipping is calculated at checkout."),
        (QuestionKind.SHIPPING, None, "de", "Die Versandkosten werden an der Kasse berechnet."),
    ],
)  # fmt: skip
def test_answer_table(
    templates: Templates,
    kind: QuestionKind,
    product: ProductView | None,
    locale: str,
    expected: str,
) -> None:
    got = answer(
        kind, product, templates=templates, locale=locale, store_url="https://shop.example/"
    )
    assert got == expected


def test_stock_and_options_follow_live_inventory(templates: Templates, tee: dict[str, Any]) -> None:
    sold = {v["title"]: 0 for v in tee["variants"] if v["option1"] == "L"}
    view = _view(tee, sold)
    stock = answer(QuestionKind.STOCK, view, templates=templates)
    assert stock.startswith("Classic Tee: ")
    options = options_in_stock(view)
    assert "L" not in options["Size"]
    assert options["Color"] == ["Red", "Navy", "White"]
    text = answer(QuestionKind.OPTIONS, view, templates=templates)
    assert text == "Classic Tee in stock: Size S, M, XL; Color Red, Navy, White"
    everything_gone = _view(tee, {v["title"]: 0 for v in tee["variants"]})
    assert answer(QuestionKind.OPTIONS, everything_gone, templates=templates) == (
        "Classic Tee is sold out in every option."
    )


def test_price_of_demo_tee(templates: Templates, tee: dict[str, Any]) -> None:
    assert answer(QuestionKind.PRICE, _view(tee), templates=templates) == "Classic Tee: $24.00"


def test_faq_from_settings(templates: Templates) -> None:
    faq = FaqConfig(
        shipping="Free shipping over $50, 3-5 days.",
        entries={"returns": "30-day returns.", "return label": "Label in the box.", "eu": "EU ok"},
    )

    def ask(kind: QuestionKind, question: str = "") -> str:
        return answer(kind, None, templates=templates, faq=faq, question=question)

    assert ask(QuestionKind.SHIPPING) == "Free shipping over $50, 3-5 days."
    assert ask(QuestionKind.OTHER, "what about RETURNS?") == "30-day returns."
    assert ask(QuestionKind.OTHER, "where is the return label") == "Label in the box."
    assert ask(QuestionKind.OTHER, "do you ship to Europe") == (
        "Good question! The host will answer it soon."
    )


@pytest.mark.parametrize(
    ("question", "expected"),
    [("Returns?", "R"), ("no keyword here", None), ("preturns", None), ("", None)],
)
def test_faq_answer_whole_words(question: str, expected: str | None) -> None:
    assert faq_answer(question, {"returns": "R", " ": "blank"}) == expected


def test_product_url() -> None:
    assert product_url("https://s.example", "tee") == "https://s.example/products/tee"
    assert product_url("https://s.example/", "tee") == "https://s.example/products/tee"


@pytest.mark.parametrize(
    ("only", "expected"),
    [
        (["m"], "Hoodie: 3 left in M"),
        (["xl"], "Hoodie: XL in stock"),
        (["purple"], "Hoodie: S is sold out, 3 left in M, L is sold out, XL in stock"),
        ([], "Hoodie: S is sold out, 3 left in M, L is sold out, XL in stock"),
    ],
)
def test_stock_for_the_option_the_viewer_named(
    templates: Templates, only: list[str], expected: str
) -> None:
    assert answer(QuestionKind.STOCK, SIZES, templates=templates, only=only) == expected


def test_price_for_one_size(templates: Templates) -> None:
    assert answer(QuestionKind.PRICE, SIZES, templates=templates, only=["L"]) == "Hoodie: €45.00"


SOLD_OUT_SINGLE = ProductView(
    title="Serum", handle="serum", currency="USD",
    variants=(VariantView(title="Default Title", price=Decimal("20"), available=0),),
)  # fmt: skip
UNTRACKED_SINGLE = ProductView(
    title="Serum", handle="serum", currency="USD",
    variants=(VariantView(title="Default Title", price=Decimal("20"), available=None),),
)  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "product", "locale", "only", "not_offered", "expected"),
    [
        # issue 19: "is L still available?" of a one-size product said "20 left in Glow Serum"
        (QuestionKind.STOCK, SINGLE, "en", (), ("L",), "Mug doesn't come in L. Mug: 2 left"),
        (QuestionKind.STOCK, SINGLE, "de", (), ("L",), "Mug gibt es nicht in L. Mug: noch 2"),
        (QuestionKind.STOCK, SOLD_OUT_SINGLE, "en", (), (), "Serum is sold out"),
        (QuestionKind.STOCK, UNTRACKED_SINGLE, "fr", (), (), "Serum est en stock"),
        (QuestionKind.STOCK, SIZES, "en", (), ("XXXL", "purple"),
         "Hoodie doesn't come in XXXL or purple. "
         "Hoodie: S is sold out, 3 left in M, L is sold out, XL in stock"),
        (QuestionKind.OPTIONS, SIZES, "es", (), ("XXS",),
         "Hoodie no viene en XXS. Hoodie disponible en: M, XL"),
        # "how many M left?" answers for M only
        (QuestionKind.STOCK, SIZES, "en", ("M",), (), "Hoodie: 3 left in M"),
        # a price question never says what the product lacks
        (QuestionKind.PRICE, SINGLE, "en", (), ("L",), "Mug: $12.50"),
    ],
)  # fmt: skip
def test_answer_names_what_was_asked(
    templates: Templates,
    kind: QuestionKind,
    product: ProductView,
    locale: str,
    only: tuple[str, ...],
    not_offered: tuple[str, ...],
    expected: str,
) -> None:
    got = answer(
        kind, product, templates=templates, locale=locale, only=only, not_offered=not_offered
    )
    assert got == expected
