"""Folded keyword tables for a set of languages, and the phrase scanner over message tokens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chat_commands.language import LanguageTable
from chat_commands.normalize import fold

#: Categories that can make a message a command (used by the chatter pre-filter).
INTENT_CATEGORIES: frozenset[str] = frozenset(
    {
        "claim",
        "want",
        "price",
        "stock",
        "weak_stock",
        "stock_exclaim",
        "options",
        "shipping",
        "link",
        "cart",
        "cancel",
        "help",
        "waitlist",
        "question_start",
    }
)
#: Categories one of whose phrases must appear for a message to be more than chatter.
TRIGGER_CATEGORIES: frozenset[str] = INTENT_CATEGORIES - {"question_start"}
#: Categories whose words a terse command ("sold 101 L x2 pls") may contain.
COMMAND_WORD_CATEGORIES: frozenset[str] = frozenset(
    {
        "claim",
        "filler",
        "interjection",
        "please",
        "thanks",
        "pronoun",
        "qty_before",
        "qty_after",
        "number",
        "size",
        "color",
        "noun",
    }
)
CUSTOM_LANGUAGE = "custom"


@dataclass(frozen=True, slots=True)
class Sense:
    """One meaning of a phrase: its category, language and value (canonical form or number)."""

    category: str
    language: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Entry:
    """A folded phrase with all its meanings."""

    words: tuple[str, ...]
    senses: tuple[Sense, ...]
    categories: frozenset[str]


@dataclass(slots=True)
class Span:
    """A run of message tokens: a known phrase (``entry``) or one unknown token."""

    start: int
    end: int
    text: str
    entry: Entry | None

    def has(self, category: str) -> bool:
        """Whether this span carries ``category``."""
        return self.entry is not None and category in self.entry.categories

    def value(self, category: str) -> str | None:
        """The value of the first sense of ``category`` (canonical size, number...)."""
        if self.entry is not None:
            for sense in self.entry.senses:
                if sense.category == category:
                    return sense.value
        return None

    def languages(self, categories: frozenset[str] | None = None) -> tuple[str, ...]:
        """Languages of the senses (optionally only those in ``categories``)."""
        if self.entry is None:
            return ()
        return tuple(
            s.language for s in self.entry.senses if categories is None or s.category in categories
        )


class Lexicon:
    """All phrases of some languages, folded and indexed by first word."""

    __slots__ = (
        "_multi",
        "_single",
        "_starts",
        "canon",
        "color_families",
        "command_words",
        "commands",
        "languages",
        "max_words",
        "noun_words",
        "nouns",
        "number_words",
        "question_words",
        "stop_words",
        "triggers",
        "value_words",
    )

    def __init__(self, tables: Iterable[LanguageTable]) -> None:
        senses: dict[tuple[str, ...], list[Sense]] = {}
        commands: dict[str, tuple[str, str]] = {}
        canon: dict[str, str] = {}
        families: dict[str, str] = {}
        nouns: dict[str, str] = {}
        languages: list[str] = []

        def add(phrase: str, sense: Sense) -> None:
            words = fold(phrase)
            if words:
                bucket = senses.setdefault(words, [])
                if sense not in bucket:
                    bucket.append(sense)

        for table in tables:
            code = table.code
            languages.append(code)
            for category, phrases in table.phrases.items():
                for phrase in phrases:
                    add(phrase, Sense(category, code))
            for word, number in table.numbers.items():
                add(word, Sense("number", code, str(number)))
            for kind, mapping in (("size", table.sizes), ("color", table.colors)):
                for word, target in mapping.items():
                    value = " ".join(fold(target))
                    add(word, Sense(kind, code, value))
                    canon.setdefault(" ".join(fold(word)), value)
            for word, family in table.color_families.items():
                families.setdefault(" ".join(fold(word)), " ".join(fold(family)))
            for word, target in table.nouns.items():
                value = " ".join(fold(target))
                for form in (word, word if word.endswith("s") else word + "s"):
                    add(form, Sense("noun", code, value))
                    nouns.setdefault(" ".join(fold(form)), value)
            for name, words in table.commands.items():
                for word in words:
                    folded = " ".join(fold(word))
                    if folded and folded not in commands:
                        commands[folded] = (name, code)
        single: dict[str, Entry] = {}
        multi: dict[tuple[str, str], list[Entry]] = {}
        for words, bucket in senses.items():
            entry = Entry(words, tuple(bucket), frozenset(s.category for s in bucket))
            if len(words) == 1:
                single[words[0]] = entry
            else:
                multi.setdefault((words[0], words[1]), []).append(entry)
        self._single = single
        self._multi = {
            pair: tuple(sorted(entries, key=lambda e: -len(e.words)))
            for pair, entries in multi.items()
        }
        self._starts = frozenset(words[0] for words in senses)
        self.max_words = max((len(w) for w in senses), default=1)
        self.languages = tuple(languages)
        self.commands = commands
        self.canon = canon
        self.color_families = families
        self.nouns = nouns
        self.command_words = frozenset(
            word
            for words, bucket in senses.items()
            if any(s.category in COMMAND_WORD_CATEGORIES for s in bucket)
            for word in words
        )
        self.question_words = frozenset(
            words[0]
            for words, bucket in senses.items()
            if len(words) == 1 and any(s.category == "question_start" for s in bucket)
        )
        self.stop_words = frozenset(
            words[0]
            for words, bucket in senses.items()
            if len(words) == 1
            and any(s.category in ("filler", "pronoun", "interjection", "negation") for s in bucket)
        )
        common = self.stop_words | self.question_words
        self.triggers = frozenset(
            _trigger_word(words, common)
            for words, bucket in senses.items()
            if words and any(s.category in TRIGGER_CATEGORIES for s in bucket)
        )
        self.value_words = frozenset(
            word
            for words, bucket in senses.items()
            if any(s.category in ("size", "color") for s in bucket)
            for word in words
        )
        self.number_words = frozenset(
            words[0]
            for words, bucket in senses.items()
            if len(words) == 1 and any(s.category == "number" for s in bucket)
        )
        self.noun_words = frozenset(
            word
            for words, bucket in senses.items()
            if any(s.category == "noun" for s in bucket)
            for word in words
        )

    def scan(self, tokens: list[str]) -> list[Span]:
        """Cover ``tokens`` with spans, taking the longest known phrase at each position."""
        spans: list[Span] = []
        single = self._single
        multi = self._multi
        n = len(tokens)
        i = 0
        while i < n:
            token = tokens[i]
            if i + 1 < n:
                entries = multi.get((token, tokens[i + 1]))
                if entries:
                    for entry in entries:
                        size = len(entry.words)
                        if size == 2 or tuple(tokens[i : i + size]) == entry.words:
                            spans.append(Span(i, i + size, " ".join(entry.words), entry))
                            i += size
                            break
                    else:
                        entries = None
                    if entries:
                        continue
            spans.append(Span(i, i + 1, token, single.get(token)))
            i += 1
        return spans

    def knows(self, word: str) -> bool:
        """Whether ``word`` starts a known phrase."""
        return word in self._starts

    def canonical(self, text: str) -> str:
        """The canonical option value of folded ``text`` (``gray`` -> ``grey``, ``lg`` -> ``l``)."""
        return self.canon.get(text, text)


def _trigger_word(words: tuple[str, ...], common: frozenset[str]) -> str:
    """The word of a phrase the chatter pre-filter looks for: its longest uncommon word."""
    rare = (
        [w for w in words if w not in common and len(w) > 2]
        or [w for w in words if len(w) > 2]
        or list(words)
    )
    return max(reversed(rare), key=len)


def lexicon_for(
    tables: Mapping[str, LanguageTable], languages: Iterable[str] | None = None
) -> Lexicon:
    """Build the lexicon of ``languages`` (all tables when ``None``; merchant aliases always)."""
    if languages is None:
        return Lexicon(tables.values())
    wanted = set(languages) | {CUSTOM_LANGUAGE}
    return Lexicon(t for code, t in tables.items() if code in wanted)
