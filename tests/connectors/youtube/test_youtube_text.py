"""Table tests of fitting replies into YouTube's 200-character, thread-less chat."""

from __future__ import annotations

import pytest

from connectors.text import LengthRule, TextTooLong, split_text
from connectors.youtube.text import YOUTUBE_TEXT, address, clean, fit_message

LINK = "https://shop.example.com/cart/44012345678901:1?ref=yt-LCC.abc"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  hi\n there\t ", "hi there"),
        ("/me waves", "waves"),
        ("/ME  waves", "waves"),
        ("/meow", "/meow"),
    ],
)
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


@pytest.mark.parametrize(
    ("text", "mention", "expected"),
    [
        ("your link", "Cleo", "@Cleo your link"),
        ("your link", "@Cleo", "@Cleo your link"),
        ("Cleo: the tee is $24.00", "Cleo", "Cleo: the tee is $24.00"),
        ("@Cleo done", "Cleo", "@Cleo done"),
        ("done", None, "done"),
        ("done", "  ", "done"),
    ],
)
def test_address(text: str, mention: str | None, expected: str) -> None:
    assert address(text, mention) == expected


def test_short_text_is_one_message() -> None:
    assert fit_message("Held for 10 min: " + LINK, mention="Ana") == [
        f"@Ana Held for 10 min: {LINK}"
    ]


def test_exactly_200_fits() -> None:
    text = "x" * 200
    assert fit_message(text) == [text]


def test_compact_form_is_preferred_to_splitting() -> None:
    long = "Great choice! " * 20 + LINK
    assert fit_message(long, mention="Ana", short=f"Held: {LINK}") == [f"@Ana Held: {LINK}"]


def test_split_at_words_and_never_inside_a_link() -> None:
    words = "word " * 45  # 225 characters of words
    parts = fit_message(words + LINK, mention="Bo")
    assert all(len(p) <= 200 for p in parts)
    assert parts[0].startswith("@Bo ")
    assert LINK in parts[-1].split(" ")
    assert " ".join(parts) == f"@Bo {words}{LINK}"


def test_too_many_parts_or_giant_link_cannot_be_sent() -> None:
    assert fit_message("word " * 200, max_parts=3) == []
    giant = "https://example.com/" + "a" * 300
    assert fit_message(f"buy {giant}") == []
    with pytest.raises(TextTooLong):
        split_text(giant, YOUTUBE_TEXT)


def test_long_plain_word_is_cut() -> None:
    assert fit_message("a" * 450) == ["a" * 200, "a" * 200, "a" * 50]


def test_emoji_count_twice_toward_200() -> None:
    # YouTube's count is not published: UTF-16 units, so an astral emoji counts 2
    text = "\U0001f525" * 150  # 150 code points, 300 units
    parts = fit_message(text)
    assert parts == ["\U0001f525" * 100, "\U0001f525" * 50]
    assert fit_message(text, rule=LengthRule(150)) == [text]


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_is_not_sent(text: str) -> None:
    assert fit_message(text) == []
