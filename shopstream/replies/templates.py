"""Reply templates: shipped per-locale TOML files, merchant overrides, English fallback."""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from importlib import resources
from pathlib import Path

from shopstream.replies.money import format_price

_LOGGER = logging.getLogger(__name__)

LOCALES = ("en", "es", "pt", "fr", "de")
FALLBACK = "en"

VARIABLES = frozenset(
    {
        "viewer",
        "product",
        "variant",
        "price",
        "price_max",
        "stock",
        "stock_list",
        "link",
        "minutes",
        "qty",
        "cap",
        "code",
        "option",
        "options",
        "candidates",
        "position",
        "items",
        "total",
        "answer",
        "keyword",
    }
)


class TemplateError(Exception):
    """Template files could not be loaded; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def normalise_locale(locale: str | None) -> str | None:
    """Return the language part of ``locale`` (``pt-BR`` -> ``pt``), or None if blank."""
    if not locale:
        return None
    return locale.replace("_", "-").split("-", 1)[0].strip().lower() or None


def _fields(template: str) -> list[str]:
    """Return the placeholder names of ``template``; raise ValueError if malformed."""
    names = []
    for _, name, spec, conv in string.Formatter().parse(template):
        if name is None:
            continue
        if spec or conv or not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} must be a plain name like {{product}}")
        names.append(name)
    return names


def _check(table: Mapping[str, object], source: str, known: set[str] | None) -> list[str]:
    problems = []
    for key, value in table.items():
        if not isinstance(value, str):
            problems.append(f"{source}: {key}: expected a string")
            continue
        if known is not None and key not in known:
            problems.append(f"{source}: {key}: no such template key")
            continue
        try:
            unknown = sorted(set(_fields(value)) - VARIABLES)
        except ValueError as exc:
            problems.append(f"{source}: {key}: {exc}")
            continue
        if unknown:
            problems.append(f"{source}: {key}: unknown variable(s) {', '.join(unknown)}")
    return problems


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


class Templates:
    """Per-locale reply templates with English fallback.

    Build with :meth:`load`; render with :meth:`render`. Templates use ``{name}``
    placeholders drawn from :data:`VARIABLES` only (checked at load time, so a broken
    merchant file is rejected before the show, with file and key).
    """

    def __init__(self, tables: Mapping[str, Mapping[str, str]], default_locale: str = "en") -> None:
        if FALLBACK not in tables:
            raise TemplateError([f"the {FALLBACK} templates are missing"])
        self._tables = {loc: dict(t) for loc, t in tables.items()}
        self.default_locale = normalise_locale(default_locale) or FALLBACK

    @classmethod
    def load(cls, override_dir: Path | None = None, default_locale: str = "en") -> Templates:
        """Load the shipped templates, then each ``<locale>.toml`` of ``override_dir`` on top.

        Args:
            override_dir: Merchant folder; each file replaces the keys it names.
            default_locale: Locale used when the viewer's language is unknown.

        Returns:
            The templates.

        Raises:
            TemplateError: Listing every problem (bad TOML with its line, unknown keys or
                variables, malformed placeholders).
        """
        tables: dict[str, dict[str, str]] = {}
        problems: list[str] = []
        pkg = resources.files("shopstream.replies.locales")
        for loc in LOCALES:
            text = pkg.joinpath(f"{loc}.toml").read_text(encoding="utf-8")
            data = tomllib.loads(text)
            problems += _check(data, f"{loc}.toml", None)
            tables[loc] = {k: v for k, v in data.items() if isinstance(v, str)}
        known = set(tables[FALLBACK])
        if override_dir is not None:
            for path in sorted(Path(override_dir).glob("*.toml")):
                loc = normalise_locale(path.stem) or path.stem
                try:
                    data = tomllib.loads(path.read_text(encoding="utf-8"))
                except tomllib.TOMLDecodeError as exc:
                    problems.append(f"{path}: {exc}")
                    continue
                found = _check(data, str(path), known)
                problems += found
                if not found:
                    tables.setdefault(loc, {}).update(data)
        if problems:
            raise TemplateError(problems)
        return cls(tables, default_locale)

    @property
    def keys(self) -> frozenset[str]:
        """Every template key (the English set is complete)."""
        return frozenset(self._tables[FALLBACK])

    def locale_for(self, locale: str | None) -> str:
        """Return the locale actually used for ``locale`` (falls back to the default)."""
        lang = normalise_locale(locale)
        if lang in self._tables:
            return lang
        return self.default_locale if self.default_locale in self._tables else FALLBACK

    def template(self, key: str, locale: str | None = None) -> str:
        """Return the raw template for ``key`` in ``locale`` (English when not translated).

        Raises:
            KeyError: If no locale has ``key``.
        """
        loc = self.locale_for(locale)
        for table in (self._tables[loc], self._tables.get(self.default_locale, {})):
            if key in table:
                return table[key]
        return self._tables[FALLBACK][key]

    def render(self, key: str, locale: str | None = None, **variables: object) -> str:
        """Render ``key`` in ``locale`` with ``variables`` (missing ones render empty).

        Raises:
            KeyError: If ``key`` is not a template key.
        """
        text = self.template(key, locale).format_map(
            _Blank({k: str(v) for k, v in variables.items() if v is not None})
        )
        # a variable left empty (a product with one variant) leaves no "()" behind
        return " ".join(text.replace(" ()", "").replace("()", "").split())

    def price(self, amount: Decimal, currency: str, locale: str | None = None) -> str:
        """Format ``amount`` the way ``locale`` writes prices."""
        return format_price(amount, currency, self.locale_for(locale))

    def join(self, items: Sequence[str], locale: str | None = None, *, last: bool = False) -> str:
        """Join ``items`` with the locale's separator (and its "or" before the last if asked)."""
        sep = self.template("list_separator", locale)
        if not last or len(items) < 2:
            return sep.join(items)
        return sep.join(items[:-1]) + self.template("list_last", locale) + items[-1]
