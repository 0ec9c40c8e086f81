"""Property tests: parse is total, bounded in time, and the chatter pre-filter changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_commands.intents import NoIntent
from chat_commands.parse import ParseContext, parse
from chat_commands.record import intent_record
from tests.chat_commands.corpus_eval import corpus_rows

# A per-message ceiling (CPU time of this process) about 100x the worst case seen (~0.6 ms),
# low enough to catch a pathological (super-linear) path, robust on a shared 2-core machine.
MAX_SECONDS_PER_MESSAGE = 0.05

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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=2000))
def test_parse_never_raises_on_any_unicode(featured_context: ParseContext, text: str) -> None:
    start = time.process_time()
    intent = parse(text, featured_context)
    elapsed = time.process_time() - start
    assert intent_record(intent)["intent"] in {
        "buy", "question", "cart", "cancel", "help", "waitlist", "mod", "none",
    }  # fmt: skip
    assert elapsed < MAX_SECONDS_PER_MESSAGE


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.lists(st.sampled_from(WORDS), max_size=30))
def test_parse_is_bounded_on_command_like_word_soup(
    featured_context: ParseContext, words: list[str]
) -> None:
    start = time.process_time()
    parse(" ".join(words), featured_context)
    assert time.process_time() - start < MAX_SECONDS_PER_MESSAGE


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
    start = time.process_time()
    intent = parse(text, featured_context)
    assert time.process_time() - start < MAX_SECONDS_PER_MESSAGE
    assert intent.intent in {"buy", "none", "question"}


def test_non_text_input_is_no_intent(featured_context: ParseContext) -> None:
    assert isinstance(parse(None, featured_context), NoIntent)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
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
