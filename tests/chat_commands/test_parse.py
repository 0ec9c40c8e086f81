"""Table tests for the parser's pieces: commands, quantities, synonyms, typos, ambiguity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chat_commands.config import ParserConfig
from chat_commands.intents import Buy, ModCommand, NoIntent, Question, QuestionKind
from chat_commands.parse import ParseContext, parse, should_ask
from chat_commands.record import intent_record

Case = tuple[str | None, str, dict[str, Any]]


def _check(context: ParseContext, text: str, expected: dict[str, Any]) -> None:
    intent = parse(text, context)
    record = intent_record(intent)
    record["language"] = intent.language
    record["options"] = dict(getattr(intent, "options", {}))
    got = {key: record[key] for key in expected}
    assert got == expected, text


QUANTITIES: list[Case] = [
    ("glow-serum", "sold x2", {"quantity": 2}),
    ("glow-serum", "sold 2x", {"quantity": 2}),
    ("glow-serum", "sold x 2", {"quantity": 2}),
    ("glow-serum", "sold qty 3", {"quantity": 3}),
    ("glow-serum", "sold quantity: 4", {"quantity": 4}),
    ("glow-serum", "I'll take two", {"quantity": 2}),
    ("glow-serum", "sold 2 pcs", {"quantity": 2}),
    ("glow-serum", "+3", {"quantity": 3}),
    ("glow-serum", "quiero dos", {"quantity": 2}),
    ("glow-serum", "ich nehme drei Stück", {"quantity": 3}),
    ("glow-serum", "je prends deux", {"quantity": 2}),
    ("glow-serum", "quero 2 unidades", {"quantity": 2}),
    ("glow-serum", "sold", {"quantity": 1}),
    (None, "sold 101 M red x2", {"quantity": 2, "sku": "CT-101-M-RED"}),
    (None, "sold 2 101 M red", {"quantity": 2, "sku": "CT-101-M-RED"}),
    ("glow-serum", "sold 999", {"quantity": 1}),
    ("glow-serum", "sold x50", {"quantity": 10}),
]

SIZES_AND_COLOURS: list[Case] = [
    ("cozy-hoodie", f"sold {size} black", {"sku": f"CH-102-{code}-BLA"})
    for size, code in [
        ("s", "S"), ("sm", "S"), ("small", "S"), ("m", "M"), ("med", "M"), ("medium", "M"),
        ("l", "L"), ("lg", "L"), ("large", "L"), ("xl", "XL"), ("extra large", "XL"),
        ("x-large", "XL"), ("xxl", "XXL"), ("2xl", "XXL"), ("chica", "S"), ("grande", "L"),
        ("P", "S"), ("G", "L"), ("GG", "XL"), ("petit", "S"), ("klein", "S"), ("groß", "L"),
    ]
] + [
    ("cozy-hoodie", f"sold M {colour}", {"sku": f"CH-102-M-{code}"})
    for colour, code in [
        ("grey", "GRE"), ("gray", "GRE"), ("GRIS", "GRE"), ("grau", "GRE"), ("cinza", "GRE"),
        ("black", "BLA"), ("blk", "BLA"), ("negro", "BLA"), ("preto", "BLA"), ("noir", "BLA"),
        ("schwarz", "BLA"), ("forest green", "FOR"), ("green", "FOR"), ("verde", "FOR"),
        ("forest", "FOR"), ("dark green", "FOR"),
    ]
]  # fmt: skip

REFERENCES: list[Case] = [
    (None, "sold 101 L red", {"product": "classic-tee", "sku": "CT-101-L-RED"}),
    (None, "sold #101 L red", {"product": "classic-tee", "sku": "CT-101-L-RED"}),
    (None, "sold a7 camel", {"product": "wool-scarf", "sku": "WS-A7-CAM"}),
    (None, "!buy CH-102-XL-GRE", {"product": "cozy-hoodie", "sku": "CH-102-XL-GRE"}),
    (None, "!buy cozy-hoodie XL grey", {"product": "cozy-hoodie", "sku": "CH-102-XL-GRE"}),
    (None, "I want the classic tee M white", {"product": "classic-tee", "sku": "CT-101-M-WHI"}),
    (None, "sold burgundy", {"product": "wool-scarf", "sku": "WS-A7-BUR"}),
    (None, "sold plum XS", {"product": "yoga-leggings", "sku": "YL-104-XS-PLU"}),
    (None, "I'll take the hoddie M black", {"product": "cozy-hoodie", "sku": "CH-102-M-BLA"}),
    (None, "can i get the scraf in burgandy", {"sku": "WS-A7-BUR"}),
    (None, "I want the tee in blue L", {"sku": "CT-101-L-NAV"}),
    ("classic-tee", "@shopbot sold M navy", {"sku": "CT-101-M-NAV"}),
    ("classic-tee", "\x01ACTION sold S red\x01", {"sku": "CT-101-S-RED"}),
    ("classic-tee", "/me sold S red", {"sku": "CT-101-S-RED"}),
    ("classic-tee", "🔥 SOLD XL WHITE 🔥", {"sku": "CT-101-XL-WHI"}),
    ("classic-tee", "L-navy", {"sku": "CT-101-L-NAV"}),
]

AMBIGUITY: list[Case] = [
    (None, "sold black", {
        "intent": "buy", "product": None,
        "candidates": ["cozy-hoodie", "canvas-tote", "running-cap", "yoga-leggings"],
    }),
    (None, "sold", {"intent": "buy", "product": None, "candidates": []}),
    ("classic-tee", "sold XXL red", {"product": "classic-tee", "missing": ["Size"]}),
    ("classic-tee", "sold M", {"missing": ["Color"], "sku": None, "options": {"Size": "M"}}),
    ("classic-tee", "sold", {"missing": ["Size", "Color"]}),
    ("classic-tee", "sold M red white", {"missing": ["Color"]}),
    (None, "sold 102 L", {"product": "cozy-hoodie", "missing": ["Color"]}),
    (None, "!buy denim jacket", {"missing": ["Size", "Wash"]}),
    (None, "sold 101 and 102", {"product": None, "candidates": ["classic-tee", "cozy-hoodie"]}),
]  # fmt: skip

INTENTS: list[Case] = [
    (
        "classic-tee",
        "!price",
        {"intent": "question", "question": "price", "product": "classic-tee"},
    ),
    (None, "!stock 102", {"question": "stock", "product": "cozy-hoodie"}),
    (None, "!sizes denim jacket", {"question": "options", "product": "denim-jacket"}),
    (None, "!link", {"question": "link", "product": None}),
    (None, "!ship", {"question": "shipping"}),
    (None, "!cart", {"intent": "cart"}),
    (None, "!cancel a7", {"intent": "cancel", "product": "wool-scarf"}),
    (None, "!help", {"intent": "help"}),
    (None, "!waitlist beanie grey", {"intent": "waitlist", "sku": "KB-A8-GRE"}),
    (None, "!uptime", {"intent": "none"}),
    (None, "!", {"intent": "none"}),
    ("classic-tee", "SOLD OUT already?", {"intent": "question", "question": "stock"}),
    ("classic-tee", "is XL still available?", {"question": "stock", "options": {"Size": "XL"}}),
    (None, "how much is the hoodie?", {"question": "price", "product": "cozy-hoodie"}),
    (None, "what colours does the scarf come in", {"question": "options"}),
    ("classic-tee", "do you ship to Canada", {"question": "shipping", "product": "classic-tee"}),
    (None, "is the scarf real wool?", {"question": "other", "product": "wool-scarf"}),
    (None, "what's in my cart?", {"intent": "cart"}),
    (None, "cancel my hoodie", {"intent": "cancel", "product": "cozy-hoodie"}),
    (None, "how do I buy?", {"intent": "help"}),
    ("beanie", "notify me when navy is back", {"intent": "waitlist", "sku": "KB-A8-NAV"}),
    (None, "I sold my car lol", {"intent": "none"}),
    (None, "that hoodie looks so good", {"intent": "none"}),
    ("classic-tee", "mine is the same colour", {"intent": "none"}),
    ("classic-tee", "I want to see the navy one", {"intent": "none"}),
    ("classic-tee", "I don't want the hoodie", {"intent": "none"}),
    ("classic-tee", "just got my order from last week!", {"intent": "none"}),
    ("classic-tee", "thanks for the link", {"intent": "none"}),
    ("classic-tee", "shipping was super fast last time", {"intent": "none"}),
]

LANGUAGES: list[Case] = [
    ("classic-tee", "sold M red", {"language": "en"}),
    ("classic-tee", "quiero M roja", {"language": "es", "sku": "CT-101-M-RED"}),
    ("classic-tee", "eu quero M vermelha", {"language": "pt", "sku": "CT-101-M-RED"}),
    ("classic-tee", "je prends le M rouge", {"language": "fr", "sku": "CT-101-M-RED"}),
    ("classic-tee", "ich nehme M rot", {"language": "de", "sku": "CT-101-M-RED"}),
    ("classic-tee", "¿cuánto cuesta?", {"language": "es", "question": "price"}),
    ("classic-tee", "combien ça coûte ?", {"language": "fr", "question": "price"}),
    ("classic-tee", "M red", {"language": "en", "intent": "buy"}),
    ("classic-tee", "M rojo", {"language": "es", "intent": "buy"}),
    ("classic-tee", "M", {"language": None, "intent": "buy"}),
    ("classic-tee", "101 L", {"language": None, "intent": "buy"}),
    (None, "!comprar 101 M rojo", {"language": "es", "sku": "CT-101-M-RED"}),
]


@pytest.mark.parametrize(
    ("featured", "text", "expected"),
    QUANTITIES + SIZES_AND_COLOURS + REFERENCES + AMBIGUITY + INTENTS + LANGUAGES,
)
def test_parse_table(
    context_for: Callable[..., ParseContext],
    featured: str | None,
    text: str,
    expected: dict[str, Any],
) -> None:
    _check(context_for(featured), text, expected)


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("!feature 101", "feature", ("101",)),
        ("!feature A7", "feature", ("a7",)),
        ("!next", "next", ()),
        ("!pause", "pause", ()),
        ("!resume", "resume", ()),
        ("!drop 101 20", "drop", ("101", "20")),
        ("!drop 102 10 2", "drop", ("102", "10", "2")),
        ("!close", "close", ()),
        ("@mod !next", "next", ()),
    ],
)
def test_mod_commands(
    context_for: Callable[..., ParseContext], text: str, name: str, args: tuple[str, ...]
) -> None:
    assert parse(text, context_for()) == ModCommand(name=name, args=args)


def test_mod_command_words_without_prefix_are_chatter(
    context_for: Callable[..., ParseContext],
) -> None:
    assert isinstance(parse("next please", context_for()), NoIntent)


def test_custom_prefixes(context_for: Callable[..., ParseContext]) -> None:
    context = context_for("classic-tee", prefixes=("#", "?"))
    assert parse("#buy M red", context).intent == "buy"
    assert parse("?price", context) == Question(
        kind=QuestionKind.PRICE, product="classic-tee", confidence=0.902, language="en"
    )
    assert parse("!buy M red", context).intent == "buy"  # "buy" still leads: a claim word


def test_confidence_orders_certainty_and_asks_below_threshold(
    context_for: Callable[..., ParseContext],
) -> None:
    context = context_for("classic-tee")
    exact = parse("sold 101 M red", context)
    featured = parse("sold M red", context)
    bare = parse("M red", context)
    ambiguous = parse("sold black", context_for())
    assert isinstance(exact, Buy) and isinstance(featured, Buy) and isinstance(bare, Buy)
    assert isinstance(ambiguous, Buy)
    assert exact.confidence > featured.confidence > bare.confidence > ambiguous.confidence
    over_cap = parse("sold 101 x50 M red", context)  # quantity clamped to the cap
    assert isinstance(over_cap, Buy) and over_cap.confidence < bare.confidence


@pytest.mark.parametrize(
    ("confidence", "candidates", "threshold", "asks"),
    [
        (0.3, ("cozy-hoodie", "canvas-tote"), 0.6, True),  # a weak guess with a choice to offer
        (0.3, (), 0.6, False),  # weak, but nothing to offer: act rather than fall silent
        (0.9, ("cozy-hoodie", "canvas-tote"), 0.6, False),  # sure enough: act
        (0.9, (), 0.6, False),
        (0.6, ("cozy-hoodie",), 0.6, False),  # the threshold itself is sure enough
        (0.59, ("cozy-hoodie",), 0.6, True),
        (0.7, ("cozy-hoodie",), 0.8, True),  # a stricter threshold asks more
        (0.7, (), 0.8, False),
    ],
)
def test_should_ask_only_a_weak_guess_with_candidates(
    confidence: float, candidates: tuple[str, ...], threshold: float, asks: bool
) -> None:
    intent = Buy(
        product="classic-tee",
        variant_id="44000000004",
        candidates=candidates,
        confidence=confidence,
    )
    assert should_ask(intent, ParserConfig(ask_below_confidence=threshold)) is asks


@pytest.mark.parametrize(
    ("text", "featured", "threshold", "asks"),
    [
        ("sold 101 M red", True, 0.6, False),  # exact
        ("sold black", False, 0.6, True),  # four products come in black: ask which
        ("sold black", False, 0.2, False),
        ("sold 101 x50 M red", True, 0.6, False),  # unsure of the quantity, nothing to choose
        ("M red", True, 0.8, False),  # the featured product: no other candidate
    ],
)
def test_should_ask_on_parsed_messages(
    context_for: Callable[..., ParseContext],
    text: str,
    featured: bool,
    threshold: float,
    asks: bool,
) -> None:
    intent = parse(text, context_for("classic-tee") if featured else context_for())
    assert should_ask(intent, ParserConfig(ask_below_confidence=threshold)) is asks


def test_fuzzy_matching_can_be_turned_off(context_for: Callable[..., ParseContext]) -> None:
    text = "I'll take the hoddie M black"
    assert intent_record(parse(text, context_for(fuzzy=False)))["intent"] == "none"
    assert intent_record(parse(text, context_for()))["sku"] == "CH-102-M-BLA"
