"""The pure parser: one chat message + catalog index + show state -> one Intent.

``parse`` never performs I/O and never raises. Plain chatter is rejected by a cheap token
pre-filter before any catalog work; commands are grounded in the catalog index.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from chat_commands.config import ParserConfig
from chat_commands.index import CatalogIndex
from chat_commands.intents import (
    Buy,
    Cancel,
    Cart,
    Help,
    Intent,
    ModCommand,
    NoIntent,
    Question,
    QuestionKind,
    Waitlist,
)
from chat_commands.lexicon import COMMAND_WORD_CATEGORIES, CUSTOM_LANGUAGE, Lexicon
from chat_commands.normalize import clean, is_question_text, tokenize
from chat_commands.resolve import (
    Choice,
    add_fuzzy_refs,
    choose_product,
    choose_variant,
    find_quantity,
    find_refs,
)

_LOGGER = logging.getLogger(__name__)

_TERSE_TOKEN_RE = re.compile(r"\+?\d{1,4}|x\d{1,3}|\d{1,3}x")
_QUESTION_ORDER = tuple(
    (kind, kind.value)
    for kind in (
        QuestionKind.SHIPPING,
        QuestionKind.LINK,
        QuestionKind.STOCK,
        QuestionKind.OPTIONS,
        QuestionKind.PRICE,
    )
)
_ANY_PRODUCT = frozenset({QuestionKind.SHIPPING, QuestionKind.LINK})
_REQUEST_STARTS = ("can ", "could ", "may ", "puedo ", "posso ", "je peux ", "puis-je ", "kann ")
_POST_NEGATIONS = frozenset({"pas", "nicht", "plus", "mais", "no", "nao"})
_CHATTER = NoIntent(reason="chatter")
_WORD_LANGUAGE_CATEGORIES = frozenset({"color", "noun", "number", "qty_before", "qty_after"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseContext:
    """What ``parse`` needs besides the text: the catalog index and the show state."""

    index: CatalogIndex
    featured: str | None = None
    languages: tuple[str, ...] = ()
    config: ParserConfig = field(default_factory=ParserConfig)

    @property
    def lexicon(self) -> Lexicon:
        """The keyword lexicon of the enabled languages (config's when none are given)."""
        return self.index.lexicon_for(self.languages or self.config.languages)


def parse(text: str, context: ParseContext) -> Intent:
    """Parse one chat message. Pure and total: any input yields an intent."""
    try:
        return _parse(text, context)
    except Exception:  # the parser must never take a show down
        _LOGGER.exception("parser failed on a message of %s chars", len(text or ""))
        return NoIntent(reason="parser error")


def should_ask(intent: Intent, config: ParserConfig) -> bool:
    """Whether the bot should ask the viewer which product they meant instead of acting.

    Only a guess below ``ask_below_confidence`` that has ``candidates`` to offer is asked
    about: with nothing to choose from, the question would have nothing to say and the
    viewer would get silence, so a complete low-confidence intent is acted on (an intent
    with no product or missing options is asked about by the handler before this).
    """
    confidence = getattr(intent, "confidence", 1.0)
    candidates = getattr(intent, "candidates", ())
    return bool(confidence < config.ask_below_confidence and candidates)


def _parse(text: str, context: ParseContext) -> Intent:
    if not isinstance(text, str):
        return NoIntent(reason="not text")
    config = context.config
    cleaned = clean(text, config.max_message_chars)
    if not cleaned:
        return _CHATTER
    lexicon = context.lexicon
    head = cleaned.lstrip()
    for prefix in config.prefixes:
        if prefix and head.startswith(prefix):
            return _prefixed(head[len(prefix) :], context, lexicon)
    tokens = tokenize(cleaned)
    if not tokens:
        return _CHATTER
    if "-" in cleaned:
        tokens = _split_unknown_hyphens(tokens, lexicon, context.index)
    question = is_question_text(cleaned)
    if (
        config.prefilter
        and "+" not in cleaned
        and not _could_be_command(tokens, question, lexicon, context.index)
    ):
        return _CHATTER
    return _Message(context, lexicon, tokens, question).intent()


def _could_be_command(
    tokens: list[str], question: bool, lexicon: Lexicon, index: CatalogIndex
) -> bool:
    """The cheap pre-filter: False only for messages the full parse would call chatter.

    A command needs a keyword phrase (one rare word of each is looked up), or else it is a
    terse claim ("101 L", "black M x2") made only of command words with at least one catalog
    word, or a question naming a catalog word. ``+1`` is checked by the caller.

    The terse branch is the necessary condition of ``_Message._terse_claim``: that rule fails
    on the first word outside ``COMMAND_WORD_CATEGORIES`` (which is what
    ``lexicon.command_words`` holds) and needs an anchor, which is always one of the token
    classes below. It has no length limit, so neither has this: a claim listing several items
    ("101 L black 102 M navy 103 S red") is as long as it needs to be, and the loop stops at
    the first word that is not a command word, so long chatter costs no more.
    """
    if not lexicon.triggers.isdisjoint(tokens):
        return True
    refs, values, nouns = index.ref_words, lexicon.value_words, lexicon.noun_words
    if question:
        return not (
            refs.isdisjoint(tokens) and values.isdisjoint(tokens) and nouns.isdisjoint(tokens)
        )
    words, numbers = lexicon.command_words, lexicon.number_words
    anchored = False
    for token in tokens:
        if (
            token in refs
            or token in values
            or token in nouns
            or token in numbers
            or _TERSE_TOKEN_RE.fullmatch(token)
        ):
            anchored = True
        elif token not in words:
            return False
    return anchored


def _split_unknown_hyphens(tokens: list[str], lexicon: Lexicon, index: CatalogIndex) -> list[str]:
    """Split ``l-navy`` into ``l``, ``navy`` unless the whole token is a known word or SKU."""
    out: list[str] = []
    for token in tokens:
        if "-" in token and token not in index.ref_words and not lexicon.knows(token):
            out.extend(part for part in token.split("-") if part)
        else:
            out.append(token)
    return out


# --- prefixed commands ------------------------------------------------------------------------


def _prefixed(rest: str, context: ParseContext, lexicon: Lexicon) -> Intent:
    tokens = tokenize(rest)
    if "-" in rest:
        tokens = _split_unknown_hyphens(tokens, lexicon, context.index)
    if not tokens:
        return NoIntent(reason="empty command")
    name = tokens[0]
    if name in context.config.mod_commands:
        return ModCommand(name=name, args=tuple(tokens[1:]))
    command = lexicon.commands.get(name)
    if command is None:
        return NoIntent(reason="unknown command")
    kind, language = command
    message = _Message(context, lexicon, tokens[1:], question=False)
    return message.command(kind, None if language == CUSTOM_LANGUAGE else language)


# --- natural messages -------------------------------------------------------------------------


class _Message:
    """One message under analysis: its spans, catalog references and decisions."""

    __slots__ = ("_firsts", "_fuzzy_done", "context", "lexicon", "question", "refs", "spans")

    def __init__(
        self, context: ParseContext, lexicon: Lexicon, tokens: list[str], question: bool
    ) -> None:
        self.context = context
        self.lexicon = lexicon
        self.spans = lexicon.scan(tokens)
        self.question = question
        self.refs = find_refs(context.index, self.spans)
        self._fuzzy_done = False
        firsts: dict[str, int] = {}
        for i, span in enumerate(self.spans):
            if span.entry is not None:
                for category in span.entry.categories:
                    firsts.setdefault(category, i)
        self._firsts = firsts

    # helpers

    def _first(self, category: str) -> int | None:
        return self._firsts.get(category)

    def _lead(self) -> int:
        for i, span in enumerate(self.spans):
            if not span.has("interjection") or span.has("claim"):
                return i
        return len(self.spans)

    def _fuzzy(self) -> None:
        if not self._fuzzy_done and self.context.config.fuzzy:
            self._fuzzy_done = True
            add_fuzzy_refs(self.context.index, self.lexicon, self.spans, self.refs)

    def _command_like(self, ok: set[int]) -> bool:
        for i, span in enumerate(self.spans):
            if i in ok:
                continue
            entry = span.entry
            if entry is not None and entry.categories & COMMAND_WORD_CATEGORIES:
                continue
            if _TERSE_TOKEN_RE.fullmatch(span.text):
                continue
            return False
        return True

    def _negated(self, i: int) -> bool:
        for j in (i - 1, i - 2):
            if j >= 0 and self.spans[j].has("negation"):
                return True
        after = self.spans[i + 1] if i + 1 < len(self.spans) else None
        return after is not None and after.has("negation") and after.text in _POST_NEGATIONS

    def _language(self, decisive: int | None) -> str | None:
        if decisive is None:
            return None
        candidates = self.spans[decisive].languages()
        if not candidates:
            return None
        if len(set(candidates)) == 1:
            return None if candidates[0] == CUSTOM_LANGUAGE else candidates[0]
        counts: dict[str, int] = {}
        for span in self.spans:
            for language in set(span.languages()):
                counts[language] = counts.get(language, 0) + 1
        order = self.lexicon.languages
        best = max(
            dict.fromkeys(candidates),
            key=lambda c: (counts.get(c, 0), -order.index(c) if c in order else -99),
        )
        return None if best == CUSTOM_LANGUAGE else best

    def _word_language(self) -> str | None:
        """The language of a keyword-less message, from its colour and noun words, if one."""
        counts: dict[str, int] = {}
        for span in self.spans:
            for language in set(span.languages(_WORD_LANGUAGE_CATEGORIES)):
                counts[language] = counts.get(language, 0) + 1
        if not counts:
            return None
        best = max(counts.values())
        top = [code for code, n in counts.items() if n == best]
        return top[0] if len(top) == 1 and top[0] != CUSTOM_LANGUAGE else None

    def _resolve(self, *, featured: bool = True) -> tuple[Choice, set[int]]:
        index = self.context.index
        choice = choose_product(index, self.refs, self.context.featured if featured else None)
        used = choose_variant(index, self.refs, choice)
        return choice, used

    def _confidence(self, base: float, choice: Choice, clamped: bool = False) -> float:
        value = base
        if choice.product is None:
            value = min(value, 0.3 if choice.candidates else 0.25)
        elif choice.source == "featured":
            value *= 0.95
        elif choice.source == "value":
            value *= 0.7
        if self.refs.fuzzy:
            value *= 0.85
        if choice.approximate:
            value *= 0.85
        if choice.mismatch:
            value *= 0.6
        if clamped:
            value *= 0.5
        return round(value, 3)

    def _options(self, choice: Choice) -> dict[str, str]:
        if choice.product is None:
            return {}
        options = self.context.index.entries[choice.product].product.options
        return {options[p].name: v for p, v in sorted(choice.chosen.items())}

    # intents

    def _buy(self, base: float, language: str | None, skip: set[int]) -> Buy:
        choice, used = self._resolve()
        max_quantity = self.context.config.max_quantity
        quantity, _ = find_quantity(
            self.spans, skip | used | {i for i, _ in self.refs.explicit}, max_quantity
        )
        clamped = quantity is not None and quantity > max_quantity
        if quantity is None or quantity < 1:
            quantity = 1
        quantity = min(quantity, max_quantity)
        variant = choice.variant
        return Buy(
            product=choice.product,
            variant_id=variant.variant_id if variant else None,
            sku=variant.sku if variant else None,
            quantity=quantity,
            missing=choice.missing,
            candidates=choice.candidates,
            confidence=self._confidence(base, choice, clamped),
            language=language,
            options=self._options(choice),
        )

    def _question(self, kind: QuestionKind, base: float, language: str | None) -> Question:
        choice, _ = self._resolve()
        variant = choice.variant
        return Question(
            kind=kind,
            product=choice.product,
            variant_id=variant.variant_id if variant else None,
            sku=variant.sku if variant else None,
            candidates=choice.candidates,
            confidence=self._confidence(base, choice),
            language=language,
            options=self._options(choice),
            not_offered=tuple(dict.fromkeys(self._as_typed(i) for i in choice.unmatched)),
        )

    def _as_typed(self, i: int) -> str:
        """An option word for a reply: sizes in capitals ("L"), other words as folded."""
        span = self.spans[i]
        size = span.value("size")
        return size.upper() if size else span.text

    def _waitlist(self, base: float, language: str | None) -> Waitlist:
        choice, _ = self._resolve()
        variant = choice.variant
        return Waitlist(
            product=choice.product,
            variant_id=variant.variant_id if variant else None,
            sku=variant.sku if variant else None,
            missing=choice.missing,
            candidates=choice.candidates,
            confidence=self._confidence(base, choice),
            language=language,
            options=self._options(choice),
        )

    def _cancel(self, base: float, language: str | None) -> Cancel:
        choice, _ = self._resolve(featured=False)
        return Cancel(
            product=choice.product,
            candidates=choice.candidates,
            confidence=round(base if not choice.candidates else 0.4, 3),
            language=language,
        )

    def command(self, kind: str, language: str | None) -> Intent:
        """The intent of a prefixed command (``!buy ...``) whose words follow."""
        self._fuzzy()
        if kind == "buy":
            return self._buy(0.95, language, set())
        if kind in QuestionKind.__members__.values():
            return self._question(QuestionKind(kind), 0.95, language)
        if kind == "cart":
            return Cart(confidence=1.0, language=language)
        if kind == "cancel":
            return self._cancel(0.95, language)
        if kind == "help":
            return Help(confidence=1.0, language=language)
        if kind == "waitlist":
            return self._waitlist(0.95, language)
        return NoIntent(reason="unknown command")

    def _phrase_ok(self, category: str, also: frozenset[str] = frozenset()) -> int | None:
        """Where a service phrase (help, cancel...) makes the message that intent, if it does.

        A phrase counts when the rest of the message is a terse command ("cancel the tee
        pls", "my cart"), when a multi-word phrase is asked ("how do I buy?"), or when a
        waitlist phrase leads; "just got my order!" does not count.
        """
        i = self._first(category)
        if i is None or self._negated(i):
            return None
        span = self.spans[i]
        if (category == "waitlist" and i == self._lead()) or (" " in span.text and self._asked()):
            return i
        self._fuzzy()
        ok = self.refs.used()
        for j, other in enumerate(self.spans):
            if other.has(category) or any(other.has(c) for c in also):
                ok.add(j)
        return i if self._command_like(ok) else None

    def _interrogative(self) -> bool:
        lead = self._lead()
        if lead >= len(self.spans):
            return False
        span = self.spans[lead]
        return span.has("question_start") or span.text.split()[0] in self.lexicon.question_words

    def _asked(self) -> bool:
        return self.question or self._interrogative()

    def _asks_exclaim(self) -> bool:
        """Whether "sold out already" asks: "is it sold out already?", "sold out already?".

        With a reaction beside it ("sold out already? wow", "omg already gone") it reacts.
        """
        if self._interrogative():
            return True
        return self.question and not any(span.has("interjection") for span in self.spans)

    def _question_kind(self) -> tuple[QuestionKind, int] | None:
        firsts = self._firsts
        weak = firsts.get("weak_stock")
        for kind, name in _QUESTION_ORDER:
            at = firsts.get(name)
            if at is None and kind is QuestionKind.STOCK and self._asks_exclaim():
                at = firsts.get("stock_exclaim")
            if at is not None:
                return kind, at
        # "do you have..." asks for stock only when nothing else is asked ("what colours do
        # you have?" asks for options) and a product or option is named
        if weak is not None and (self.refs.named or any(keys for _, keys, _ in self.refs.values)):
            return QuestionKind.STOCK, weak
        return None

    def intent(self) -> Intent:
        """Decide what a message without prefix means."""
        spans = self.spans
        if not spans:
            return _CHATTER
        i = self._phrase_ok("help")
        if i is not None:
            return Help(confidence=0.9, language=self._language(i))
        i = self._phrase_ok("cancel", frozenset({"cart"}))
        if i is not None:
            return self._cancel(0.9, self._language(i))
        i = self._phrase_ok("waitlist", frozenset({"stock"}))
        if i is not None:
            waitlist = self._waitlist(0.9, self._language(i))
            if waitlist.product or waitlist.candidates:
                return waitlist
        i = self._phrase_ok("cart")
        if i is not None:
            return Cart(confidence=0.9, language=self._language(i))
        lead = self._lead()
        interrogative = self._interrogative()
        asked = self.question or interrogative
        kind = self._question_kind()
        buy = self._buy_signal(lead, kind)
        if buy is not None:
            base, decisive = buy
            keyword = decisive < len(spans) and (
                spans[decisive].has("claim") or spans[decisive].has("want")
            )
            skip = {decisive} if keyword else set()
            language = self._language(decisive) if keyword else self._word_language()
            return self._buy(base, language, skip)
        if kind is not None:
            question_kind, at = kind
            thanked = any(span.has("thanks") for span in spans)
            if asked or (not thanked and self._command_like({at} | self.refs.used())):
                question = self._question(question_kind, 0.9, self._language(at))
                if question.product or question.candidates or question_kind in _ANY_PRODUCT:
                    return question
        if self.question and interrogative and self.refs.named:
            return self._question(QuestionKind.OTHER, 0.7, self._language(lead))
        if self.question and any(option for _, _, option in self.refs.values):
            # "M?", "is the red M?": asking after option values is asking for stock
            ok = self.refs.used()
            ok.update(i for i, span in enumerate(spans) if span.has("question_start"))
            if self._command_like(ok):
                question = self._question(QuestionKind.STOCK, 0.7, self._language(lead))
                if question.product or question.candidates:
                    return question
        return _CHATTER

    def _buy_signal(
        self, lead: int, kind: tuple[QuestionKind, int] | None
    ) -> tuple[float, int] | None:
        spans = self.spans
        count = len(spans)
        if lead < count:
            span = spans[lead]
            plus = span.text[0] == "+" and span.text[1:].isdigit()
            if (span.has("claim") or plus) and not self._negated(lead):
                self._fuzzy()
                if self._command_like({lead} | self.refs.used()):
                    return 0.95, lead
        for i, span in enumerate(spans):
            if not span.has("want") or self._negated(i):
                continue
            after = spans[i + 1] if i + 1 < count else None
            if after is not None and after.has("want_blocker"):
                return None
            if kind is not None and span.text.startswith(_REQUEST_STARTS):
                return None
            self._fuzzy()
            if self.refs.named:
                return 0.9, i
            grounded = self.context.featured is not None or bool(self.refs.values)
            if grounded and self._command_like({i} | self.refs.used()):
                return 0.9, i
            return None
        if kind is None and not self.question and self._terse_claim():
            return 0.75, lead
        return None

    def _terse_claim(self) -> bool:
        """A keyword-less claim such as ``101 L``, ``black M x2`` or ``+1``."""
        refs = self.refs
        has_anchor = bool(refs.explicit) or any(
            opt and not self.spans[i].has("interjection") for i, _, opt in refs.values
        )
        if not has_anchor:
            has_anchor = any(
                _TERSE_TOKEN_RE.fullmatch(s.text) and not s.text.isdigit() for s in self.spans
            )
        if not has_anchor and refs.titles:
            # "2 mugs please", "mug please": a named product with a count or a request word
            has_anchor = any(
                s.text.isdigit() or s.has("number") or s.has("please") for s in self.spans
            )
        if not has_anchor and self.context.featured is not None:
            # "2 please", "one please": a count asked for politely means the featured product
            has_anchor = any(s.has("please") for s in self.spans) and any(
                s.text.isdigit() or s.has("number") for s in self.spans
            )
        if not has_anchor:
            return False
        for span in self.spans:
            entry = span.entry
            if entry is not None and not entry.categories & COMMAND_WORD_CATEGORIES:
                return False
        if not self._command_like(refs.used()):
            return False
        return not self._bare_option() or self._featured_offers()

    def _bare_option(self) -> bool:
        """Whether the only catalog word is one option value ("m", "L", "gg"), nothing else.

        A lone size is how a buyer claims the featured product in a comment-selling show, and
        how chat says "loss" or "medium what?" when nothing is featured.
        """
        refs = self.refs
        if refs.explicit or refs.titles or len(refs.values) != 1:
            return False
        return not any(_TERSE_TOKEN_RE.fullmatch(s.text) or s.has("number") for s in self.spans)

    def _featured_offers(self) -> bool:
        """Whether the featured product offers every option value the message names."""
        choice, _ = self._resolve()
        return choice.source == "featured" and not choice.unmatched
