"""Property tests: parse is total, reads a bounded prefix, and the pre-filter changes nothing.

How long a message takes is measured by ``python -m bench.parse_bench`` (its worst-case line),
not asserted here: a time limit in a test fails on a busy machine, not on a slow parser.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chat_commands.intents import NoIntent
from chat_commands.parse import ParseContext, parse
from chat_commands.record import intent_record
from tests.chat_commands.corpus_eval import corpus_rows
from tests.fuzz import examples

INTENTS = {"buy", "question", "cart", "cancel", "help", "waitlist", "mod", "none"}

WORDS = [
    "sold", "mine", "i'll", "take", "the", "hoodie", "tee", "scarf", "101", "A7", "x2", "2x",
    "M", "XL", "black", "grey", "navy", "how", "much", "is", "?", "!buy", "cancel", "my", "cart",
    "quiero", "talla", "je", "prends", "ich", "nehme", "eu", "quero", "link", "price", "stock",
    "+1", "qty", "3", "two", "pcs", "😍", "@bob", "/me", "not", "don't", "want", "to", "see",
    "hoddie", "CT-101-M-RED", "waitlist", "help", "out", "ship", "lol", "small", "extra", "large",
]  # fmt: skip


@pytest.fixture(scope="module")
def featured_context(context_for: Callable[..., ParseContext]) -> ParseContext:
    context = context_for("classic-tee")
    parse("warm up the lexicon cache", context)
    return context


@settings(max_examples=examples(300))
@given(text=st.text(max_size=2000))
def test_parse_never_raises_on_any_unicode(featured_context: ParseContext, text: str) -> None:
    intent = parse(text, featured_context)
    assert intent_record(intent)["intent"] in INTENTS
    # parse() turns an internal exception into this reason so a show survives it; here it is a bug
    assert getattr(intent, "reason", None) != "parser error"


@settings(max_examples=examples(300))
@given(words=st.lists(st.sampled_from(WORDS), max_size=30))
def test_parse_reads_only_a_bounded_prefix_of_word_soup(
    featured_context: ParseContext, words: list[str]
) -> None:
    """The parser's work is bounded by construction: it reads at most ``max_message_chars``."""
    text = " ".join(words)
    limit = featured_context.config.max_message_chars
    padded = text + " " + " ".join(words * 40)  # far past the limit
    intent = parse(padded, featured_context)
    assert getattr(intent, "reason", None) != "parser error"
    assert intent_record(intent) == intent_record(parse(padded[:limit], featured_context))


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "sold " * 2000,
        "a" * 10_000,
        "\x00\x01\x02\x1b[31m sold \x7f",
        "\u202e\u200f sold 101 L \u202c",
        "👩\u200d👩\u200d👧\u200d👦" * 50,
        "😍😍😍🔥🔥",
        "\ud800",
        "!",
        "!!!!!",
        "\x01ACTION\x01",
        "@",
        "+" * 500,
        "x" * 3 + "9" * 400,
        "١٠١ L",
        "ｓｏｌｄ　１０１　Ｌ",
    ],
)
def test_bad_input_yields_an_intent(featured_context: ParseContext, text: str) -> None:
    intent = parse(text, featured_context)
    assert intent.intent in {"buy", "none", "question"}
    assert getattr(intent, "reason", None) != "parser error"


def test_non_text_input_is_no_intent(featured_context: ParseContext) -> None:
    assert isinstance(parse(None, featured_context), NoIntent)  # type: ignore[arg-type]


@settings(max_examples=examples(300))
@given(words=st.lists(st.sampled_from(WORDS), max_size=12), featured=st.booleans())
def test_prefilter_only_drops_chatter(
    context_for: Callable[..., ParseContext], words: list[str], featured: bool
) -> None:
    handle = "cozy-hoodie" if featured else None
    text = " ".join(words)
    fast = parse(text, context_for(handle))
    full = parse(text, context_for(handle, prefilter=False))
    assert intent_record(fast) == intent_record(full)


def test_prefilter_only_drops_chatter_on_the_corpus(
    context_for: Callable[..., ParseContext],
) -> None:
    for row in corpus_rows():
        fast = parse(row["text"], context_for(row["featured"]))
        full = parse(row["text"], context_for(row["featured"], prefilter=False))
        assert intent_record(fast) == intent_record(full), row["text"]


# The example Hypothesis found (issue 21) and the shapes around it. The prefilter used to drop
# any message of more than 8 words before asking whether it was a terse claim, while the full
# parse has no such limit. The full parse is right: a message made only of command words and a
# catalog code is a claim however it is padded ("the the … CT-101-M-RED" is a buyer repeating a
# code; "101 L black 102 M navy 103 S red" is a multi-item claim the bot asks about), and the
# corpus shows SKU mentions inside real chatter ("loved my CT-101-M-RED from last week") carry a
# word that is not a command word, which both rules call chatter. (intent, product, sku, qty)
PREFILTER_TABLE = [
    ("the " * 7 + "CT-101-M-RED CT-101-M-RED", ("buy", "classic-tee", "CT-101-M-RED", 1)),
    ("the " * 12 + "CT-101-M-RED", ("buy", "classic-tee", "CT-101-M-RED", 1)),
    ("CT-101-M-RED " * 3, ("buy", "classic-tee", "CT-101-M-RED", 1)),
    ("101 " * 10, ("buy", "classic-tee", None, 1)),
    ("101 L black 102 M navy 103 S red", ("buy", None, None, 1)),
    ("101-M-RED", ("buy", "classic-tee", "CT-101-M-RED", 1)),  # a code split at its hyphens
    ("CT 101 M RED", ("none", None, None, None)),  # "ct" alone is not a command word
    ("loved my CT-101-M-RED from last week", ("none", None, None, None)),
    ("the CT-101-M-RED is so cute", ("none", None, None, None)),
    ("is CT-101-M-RED in stock", ("question", "classic-tee", "CT-101-M-RED", None)),
]


@pytest.mark.parametrize(("text", "expected"), PREFILTER_TABLE)
@pytest.mark.parametrize("featured", [None, "cozy-hoodie"])
def test_prefilter_and_full_parse_agree_on_codes_in_filler(
    context_for: Callable[..., ParseContext],
    text: str,
    expected: tuple[str, str | None, str | None, int | None],
    featured: str | None,
) -> None:
    fast = intent_record(parse(text, context_for(featured)))
    full = intent_record(parse(text, context_for(featured, prefilter=False)))
    assert fast == full
    assert (full["intent"], full["product"], full["sku"], full["quantity"]) == expected
