"""Table tests for text clean-up and tokenizing."""

from __future__ import annotations

import pytest

from chat_commands.normalize import clean, fold, is_question_text, tokenize


@pytest.mark.parametrize(
    ("raw", "tokens"),
    [
        ("SOLD 101 Navy XL", ["sold", "101", "navy", "xl"]),
        ("\x01ACTION sold 101 L\x01", ["sold", "101", "l"]),
        ("/me sold S red", ["sold", "s", "red"]),
        ("@parent sold M", ["sold", "m"]),
        ("@shop_bot @ana.b sold M", ["sold", "m"]),
        ("I'll take the Classic Tee 😍😍", ["i'll", "take", "the", "classic", "tee"]),
        ("I’ll take it", ["i'll", "take", "it"]),
        ("Ich möchte die Größe L", ["ich", "mochte", "die", "grosse", "l"]),
        ("¿Cuánto cuesta?", ["cuanto", "cuesta"]),
        ("je prends l’écharpe", ["je", "prends", "l'", "echarpe"]),
        ("+1", ["+1"]),
        ("x2 2x qty:3", ["x2", "2x", "qty", "3"]),
        ("CT-101-M-RED t-shirt", ["ct-101-m-red", "t-shirt"]),
        ("quero\u200d 👍🏽 eu", ["quero", "eu"]),
        ("\u202esold\u202c", ["sold"]),
        ("ｓｏｌｄ　１０１", ["sold", "101"]),
        ("M/red", ["m", "red"]),
        ("", []),
        ("😍🔥", []),
    ],
)
def test_clean_then_tokenize(raw: str, tokens: list[str]) -> None:
    assert tokenize(clean(raw)) == tokens


def test_clean_reads_only_the_first_max_chars() -> None:
    assert tokenize(clean("sold " + "x" * 600 + " hoodie", max_chars=500)) == ["sold", "x" * 495]


@pytest.mark.parametrize(
    ("phrase", "folded"),
    [
        ("I'd like", ("i'd", "like")),
        ("Größe", ("grosse",)),
        ("  Forest  Green ", ("forest", "green")),
    ],
)
def test_fold(phrase: str, folded: tuple[str, ...]) -> None:
    assert fold(phrase) == folded


@pytest.mark.parametrize(
    ("text", "asked"), [("price?", True), ("¿precio", True), ("price？", True), ("price", False)]
)
def test_question_marks(text: str, asked: bool) -> None:
    assert is_question_text(clean(text)) is asked
