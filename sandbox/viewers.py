"""Simulated viewers: a seeded, configurable audience of buyers, askers and chatter.

Pure: :func:`script` turns a mix and a catalog into timed lines (platform, author, text,
offset); the demo and the benchmarks inject them into the platform emulators.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PLATFORMS = ("youtube", "facebook", "twitch")

_BUY = {
    "en": [
        "!buy {code} {opts}",
        "SOLD {code} {opts}",
        "I'll take the {title} in {opts}",
        "sold {code} {opts} x2",
    ],
    "es": ["quiero {code} {opts}", "me llevo el {code} {opts}"],
    "pt": ["eu quero {code} {opts}", "quero {code} {opts}"],
    "fr": ["je prends {code} {opts}", "je veux {code} {opts}"],
    "de": ["ich nehme {code} {opts}", "ich kaufe {code} {opts}"],
}
_ASK = {
    "en": [
        "how much is the {title}?",
        "is {size} still available?",
        "what colours does the {title} come in",
        "do you ship to Canada?",
    ],
    "es": ["cuánto cuesta el {code}?", "¿hay talla {size}?"],
    "pt": ["quanto custa o {code}?", "tem tamanho {size}?"],
    "fr": ["combien coûte le {code} ?", "il reste du {size} ?"],
    "de": ["was kostet {code}?", "gibt es {size} noch?"],
}
_CHATTER = [
    "hi everyone!! 👋",
    "love this stream",
    "that hoodie looks so good",
    "I sold my car lol",
    "mine is the same colour",
    "lol",
    "first time here",
    "🔥🔥🔥",
    "where are you from?",
    "can't wait for the next drop",
    "my cat says hi",
    "the music is great",
    "sold out already? wow",
]


@dataclass(frozen=True, slots=True)
class Mix:
    """Shares of each kind of viewer line (they need not sum to 1; they are weights)."""

    buyers: float = 0.25
    askers: float = 0.15
    chatter: float = 0.55
    typos: float = 0.15  # share of buy lines with a typo in the title or an option
    languages: Mapping[str, float] = field(
        default_factory=lambda: {"en": 0.6, "es": 0.1, "pt": 0.1, "fr": 0.1, "de": 0.1}
    )
    platforms: Sequence[str] = PLATFORMS


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewerLine:
    """One thing a simulated viewer says."""

    platform: str
    author: str
    author_id: str
    text: str
    offset: float
    kind: str  # buy | ask | chatter
    language: str


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _product_facts(product: Mapping[str, Any]) -> dict[str, Any]:
    tags = [t.strip() for t in str(product.get("tags", "")).split(",")]
    code = next((t[5:] for t in tags if t.lower().startswith("live:")), product["handle"])
    variants = product.get("variants", [])
    return {"code": code, "title": product["title"], "variants": variants}


def script(
    products: Sequence[Mapping[str, Any]],
    *,
    viewers: int,
    lines: int,
    seconds: float,
    mix: Mix | None = None,
    seed: int = 7,
) -> list[ViewerLine]:
    """Return ``lines`` viewer lines from ``viewers`` viewers spread over ``seconds``."""
    mix = mix or Mix()
    rng = random.Random(seed)
    facts = [_product_facts(p) for p in products if p.get("variants")]
    langs, lang_w = zip(*mix.languages.items(), strict=True)
    people = [
        (rng.choice(list(mix.platforms)), f"viewer{n:05d}", rng.choices(langs, lang_w)[0])
        for n in range(viewers)
    ]
    kinds = ("buy", "ask", "chatter")
    weights = (mix.buyers, mix.askers, mix.chatter)
    out: list[ViewerLine] = []
    for i in range(lines):
        platform, author, lang = people[rng.randrange(viewers)]
        kind = rng.choices(kinds, weights)[0]
        product = rng.choice(facts)
        variant = rng.choice(product["variants"])
        opts = " ".join(
            str(variant[k])
            for k in ("option1", "option2")
            if variant.get(k) not in (None, "Default Title")
        )
        size = variant.get("option1") or "M"
        if kind == "buy":
            text = rng.choice(_BUY[lang]).format(
                code=product["code"], opts=opts, title=product["title"].lower()
            )
            if rng.random() < mix.typos:
                words = text.split()
                j = rng.randrange(len(words))
                words[j] = _typo(words[j], rng)
                text = " ".join(words)
        elif kind == "ask":
            text = rng.choice(_ASK[lang]).format(
                code=product["code"], size=size, title=product["title"].lower()
            )
        else:
            text = rng.choice(_CHATTER)
        out.append(
            ViewerLine(
                platform=platform,
                author=author,
                author_id=f"{platform}-{author}",
                text=" ".join(text.split()),
                offset=round(seconds * i / max(1, lines), 3),
                kind=kind,
                language=lang,
            )
        )
    return out
