"""Ground a scanned message in the catalog: which product, which option values, how many."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain

from chat_commands.catalog import CatalogVariant
from chat_commands.index import CatalogIndex, ProductEntry
from chat_commands.lexicon import INTENT_CATEGORIES, Lexicon, Span

MAX_CANDIDATES = 10  # a reference fitting more products than this lists the first ten
_QTY_TOKEN_RE = re.compile(r"x(\d{1,3})|(\d{1,3})x")
_REF_SKIP = INTENT_CATEGORIES - {"claim"}
_VALUE_CATEGORIES = frozenset({"noun", "size", "color"})


@dataclass(slots=True)
class Refs:
    """Catalog references found in a message, by span position."""

    explicit: list[tuple[int, str]] = field(default_factory=list)  # code, handle, alias, SKU
    sku_variants: dict[str, CatalogVariant] = field(default_factory=dict)
    titles: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    values: list[tuple[int, tuple[str, ...], bool]] = field(
        default_factory=list
    )  # keys, is option word
    fuzzy: set[int] = field(default_factory=set)

    @property
    def named(self) -> bool:
        """Whether a product is named (code, SKU, handle, alias or title words)."""
        return bool(self.explicit or self.titles)

    def used(self) -> set[int]:
        """Span positions that are catalog references."""
        out = {i for i, _ in self.explicit}
        out.update(i for i, _ in self.titles)
        out.update(i for i, _, _ in self.values)
        return out


@dataclass(slots=True)
class Choice:
    """The product chosen for a message and how sure we are."""

    product: str | None = None
    candidates: tuple[str, ...] = ()
    source: str = ""  # explicit | title | value | featured | ""
    chosen: dict[int, str] = field(default_factory=dict)  # option position -> value
    variant: CatalogVariant | None = None
    missing: tuple[str, ...] = ()
    mismatch: bool = False  # a size/colour was given that the product does not have
    approximate: bool = False  # matched by colour family ("blue" -> Navy)
    unmatched: list[int] = field(default_factory=list)  # spans of option words it lacks


def _span_refs(index: CatalogIndex, span: Span, text: str, refs: Refs, i: int) -> bool:
    entry = span.entry
    if entry is None:
        if text not in index.ref_words:
            return False
    elif entry.categories & _REF_SKIP or (
        text not in index.ref_words and not entry.categories & _VALUE_CATEGORIES
    ):
        return False
    found = False
    if " " not in text:
        sku = index.skus.get(text)
        if sku is not None:
            refs.explicit.append((i, sku[0]))
            refs.sku_variants[sku[0]] = sku[1]
            return True
        handle = index.codes.get(text) or index.handles.get(text)
        if handle is not None:
            refs.explicit.append((i, handle))
            return True
    handles = index.words.get(text)
    if handles is None and entry is not None and "noun" in entry.categories:
        handles = index.words.get(span.value("noun") or "")
    if handles:
        refs.titles.append((i, handles))
        found = True
    size = span.value("size") if entry is not None else None
    color = span.value("color") if entry is not None else None
    keys = tuple(k for k in (size, color, text) if k and k in index.value_handles)
    if keys or size or color:
        refs.values.append((i, keys or tuple(k for k in (size, color) if k), bool(size or color)))
        found = True
    return found


def find_refs(index: CatalogIndex, spans: list[Span]) -> Refs:
    """Collect the catalog references of ``spans`` (exact matches only)."""
    refs = Refs()
    for i, span in enumerate(spans):
        _span_refs(index, span, span.text, refs, i)
    if index.aliases and not refs.explicit:
        _alias_refs(index, spans, refs)
    return refs


def _alias_refs(index: CatalogIndex, spans: list[Span], refs: Refs) -> None:
    flat = [(i, word) for i, span in enumerate(spans) for word in span.text.split()]
    words = [w for _, w in flat]
    for pos, (i, word) in enumerate(flat):
        if word not in index.alias_first:
            continue
        for alias, handle in index.aliases.items():
            if tuple(words[pos : pos + len(alias)]) == alias:
                refs.explicit.append((i, handle))
                covered = {flat[k][0] for k in range(pos, pos + len(alias))}
                refs.titles = [t for t in refs.titles if t[0] not in covered]
                refs.values = [v for v in refs.values if v[0] not in covered]
                refs.explicit.extend((j, handle) for j in covered if j != i)
                return


def add_fuzzy_refs(index: CatalogIndex, lexicon: Lexicon, spans: list[Span], refs: Refs) -> None:
    """Resolve unknown words within a small edit distance of a catalog word ('hoddie')."""
    used = refs.used()
    for i, span in enumerate(spans):
        if i in used or span.entry is not None or span.text.isdigit() or len(span.text) < 5:
            continue
        word = index.fuzzy_word(span.text)
        if word is None:
            continue
        target = lexicon.nouns.get(word, word)
        before = len(refs.titles) + len(refs.values)
        handles = index.words.get(target)
        if handles:
            refs.titles.append((i, handles))
        canon = lexicon.canonical(word)
        keys = tuple(k for k in (canon, word) if k in index.value_handles)
        if keys:
            refs.values.append((i, keys, True))
        if len(refs.titles) + len(refs.values) > before:
            refs.fuzzy.add(i)


def _matches(entry: ProductEntry, keys: tuple[str, ...]) -> bool:
    return any(k in entry.values or k in entry.partial or k in entry.families for k in keys)


def choose_product(index: CatalogIndex, refs: Refs, featured: str | None) -> Choice:
    """Pick the product a message means, or candidates when the reference is ambiguous."""
    if featured is not None and featured not in index.entries:
        featured = None
    explicit = tuple(dict.fromkeys(h for _, h in refs.explicit))
    if len(explicit) == 1:
        return Choice(product=explicit[0], source="explicit")
    if explicit:
        return Choice(candidates=explicit, source="explicit")
    value_keys = [keys for _, keys, _ in refs.values if keys]
    if refs.titles:
        if len(refs.titles) == 1:
            top = refs.titles[0][1]
        else:
            common = set(refs.titles[0][1]).intersection(*(h for _, h in refs.titles[1:]))
            if not common:  # no product has every word: keep those with the most
                score = Counter(chain.from_iterable(handles for _, handles in refs.titles))
                best = max(score.values())
                common = {h for h, s in score.items() if s == best}
            top = tuple(sorted(common, key=index.position.__getitem__))
        if len(top) == 1:
            return Choice(product=top[0], source="title")
        if featured in top:
            return Choice(product=featured, source="title")
        if value_keys:
            fitting = tuple(
                h for h in top if all(_matches(index.entries[h], keys) for keys in value_keys)
            )
            if len(fitting) == 1:
                return Choice(product=fitting[0], source="title")
        return Choice(candidates=top[:MAX_CANDIDATES], source="title")
    if value_keys and featured is None:
        fitting_set: set[str] | None = None
        for keys in value_keys:
            fit: set[str] = set()
            for key in keys:
                fit.update(index.value_handles.get(key, ()))
            fitting_set = fit if fitting_set is None else fitting_set & fit
        fitting = tuple(sorted(fitting_set or (), key=index.position.__getitem__))
        if len(fitting) == 1:
            return Choice(product=fitting[0], source="value")
        if fitting:
            return Choice(candidates=fitting[:MAX_CANDIDATES], source="value")
    if featured is not None:
        return Choice(product=featured, source="featured")
    return Choice()


def choose_variant(index: CatalogIndex, refs: Refs, choice: Choice) -> set[int]:
    """Fill ``choice`` with option values, variant and missing options; returns spans used."""
    used: set[int] = set()
    if choice.product is None:
        return used
    entry = index.entries[choice.product]
    sku_variant = refs.sku_variants.get(choice.product)
    title_spans = {i for i, handles in refs.titles if choice.product in handles}
    conflicts: set[int] = set()
    for i, keys, option_word in refs.values:
        if i in title_spans:
            continue
        hit = next((entry.values[k] for k in keys if k in entry.values), None)
        if hit is None:
            hit = next((entry.partial[k] for k in keys if k in entry.partial), None)
        if hit is None:
            hit = next((entry.families[k] for k in keys if k in entry.families), None)
            if hit is not None:
                choice.approximate = True
        if hit is None:
            if option_word:
                choice.mismatch = True
                choice.unmatched.append(i)
                used.add(i)
            continue
        used.add(i)
        position, value = hit
        if choice.chosen.get(position, value) != value:
            conflicts.add(position)
        choice.chosen[position] = value
    for position in conflicts:
        choice.chosen.pop(position, None)
    if sku_variant is not None:
        choice.variant = sku_variant
        choice.chosen = dict(enumerate(sku_variant.options))
        return used
    options = entry.product.options
    choice.missing = tuple(options[p].name for p in entry.choice_options if p not in choice.chosen)
    if not choice.missing:
        choice.variant = entry.variant_for(choice.chosen)
        if choice.variant is None and entry.choice_options:
            last = entry.choice_options[-1]
            choice.missing = (options[last].name,)
            choice.mismatch = True
    return used


def _number(span: Span | None) -> int | None:
    if span is None:
        return None
    if span.text.isdigit():
        return int(span.text)
    value = span.value("number")
    return int(value) if value else None


def find_quantity(
    spans: list[Span], skip: set[int], max_bare: int = 10
) -> tuple[int | None, set[int]]:
    """The quantity a message asks for (``x2``, ``2x``, ``qty 3``, ``two``, ``2 pcs``, ``+2``).

    A bare number counts only up to ``max_bare`` ("sold 999" names no quantity); marked
    quantities ("x50") are returned as typed for the caller to cap.
    """
    bare: tuple[int, set[int]] | None = None
    count = len(spans)
    for i, span in enumerate(spans):
        if i in skip:
            continue
        text = span.text
        if text[0] == "+" and text[1:].isdigit():
            return int(text[1:]), {i}
        match = _QTY_TOKEN_RE.fullmatch(text)
        if match:
            return int(match.group(1) or match.group(2)), {i}
        after = spans[i + 1] if i + 1 < count and i + 1 not in skip else None
        if span.has("qty_before"):
            number = _number(after)
            if number is not None:
                return number, {i, i + 1}
        number = _number(span)
        if number is None:
            continue
        if after is not None and after.has("qty_after"):
            return number, {i, i + 1}
        if (
            bare is None
            and number <= max_bare
            and (text.isdigit() or not (span.has("filler") or span.has("pronoun")))
        ):
            bare = (number, {i})
    if bare is not None:
        return bare
    return None, set()
