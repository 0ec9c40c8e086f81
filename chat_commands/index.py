"""A prebuilt lookup over the catalog: codes, SKUs, handles, title words and option values."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from chat_commands.catalog import CatalogProduct, CatalogVariant
from chat_commands.language import LanguageTable, load_languages
from chat_commands.lexicon import Lexicon, lexicon_for
from chat_commands.normalize import fold

_LOGGER = logging.getLogger(__name__)

OptionChoice = tuple[int, str]  # (option position, value as the store writes it)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductEntry:
    """One product with its option values keyed by canonical text."""

    product: CatalogProduct
    values: Mapping[str, OptionChoice]  # "xl", "grey", "forest green"
    partial: Mapping[str, OptionChoice]  # one word of a multi-word value: "green"
    families: Mapping[str, OptionChoice]  # colour family: "blue" -> Navy
    variants: Mapping[tuple[str, ...], CatalogVariant]
    choice_options: tuple[int, ...]  # options with more than one value

    def variant_for(self, chosen: Mapping[int, str]) -> CatalogVariant | None:
        """The variant with the chosen values (single-valued options filled in)."""
        key = []
        for position, option in enumerate(self.product.options):
            value = chosen.get(position)
            if value is None:
                if len(option.values) != 1:
                    return None
                value = option.values[0]
            key.append(value)
        return self.variants.get(tuple(key))


def _entry(product: CatalogProduct, lexicon: Lexicon) -> ProductEntry:
    values: dict[str, OptionChoice] = {}
    partial: dict[str, OptionChoice | None] = {}
    families: dict[str, OptionChoice | None] = {}
    choice = []
    for position, option in enumerate(product.options):
        if len(option.values) > 1:
            choice.append(position)
        for value in option.values:
            words = fold(value)
            if not words:
                continue
            raw = " ".join(words)
            canon = lexicon.canonical(raw)
            values.setdefault(raw, (position, value))
            values.setdefault(canon, (position, value))
            if len(words) > 1:
                for word in words:
                    if word not in lexicon.stop_words:
                        seen = partial.get(word, (position, value))
                        partial[word] = (position, value) if seen == (position, value) else None
            family = lexicon.color_families.get(canon)
            if family:
                seen = families.get(family, (position, value))
                families[family] = (position, value) if seen == (position, value) else None
    variants = {v.options: v for v in product.variants}
    return ProductEntry(
        product=product,
        values=values,
        partial={k: v for k, v in partial.items() if v is not None and k not in values},
        families={k: v for k, v in families.items() if v is not None and k not in values},
        variants=variants,
        choice_options=tuple(choice),
    )


class CatalogIndex:
    """Everything the parser looks up, built once per catalog (and lineup) change."""

    __slots__ = (
        "_deletions",
        "_lexicons",
        "alias_first",
        "aliases",
        "codes",
        "entries",
        "handles",
        "lexicon",
        "position",
        "ref_words",
        "skus",
        "tables",
        "value_handles",
        "vocabulary",
        "words",
    )

    def __init__(self) -> None:
        self.entries: dict[str, ProductEntry] = {}
        self.position: dict[str, int] = {}  # handle -> catalog order
        self.codes: dict[str, str] = {}
        self.skus: dict[str, tuple[str, CatalogVariant]] = {}
        self.handles: dict[str, str] = {}
        self.words: dict[str, tuple[str, ...]] = {}
        self.aliases: dict[tuple[str, ...], str] = {}
        self.alias_first: frozenset[str] = frozenset()
        self.value_handles: dict[str, frozenset[str]] = {}
        self.vocabulary: tuple[str, ...] = ()
        self._deletions: dict[str, tuple[str, ...]] = {}
        self.ref_words: frozenset[str] = frozenset()
        self.tables: Mapping[str, LanguageTable] = {}
        self.lexicon: Lexicon = Lexicon(())
        self._lexicons: dict[tuple[str, ...], Lexicon] = {}

    @classmethod
    def build(
        cls,
        products: Iterable[CatalogProduct],
        *,
        lineup: Mapping[str, str] | None = None,
        aliases: Mapping[str, str] | None = None,
        language_data: Mapping[str, LanguageTable] | None = None,
    ) -> CatalogIndex:
        """Index ``products``.

        Args:
            products: the catalog.
            lineup: show codes (``"12"`` -> handle) that add to or override ``live:`` tags.
            aliases: extra product names (phrase -> handle), e.g. from settings.
            language_data: keyword tables (default: every built-in language).
        """
        index = cls()
        index.tables = dict(language_data) if language_data is not None else load_languages()
        lexicon = lexicon_for(index.tables)
        index.lexicon = lexicon
        words: dict[str, dict[str, None]] = {}
        value_handles: dict[str, set[str]] = {}
        for product in products:
            handle = product.handle
            if handle in index.entries:
                _LOGGER.warning("duplicate product handle %s; keeping the first", handle)
                continue
            entry = _entry(product, lexicon)
            index.position[handle] = len(index.entries)
            index.entries[handle] = entry
            index.handles[" ".join(fold(handle))] = handle
            if product.live_code:
                index.codes.setdefault(" ".join(fold(product.live_code)), handle)
            for variant in product.variants:
                if variant.sku:
                    index.skus.setdefault(" ".join(fold(variant.sku)), (handle, variant))
            for word in (*fold(product.title), *fold(handle.replace("-", " "))):
                if len(word) < 2 or word in lexicon.stop_words or word.isdigit():
                    continue
                for form in _word_forms(word):
                    words.setdefault(form, {})[handle] = None
            for key in (*entry.values, *entry.partial):
                value_handles.setdefault(key, set()).add(handle)
        for code, handle in (lineup or {}).items():
            if handle in index.entries:
                index.codes[" ".join(fold(code))] = handle
            else:
                _LOGGER.warning("lineup code %s names unknown product %s", code, handle)
        for phrase, handle in (aliases or {}).items():
            folded = fold(phrase)
            if folded and handle in index.entries:
                index.aliases[folded] = handle
            else:
                _LOGGER.warning("alias %r names unknown product %s", phrase, handle)
        index.alias_first = frozenset(words_[0] for words_ in index.aliases)
        index.words = {w: tuple(hs) for w, hs in words.items()}
        index.value_handles = {k: frozenset(v) for k, v in value_handles.items()}
        vocabulary = {w for w in index.words if len(w) >= 4}
        vocabulary.update(k for k in index.value_handles if len(k) >= 4 and " " not in k)
        vocabulary.update(k for k in lexicon.canon if len(k) >= 4 and " " not in k)
        vocabulary.update(k for k in lexicon.nouns if len(k) >= 4 and " " not in k)
        index.vocabulary = tuple(sorted(vocabulary))
        index._deletions = _deletion_index(index.vocabulary)
        ref_words = set(index.words) | set(index.codes) | set(index.skus) | set(index.handles)
        for key in index.value_handles:
            ref_words.update(key.split())
        for alias in index.aliases:
            ref_words.update(alias)
        index.ref_words = frozenset(ref_words)
        return index

    def lexicon_for(self, languages: Iterable[str] | None) -> Lexicon:
        """The lexicon of the enabled ``languages`` (cached)."""
        if languages is None:
            return self.lexicon
        key = tuple(languages)
        lexicon = self._lexicons.get(key)
        if lexicon is None:
            lexicon = lexicon_for(self.tables, key)
            self._lexicons[key] = lexicon
        return lexicon

    def product(self, handle: str) -> CatalogProduct | None:
        """The product with ``handle``."""
        entry = self.entries.get(handle)
        return entry.product if entry else None

    def resolve_reference(self, reference: str) -> str | None:
        """The handle a live code, handle or SKU names (``"101"``, ``"cozy-hoodie"``)."""
        key = " ".join(fold(reference))
        if key in self.codes:
            return self.codes[key]
        if key in self.handles:
            return self.handles[key]
        if key in self.skus:
            return self.skus[key][0]
        return None

    def code_of(self, handle: str) -> str | None:
        """The live code shown for ``handle`` (lineup first, then the ``live:`` tag)."""
        for code, target in self.codes.items():
            if target == handle:
                return code
        return None

    def fuzzy_word(self, token: str) -> str | None:
        """The one catalog word within a small edit distance of ``token`` (None if unsure)."""
        if len(token) < 5 or not self._deletions:
            return None
        limit = 1 if len(token) < 7 else 2
        candidates: set[str] = set()
        for variant in _deletions(token, limit):
            candidates.update(self._deletions.get(variant, ()))
        nearest: list[str] = []
        best_distance = limit + 1
        for word in sorted(candidates):
            distance = OSA.distance(token, word, score_cutoff=limit)
            if distance < best_distance:
                nearest, best_distance = [word], distance
            elif distance == best_distance:
                nearest.append(word)
        if not nearest or best_distance > limit:
            return None
        # a tie is fine when every nearest word means the same thing ("tasse"/"tasses")
        lexicon = self.lexicon
        meanings = {lexicon.nouns.get(w) or lexicon.canonical(w) for w in nearest}
        return nearest[0] if len(meanings) == 1 else None


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` and every string made by deleting up to ``depth`` characters from it."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w)) if len(w) > 1}
        found |= frontier
    return found


def _deletion_index(vocabulary: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Symmetric-delete index (as in SymSpell): deletion variant -> vocabulary words."""
    index: dict[str, list[str]] = {}
    for word in vocabulary:
        for variant in _deletions(word, 2):
            index.setdefault(variant, []).append(word)
    return {k: tuple(v) for k, v in index.items()}


def _word_forms(word: str) -> tuple[str, ...]:
    if word.endswith("s") and len(word) > 3:
        return (word, word[:-1])
    return (word, word + "s")
