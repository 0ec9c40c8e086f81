"""Reply templates: every locale has every outcome, fallback, overrides, money formats."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shopstream.replies import LOCALES, TemplateError, Templates, format_price

OUTCOMES = [
    "held", "waitlisted", "sold_out", "capped", "missing_option", "ambiguous", "cart",
    "cancelled", "expired", "reminder", "waitlist_promoted", "price", "stock", "options",
    "link", "shipping", "faq", "help", "paused", "drop_open", "drop_closed", "featured",
    "not_allowed", "identity_needed",
]  # fmt: skip


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates.load()


def test_english_has_every_outcome(templates: Templates) -> None:
    assert set(OUTCOMES) <= templates.keys


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_renders_every_outcome(templates: Templates, locale: str) -> None:
    for key in OUTCOMES:
        out = templates.render(
            key, locale, product="Hoodie", variant="M", minutes=9, link="https://s.io/x",
            price="$1.00", answer="ok", candidates="A or B", cap=2, qty=20, code="101",
            position=3, option="size", options="S, M", stock_list="3 left", items="1x Hoodie",
            total="$1.00",
        )  # fmt: skip
        assert out
        assert "{" not in out


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Hoodie (M) is yours for 9 min: L"),
        ("es-MX", "Hoodie (M) es tuyo por 9 min: L"),
        ("pt_BR", "Hoodie (M) é seu por 9 min: L"),
        ("fr", "Hoodie (M) est à vous pendant 9 min : L"),
        ("DE", "Hoodie (M) ist 9 Min. für dich reserviert: L"),
        ("ja", "Hoodie (M) is yours for 9 min: L"),
        (None, "Hoodie (M) is yours for 9 min: L"),
    ],
)
def test_locale_choice_and_fallback(
    templates: Templates, locale: str | None, expected: str
) -> None:
    assert (
        templates.render("held", locale, product="Hoodie", variant="M", minutes=9, link="L")
        == expected
    )


def test_missing_translation_falls_back_to_english(templates: Templates) -> None:
    # "faq" is not translated in es.toml; English is used
    assert templates.render("faq", "es", answer="Sí") == "Sí"


def test_missing_variables_render_empty(templates: Templates) -> None:
    assert templates.render("price", "en", product="Tee") == "Tee:"


def test_merchant_override_replaces_one_key(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text('held = "YOURS: {product} {link}"\n', encoding="utf-8")
    (tmp_path / "es.toml").write_text('sold_out = "¡Se acabó {product}!"\n', encoding="utf-8")
    t = Templates.load(tmp_path)
    assert t.render("held", "en", product="Tee", link="L") == "YOURS: Tee L"
    assert t.render("sold_out", "es", product="Tee", variant="M") == "¡Se acabó Tee!"
    assert t.render("capped", "en", cap=1, product="Tee") == "Limit 1 per buyer for Tee."


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('held = "x {product.__class__}"\n', "plain name"),
        ('held = "x {secret}"\n', "unknown variable(s) secret"),
        ('hled = "typo"\n', "no such template key"),
        ("held = 3\n", "expected a string"),
        ('held = "unclosed\n', "line 1"),
    ],
)
def test_bad_override_is_rejected_with_file_and_key(
    tmp_path: Path, content: str, problem: str
) -> None:
    (tmp_path / "en.toml").write_text(content, encoding="utf-8")
    with pytest.raises(TemplateError) as err:
        Templates.load(tmp_path)
    assert problem in str(err.value)
    assert "en.toml" in str(err.value)


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("24", "USD", "en", "$24.00"),
        ("24", "EUR", "de", "24,00 €"),
        ("24", "EUR", "es", "24,00 €"),
        ("24", "EUR", "en", "€24.00"),
        ("1234.5", "EUR", "fr", "1 234,50 €"),
        ("1234567.891", "USD", "en", "$1,234,567.89"),
        ("0.005", "USD", "en", "$0.01"),
        ("99.9", "BRL", "pt-BR", "R$ 99,90"),
        ("1500", "JPY", "en", "¥1,500"),
        ("5", "XYZ", "es", "5,00 XYZ"),
        ("5", "XYZ", "en", "XYZ 5.00"),
        ("-3", "usd", "en", "-$3.00"),
        ("10", "GBP", "zz", "£10.00"),
    ],
)
def test_format_price(amount: str, currency: str, locale: str, expected: str) -> None:
    assert format_price(Decimal(amount), currency, locale) == expected


def test_format_price_rejects_non_numbers() -> None:
    with pytest.raises(ValueError):
        format_price(Decimal("NaN"), "USD")


def test_join_uses_the_locale_words(templates: Templates) -> None:
    assert templates.join(["A", "B", "C"], "es", last=True) == "A, B o C"
    assert templates.join(["A", "B"], "en") == "A, B"
