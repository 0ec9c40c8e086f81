"""The one reply splitter: tables per platform rule, and properties on any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.facebook.connector import FACEBOOK_LIMITS
from connectors.text import (
    LengthRule,
    LengthUnit,
    TextTooLong,
    graphemes,
    is_mention,
    is_url,
    normalise_spaces,
    split_text,
    truncate,
)
from connectors.twitch.sendlimits import TWITCH_LIMITS
from connectors.youtube.connector import YOUTUBE_LIMITS
from connectors.youtube.text import YOUTUBE_TEXT
from tests.fuzz import examples

URL = "https://shop.example/cart/4455:1?ref=live-abc123"  # 47 characters
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # ZWJ sequence, 7 cp
FLAG = "\U0001f1eb\U0001f1f7"  # regional-indicator pair (France), 2 code points
E_ACUTE = "e\u0301"  # e + combining acute accent
THUMB = "\U0001f44d\U0001f3fd"  # thumbs up + skin-tone modifier


def cp(n: int) -> LengthRule:
    return LengthRule(n, LengthUnit.CODE_POINTS)


@pytest.mark.parametrize(
    ("rule", "max_length", "unit"),
    [
        (TWITCH_LIMITS.length_rule, 500, LengthUnit.CODE_POINTS),
        (YOUTUBE_LIMITS.length_rule, 200, LengthUnit.UTF16),
        (YOUTUBE_TEXT, 200, LengthUnit.UTF16),
        (FACEBOOK_LIMITS.length_rule, 2000, LengthUnit.UTF16),
    ],
    ids=["twitch", "youtube", "youtube-fit", "facebook"],
)
def test_each_platform_declares_its_rule(rule: LengthRule, max_length: int, unit: str) -> None:
    assert (rule.max_length, rule.unit) == (max_length, unit)


@pytest.mark.parametrize(
    ("text", "unit", "length"),
    [
        ("abc", LengthUnit.CODE_POINTS, 3),
        ("abc", LengthUnit.UTF16, 3),
        ("abc", LengthUnit.UTF8, 3),
        (FAMILY, LengthUnit.CODE_POINTS, 7),
        (FAMILY, LengthUnit.UTF16, 11),  # four astral emoji (2 each) and three ZWJ
        (FAMILY, LengthUnit.UTF8, 25),
        ("é", LengthUnit.UTF8, 2),
    ],
)
def test_measure(text: str, unit: LengthUnit, length: int) -> None:
    assert LengthRule(100, unit).measure(text) == length


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("hello world", 20, ["hello world"]),
        ("hello   big\nworld", 11, ["hello big", "world"]),
        ("line\r\nbreak\x00nul", 20, ["line break nul"]),  # IRC cannot carry CR, LF or NUL
        ("aaaa bbbb cccc", 9, ["aaaa bbbb", "cccc"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),  # a plain long word is cut
        ("word " * 3, 5, ["word", "word", "word"]),
        (f"buy now {URL} thanks", 50, ["buy now", URL, "thanks"]),
        ("hi @VeryLongViewerName123 ok", 24, ["hi", "@VeryLongViewerName123", "ok"]),
        (f"{E_ACUTE * 5}", 4, [E_ACUTE * 2, E_ACUTE * 2, E_ACUTE]),
        (f"{FAMILY}{FAMILY}", 10, [FAMILY, FAMILY]),
        (f"{FLAG * 3}", 4, [FLAG * 2, FLAG]),
        (f"ok {THUMB}{THUMB}{THUMB}", 5, ["ok", THUMB * 2, THUMB]),
        # found by the hunt: a word that starts with a mark (U+0DCF) after a line break
        ("x\n\u0dcf", 5, ["x \u0dcf"]),
        ("xxxx\n\u0dcf", 5, ["xxxx", "\u0dcf"]),
        ("   ", 10, []),
        ("", 10, []),
    ],
)
def test_split_text(text: str, limit: int, expected: list[str]) -> None:
    assert split_text(text, cp(limit)) == expected


def test_split_counts_in_the_rule_unit() -> None:
    # 120 astral emoji: 120 code points (one Twitch message), 240 UTF-16 units (two on YouTube)
    text = " ".join(["\U0001f525"] * 120)  # 239 code points, 359 UTF-16 units
    assert len(split_text(text, LengthRule(500, LengthUnit.CODE_POINTS))) == 1
    parts = split_text(text, LengthRule(200, LengthUnit.UTF16))
    assert [YOUTUBE_TEXT.measure(p) for p in parts] == [200, 158]


@pytest.mark.parametrize(
    ("text", "limit", "kind"),
    [
        (f"see {URL}", 40, "link"),  # a link longer than the limit is never cut: no pieces
        ("hi @" + "n" * 30, 20, "mention"),
        ("a\u0301\u0301\u0301\u0301\u0301 x", 4, "grapheme cluster"),
    ],
)
def test_what_cannot_be_split(text: str, limit: int, kind: str) -> None:
    with pytest.raises(TextTooLong) as raised:
        split_text(text, cp(limit))
    assert raised.value.kind == kind


def test_split_rejects_bad_limit() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_text("x", cp(0))


@pytest.mark.parametrize(
    ("word", "url"),
    [
        (URL, True),
        ("http://x.io", True),
        ("www.example.com/x", True),
        ("shp.st/a1B2", True),
        ("(https://x.io/a).", True),
        ("Link:https://x.io/a", True),
        ("hoodie", False),
        ("3.50", False),
        ("M/L", False),
        ("e.g.", False),
    ],
)
def test_is_url(word: str, url: bool) -> None:
    assert is_url(word) is url


@pytest.mark.parametrize(
    ("word", "mention"),
    [("@ana", True), ("(@ana)", True), ("@", False), ("a@b", False), ("@@", False)],
)
def test_is_mention(word: str, mention: bool) -> None:
    assert is_mention(word) is mention


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 20, "short"),
        (f"see {URL}", 20, "see…"),  # the link goes whole
        (URL, 20, ""),
        ("@SomeoneLong hi there", 8, ""),
        ("abcdefghijkl", 5, "abcd…"),
        (E_ACUTE * 6, 7, E_ACUTE * 3 + "…"),  # 2 code points each, 1 for the ellipsis
        ("abc", 1, ""),
    ],
)
def test_truncate(text: str, limit: int, expected: str) -> None:
    assert truncate(text, cp(limit)) == expected


# --- properties ------------------------------------------------------------------------

URLS = st.sampled_from([URL, "https://shp.st/a1B2", "www.example.com/x?y=1", "shp.st/Z"])
MENTIONS = st.from_regex(r"@[A-Za-z0-9_]{1,25}", fullmatch=True)
CLUSTERS = st.sampled_from([FAMILY, FLAG, E_ACUTE, THUMB, "\u0915\u094d\u0937", "ä", "x"])
PLAIN = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Zs", "Zl", "Zp", "Cc"]), min_size=1
)
SPACES = st.sampled_from([" ", "  ", "\n", "\t", " \r\n "])
ATOMS = st.one_of(URLS, MENTIONS, PLAIN, st.lists(CLUSTERS, min_size=1).map("".join))
UNITS = st.sampled_from(list(LengthUnit))


@st.composite
def texts(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A text made of words joined by whitespace, and the links and mentions in it."""
    atoms = draw(st.lists(ATOMS, max_size=30))
    text = ""
    for atom in atoms:
        text += draw(SPACES) + atom if text else atom
    keep = [a for a in atoms if is_url(a) or is_mention(a)]
    return text, keep


def _clusters(text: str) -> list[str]:
    """The grapheme clusters of ``text`` but for whitespace: a word that starts with a mark
    (``\\nා``) joins the space put before it into one cluster, with the same visible text."""
    return [g.strip() for g in graphemes(text) if g.strip() and g != "\x00"]


@settings(max_examples=examples(300))
@given(texts(), st.integers(min_value=50, max_value=500), UNITS)
def test_split_fits_keeps_everything_and_cuts_no_link_mention_or_cluster(
    case: tuple[str, list[str]], limit: int, unit: LengthUnit
) -> None:
    text, atomic = case
    rule = LengthRule(limit, unit)
    try:
        parts = split_text(text, rule)
    except TextTooLong as exc:  # only what no split can fit: one word or cluster over the limit
        assert rule.measure(exc.token) > limit
        assert exc.kind != "grapheme cluster" or graphemes(exc.token) == [exc.token]
        assert exc.kind == "grapheme cluster" or exc.token in normalise_spaces(text).split(" ")
        return
    assert all(rule.fits(p) and p for p in parts)
    # joined, the pieces give the text back but for the separators...
    assert "".join(parts).replace(" ", "") == normalise_spaces(text).replace(" ", "")
    # ... cut only between grapheme clusters of the original ...
    assert [g for p in parts for g in _clusters(p)] == _clusters(text)
    # ... and every link and mention sits whole inside one piece
    for word in atomic:
        assert any(word in p for p in parts)


@settings(max_examples=examples(200))
@given(
    st.lists(st.lists(CLUSTERS, min_size=1, max_size=40).map("".join), min_size=1, max_size=5),
    st.integers(min_value=25, max_value=80),  # the longest cluster here is 25 UTF-8 bytes
    UNITS,
)
def test_long_words_are_cut_only_between_clusters(
    word_list: list[str], limit: int, unit: LengthUnit
) -> None:
    rule = LengthRule(limit, unit)
    text = " ".join(word_list)
    parts = split_text(text, rule)
    assert all(rule.fits(p) and p for p in parts)
    assert [g for p in parts for g in graphemes(p) if g != " "] == _clusters(text)


@settings(max_examples=examples(200))
@given(texts(), st.integers(min_value=2, max_value=300), UNITS)
def test_truncate_fits_and_is_a_prefix(
    case: tuple[str, list[str]], limit: int, unit: LengthUnit
) -> None:
    text, _ = case
    rule = LengthRule(limit, unit)
    out = truncate(text, rule)
    assert rule.fits(out)
    flat = normalise_spaces(text)
    if out in (flat, ""):
        return
    body = out.removesuffix("…")
    assert out.endswith("…") and flat.startswith(body)
    assert _clusters(flat)[: len(_clusters(body))] == _clusters(body)  # cut between clusters
