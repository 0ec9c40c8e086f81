"""Table tests of fitting replies into YouTube's 200-character, thread-less chat."""

from __future__ import annotations

import pytest

from connectors.youtube.text import address, clean, fit_message, is_url, split_words

LINK = "https://shop.example.com/cart/44012345678901:1?ref=yt-LCC.abc"


@pytest.mark.parametrize(
    ("token", "url"),
    [
        (LINK, True),
        ("http://x.io", True),
        ("www.example.com/x", True),
        ("shp.st/a1B2", True),
        ("hoodie", False),
        ("3.50", False),
        ("M/L", False),
    ],
)
def test_is_url(token: str, url: bool) -> None:
    assert is_url(token) is url


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
    assert split_words(giant, 200) is None


def test_long_plain_word_is_cut() -> None:
    assert split_words("a" * 450, 200) == ["a" * 200, "a" * 200, "a" * 50]


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_is_not_sent(text: str) -> None:
    assert fit_message(text) == []
