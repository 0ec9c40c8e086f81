"""Format money for viewers: Decimal amounts with their currency, per locale."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
    "MXN": "MX$",
    "CHF": "CHF",
    "INR": "₹",
}
_NO_DECIMALS = frozenset({"JPY", "KRW", "CLP", "ISK", "VND"})
# locale -> (decimal mark, group mark, symbol first)
_STYLE: dict[str, tuple[str, str, bool]] = {
    "en": (".", ",", True),
    "es": (",", ".", False),
    "pt": (",", ".", False),
    "fr": (",", " ", False),
    "de": (",", ".", False),
}
_SYMBOL_FIRST = {("pt", "BRL"), ("es", "MXN"), ("de", "CHF"), ("fr", "CHF")}


def _group(digits: str, mark: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return mark.join(out)


def format_price(amount: Decimal, currency: str, locale: str = "en") -> str:
    """Render ``amount`` in ``currency`` the way ``locale`` writes prices.

    ``format_price(Decimal("24"), "USD")`` is ``$24.00``; in ``de`` with EUR it is
    ``24,00 €``. Unknown locales use English conventions; unknown currencies show their code.

    Args:
        amount: The amount (rounded half up to the currency's minor unit).
        currency: ISO 4217 code.
        locale: Language code (``en``, ``es``, ``pt-BR``...).

    Returns:
        The formatted price.

    Raises:
        ValueError: If ``amount`` is not a finite number.
    """
    try:
        if not amount.is_finite():
            raise ValueError(f"not a price: {amount!r}")
    except (AttributeError, InvalidOperation) as exc:
        raise ValueError(f"not a price: {amount!r}") from exc
    code = currency.upper()
    lang = locale.replace("_", "-").split("-", 1)[0].lower()
    lang = lang if lang in _STYLE else "en"
    decimal_mark, group_mark, symbol_first = _STYLE[lang]
    if (lang, code) in _SYMBOL_FIRST:
        symbol_first = True
    places = 0 if code in _NO_DECIMALS else 2
    quantum = Decimal(1).scaleb(-places)
    value = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):f}".partition(".")
    number = _group(whole, group_mark) + (decimal_mark + frac if places else "")
    symbol = _SYMBOLS.get(code, code)
    if symbol_first:
        glue = "" if lang == "en" and symbol != code else " "
        return f"{sign}{symbol}{glue}{number}"
    return f"{sign}{number} {symbol}"
