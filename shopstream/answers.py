"""Answers from live inventory: price, stock, options, link, shipping and FAQ, as reply text."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from shopstream.replies.templates import Templates
from shopstream.show.config import FaqConfig

DEFAULT_VARIANT = "Default Title"
MAX_LISTED = 8


class QuestionKind(StrEnum):
    """What a viewer asked about a product."""

    PRICE = "price"
    STOCK = "stock"
    OPTIONS = "options"
    LINK = "link"
    SHIPPING = "shipping"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantView:
    """One variant as answers need it: option values in the product's option order."""

    title: str
    options: tuple[str, ...] = ()
    price: Decimal
    available: int | None = None  # None: stock not tracked, always available

    @property
    def in_stock(self) -> bool:
        """Whether a viewer can claim this variant now."""
        return self.available is None or self.available > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductView:
    """A product as answers need it (built by the app from the live mirror)."""

    title: str
    handle: str
    currency: str
    options: tuple[str, ...] = ()  # option names, e.g. ("Size", "Color")
    variants: tuple[VariantView, ...] = ()
    code: str | None = None  # live code in the show's lineup


def variant_label(product: ProductView, variant: VariantView) -> str:
    """Return how viewers see a variant: its option values (``navy / XL``) or its title."""
    if variant.options:
        return " / ".join(variant.options)
    if variant.title and variant.title != DEFAULT_VARIANT:
        return variant.title
    return product.title


def product_url(store_url: str, handle: str) -> str:
    """Return the product page URL under ``store_url`` (``{store}/products/{handle}``)."""
    return f"{store_url.rstrip('/')}/products/{handle}"


def matching(product: ProductView, only: Sequence[str]) -> ProductView:
    """Return ``product`` keeping the variants that have every option value in ``only``.

    Values compare case-insensitively; with no match (or nothing asked) all variants stay.
    """
    wanted = {v.strip().casefold() for v in only if v.strip()}
    if not wanted:
        return product
    kept = tuple(v for v in product.variants if wanted <= {o.casefold() for o in v.options})
    return replace(product, variants=kept) if kept else product


def _price_text(product: ProductView, templates: Templates, locale: str | None) -> str:
    pool = [v for v in product.variants if v.in_stock] or list(product.variants)
    if not pool:
        return templates.render("options_none", locale, product=product.title)
    low = min(v.price for v in pool)
    high = max(v.price for v in pool)
    price = templates.price(low, product.currency, locale)
    if low == high:
        return templates.render("price", locale, product=product.title, price=price)
    price_max = templates.price(high, product.currency, locale)
    return templates.render(
        "price_range", locale, product=product.title, price=price, price_max=price_max
    )


def _one_variant_stock(product: ProductView, templates: Templates, locale: str | None) -> str:
    """Stock of a product sold in one variant: "Glow Serum: 20 left", not "... in Glow Serum"."""
    variant = product.variants[0]
    if variant.available is None:
        return templates.render("stock_one_available", locale, product=product.title)
    if variant.available > 0:
        return templates.render(
            "stock_one_left", locale, product=product.title, stock=variant.available
        )
    return templates.render("stock_one_sold_out", locale, product=product.title)


def _stock_text(product: ProductView, templates: Templates, locale: str | None) -> str:
    if len(product.variants) == 1 and not product.variants[0].options:
        return _one_variant_stock(product, templates, locale)
    parts = []
    for variant in product.variants[:MAX_LISTED]:
        label = variant_label(product, variant)
        if variant.available is None:
            parts.append(templates.render("stock_available", locale, variant=label))
        elif variant.available > 0:
            parts.append(
                templates.render("stock_left", locale, variant=label, stock=variant.available)
            )
        else:
            parts.append(templates.render("stock_sold_out", locale, variant=label))
    if not parts:
        return templates.render("options_none", locale, product=product.title)
    stock_list = templates.join(parts, locale)
    return templates.render("stock", locale, product=product.title, stock_list=stock_list)


def options_in_stock(product: ProductView) -> dict[str, list[str]]:
    """Return, per option name, the values that some in-stock variant has (in catalog order)."""
    out: dict[str, list[str]] = {name: [] for name in product.options}
    for variant in product.variants:
        if not variant.in_stock:
            continue
        for name, value in zip(product.options, variant.options, strict=False):
            if value not in out[name]:
                out[name].append(value)
    return out


def _options_text(product: ProductView, templates: Templates, locale: str | None) -> str:
    per_option = {k: v for k, v in options_in_stock(product).items() if v}
    if not per_option:
        return templates.render("options_none", locale, product=product.title)
    if len(per_option) == 1:
        options = templates.join(next(iter(per_option.values())), locale)
    else:
        options = "; ".join(
            f"{name} {templates.join(values, locale)}" for name, values in per_option.items()
        )
    return templates.render("options", locale, product=product.title, options=options)


def faq_answer(question: str, entries: Mapping[str, str]) -> str | None:
    """Return the merchant's answer whose keyword appears in ``question`` (longest keyword wins).

    Keywords match whole words, case-insensitively.
    """
    text = question.casefold()
    for keyword in sorted(entries, key=len, reverse=True):
        word = keyword.strip().casefold()
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text):
            return entries[keyword]
    return None


def answer(
    kind: QuestionKind,
    product: ProductView | None,
    *,
    templates: Templates,
    locale: str | None = None,
    store_url: str = "",
    faq: FaqConfig | None = None,
    question: str = "",
    only: Sequence[str] = (),
    not_offered: Sequence[str] = (),
) -> str:
    """Answer one viewer question from live inventory and the merchant's FAQ.

    Args:
        kind: What was asked.
        product: The product asked about (the featured one when the viewer named none);
            None for questions that need no product (shipping, other).
        templates: Reply templates.
        locale: The viewer's language, when the parser detected it.
        store_url: Store base URL for product links.
        faq: Merchant answers (shipping text, keyword -> answer).
        question: The viewer's words (for FAQ keyword matching).
        only: Option values the viewer named ("how many M left?"): answer for the
            variants that have them (all variants if none match).
        not_offered: Option words the viewer named that the product does not come in
            ("is L left?" of a one-size serum): the answer says so first.

    Returns:
        The reply text (without the viewer's mention; the outbox adds it).
    """
    faq = faq or FaqConfig()
    if kind is QuestionKind.SHIPPING:
        return faq.shipping or templates.render("shipping", locale)
    if kind is QuestionKind.OTHER or product is None:
        found = faq_answer(question, faq.entries)
        if found is None:
            return templates.render("faq_unknown", locale)
        return templates.render("faq", locale, answer=found)
    product = matching(product, only)
    if kind is QuestionKind.PRICE:
        text = _price_text(product, templates, locale)
    elif kind is QuestionKind.STOCK:
        text = _stock_text(product, templates, locale)
    elif kind is QuestionKind.OPTIONS:
        text = _options_text(product, templates, locale)
    else:
        link = product_url(store_url, product.handle)
        text = templates.render("link", locale, product=product.title, link=link)
    if not_offered and kind in (QuestionKind.STOCK, QuestionKind.OPTIONS):
        option = templates.join(list(not_offered), locale, last=True)
        lead = templates.render("not_offered", locale, product=product.title, option=option)
        return f"{lead} {text}"
    return text
