"""Keyword tables per language, loaded from JSON data files a merchant can extend."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chat_commands.config import ParserConfig

_LOGGER = logging.getLogger(__name__)

#: Phrase categories a language file may fill (see ``languages/en.json``).
PHRASE_CATEGORIES: frozenset[str] = frozenset(
    {
        "claim",  # comment-selling words that must lead the message: sold, mine, +1
        "want",  # natural buy phrases anywhere: i'll take, quiero, je prends, ich nehme
        "want_blocker",  # words after a want phrase that mean it is not a buy: "i want to see"
        "negation",
        "question_start",
        "price",
        "stock",
        "weak_stock",  # counts as a stock question only with a product or option named
        "stock_exclaim",  # "sold out already": a reaction, a stock question only when asked
        "options",
        "shipping",
        "link",
        "cart",
        "cancel",
        "help",
        "waitlist",
        "filler",  # words a command may carry: the, size, please
        "please",  # politeness: "mug please" asks for the mug
        "thanks",  # gratitude: fine in a claim, but "thanks for the link" asks nothing
        "interjection",  # words allowed before a claim word: ok, omg, yes
        "pronoun",  # references to the featured product: it, this one
        "qty_before",  # qty 3, x 2
        "qty_after",  # 2 pcs, 2 of
    }
)
COMMAND_NAMES: frozenset[str] = frozenset(
    {"buy", "price", "stock", "options", "shipping", "link", "cart", "cancel", "help", "waitlist"}
)


class LanguageFileError(ValueError):
    """A language file is unreadable or has the wrong shape."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguageTable:
    """The words of one language; phrases are raw text, folded when the lexicon is built."""

    code: str
    name: str = ""
    phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: Mapping[str, int] = field(default_factory=dict)
    sizes: Mapping[str, str] = field(default_factory=dict)
    colors: Mapping[str, str] = field(default_factory=dict)
    color_families: Mapping[str, str] = field(default_factory=dict)
    nouns: Mapping[str, str] = field(default_factory=dict)
    commands: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def merged(self, other: LanguageTable) -> LanguageTable:
        """Return this table with ``other``'s words added (``other`` wins on conflicts)."""
        phrases = {k: tuple(v) for k, v in self.phrases.items()}
        for key, words in other.phrases.items():
            phrases[key] = tuple(dict.fromkeys((*phrases.get(key, ()), *words)))
        commands = {k: tuple(v) for k, v in self.commands.items()}
        for key, words in other.commands.items():
            commands[key] = tuple(dict.fromkeys((*commands.get(key, ()), *words)))
        return LanguageTable(
            code=self.code,
            name=other.name or self.name,
            phrases=phrases,
            numbers={**self.numbers, **other.numbers},
            sizes={**self.sizes, **other.sizes},
            colors={**self.colors, **other.colors},
            color_families={**self.color_families, **other.color_families},
            nouns={**self.nouns, **other.nouns},
            commands=commands,
        )


def _str_map(raw: Any, what: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise LanguageFileError(f"{what} must be an object")
    return {str(k): str(v) for k, v in raw.items()}


def _list_map(raw: Any, what: str, allowed: frozenset[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise LanguageFileError(f"{what} must be an object")
    out: dict[str, tuple[str, ...]] = {}
    for key, values in raw.items():
        if key not in allowed:
            raise LanguageFileError(f"{what}: unknown category {key!r}")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise LanguageFileError(f"{what}.{key} must be a list of strings")
        out[str(key)] = tuple(values)
    return out


def table_from_json(data: Mapping[str, Any]) -> LanguageTable:
    """Build a table from a decoded language file.

    Raises:
        LanguageFileError: the document has the wrong shape.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("code"), str):
        raise LanguageFileError("a language file is an object with a 'code' string")
    numbers_raw = data.get("numbers", {})
    if not isinstance(numbers_raw, Mapping) or not all(
        isinstance(v, int) for v in numbers_raw.values()
    ):
        raise LanguageFileError("numbers must map words to integers")
    return LanguageTable(
        code=data["code"],
        name=str(data.get("name", "")),
        phrases=_list_map(data.get("phrases", {}), "phrases", PHRASE_CATEGORIES),
        numbers={str(k): int(v) for k, v in numbers_raw.items()},
        sizes=_str_map(data.get("sizes", {}), "sizes"),
        colors=_str_map(data.get("colors", {}), "colors"),
        color_families=_str_map(data.get("color_families", {}), "color_families"),
        nouns=_str_map(data.get("nouns", {}), "nouns"),
        commands=_list_map(data.get("commands", {}), "commands", COMMAND_NAMES),
    )


def load_language_file(path: Path) -> LanguageTable:
    """Read one language file (UTF-8 JSON)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LanguageFileError(f"{path}: {exc}") from exc
    try:
        return table_from_json(data)
    except LanguageFileError as exc:
        raise LanguageFileError(f"{path}: {exc}") from exc


@lru_cache(maxsize=32)
def builtin_language(code: str) -> LanguageTable:
    """Load a language shipped in ``chat_commands/languages/``."""
    resource = resources.files("chat_commands").joinpath("languages", f"{code}.json")
    try:
        text = resource.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise LanguageFileError(f"no built-in language {code!r}") from exc
    return table_from_json(json.loads(text))


def builtin_codes() -> tuple[str, ...]:
    """The codes of the shipped language files."""
    folder = resources.files("chat_commands").joinpath("languages")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json")))


def load_languages(
    codes: Iterable[str] | None = None,
    *,
    extra_files: Iterable[Path] = (),
    keyword_aliases: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, LanguageTable]:
    """Load the built-in languages ``codes`` (all when ``None``) and merge merchant files.

    An extra file whose code is a built-in one extends it; a new code adds a language.
    ``keyword_aliases`` (category -> phrases) extend every loaded language's categories
    under the pseudo-language ``"custom"``.

    Raises:
        LanguageFileError: a named language or file cannot be loaded.
    """
    wanted = tuple(codes) if codes is not None else builtin_codes()
    shipped = set(builtin_codes())
    tables: dict[str, LanguageTable] = {}
    for code in wanted:
        if code in shipped:
            tables[code] = builtin_language(code)
    for path in extra_files:
        extra = load_language_file(Path(path))
        base = tables.get(extra.code)
        tables[extra.code] = base.merged(extra) if base else extra
    missing = [code for code in wanted if code not in tables]
    if missing:
        raise LanguageFileError(f"unknown language(s): {', '.join(missing)}")
    if keyword_aliases:
        phrases: dict[str, tuple[str, ...]] = {}
        commands: dict[str, tuple[str, ...]] = {}
        for category, words in keyword_aliases.items():
            if category in PHRASE_CATEGORIES:
                phrases[category] = tuple(words)
            elif category in COMMAND_NAMES:
                commands[category] = tuple(words)
            else:
                raise LanguageFileError(f"keyword_aliases: unknown category {category!r}")
        tables["custom"] = LanguageTable(code="custom", phrases=phrases, commands=commands)
    _LOGGER.debug("loaded languages %s", ", ".join(tables))
    return tables


def load_config_languages(config: ParserConfig) -> dict[str, LanguageTable]:
    """Load the languages, merchant files and keyword aliases ``config`` names."""
    return load_languages(
        config.languages,
        extra_files=config.extra_language_files,
        keyword_aliases=config.keyword_aliases,
    )
