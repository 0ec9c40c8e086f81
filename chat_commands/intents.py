"""The intents a chat message can carry, as frozen values the application acts on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar


class QuestionKind(StrEnum):
    """What a shopper asks about."""

    PRICE = "price"
    STOCK = "stock"
    OPTIONS = "options"
    SHIPPING = "shipping"
    LINK = "link"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class Buy:
    """A claim: the viewer wants ``quantity`` of one product.

    ``variant_id``/``sku`` are set when every option is known; otherwise ``missing`` names
    the options still to ask for (in the product's option order). ``product`` is ``None``
    when the reference fits several products (see ``candidates``) or none is named or
    featured. ``options`` maps option names to the values the viewer gave.
    """

    intent: ClassVar[str] = "buy"

    product: str | None
    variant_id: str | None = None
    sku: str | None = None
    quantity: int = 1
    missing: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    confidence: float = 1.0
    language: str | None = None
    options: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """A shopper question, about the named product or else the featured one."""

    intent: ClassVar[str] = "question"

    kind: QuestionKind
    product: str | None
    variant_id: str | None = None
    sku: str | None = None
    candidates: tuple[str, ...] = ()
    confidence: float = 1.0
    language: str | None = None
    options: Mapping[str, str] = field(default_factory=dict, hash=False)
    #: Option words the viewer named that the product does not offer ("is L left?" of a
    #: one-size serum), as typed: the answer says so instead of answering for all variants.
    not_offered: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Cart:
    """The viewer asks what they hold."""

    intent: ClassVar[str] = "cart"

    confidence: float = 1.0
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancel:
    """The viewer releases all their holds (``product is None``) or those of one product."""

    intent: ClassVar[str] = "cancel"

    product: str | None = None
    candidates: tuple[str, ...] = ()
    confidence: float = 1.0
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Help:
    """The viewer asks how buying works."""

    intent: ClassVar[str] = "help"

    confidence: float = 1.0
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Waitlist:
    """The viewer asks to be told (and held stock) when a variant is back."""

    intent: ClassVar[str] = "waitlist"

    product: str | None
    variant_id: str | None = None
    sku: str | None = None
    missing: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    confidence: float = 1.0
    language: str | None = None
    options: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModCommand:
    """A host/moderator show-control command (``!feature 101``, ``!drop 101 20 2``...).

    The parser only recognises the name and splits the arguments (as typed); whether the
    author may run it and whether the arguments make sense is the application's call.
    """

    intent: ClassVar[str] = "mod"

    name: str
    args: tuple[str, ...] = ()
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NoIntent:
    """Ordinary chatter (or a reason why the message is not a command)."""

    intent: ClassVar[str] = "none"

    reason: str = ""
    language: str | None = None


Intent = Buy | Question | Cart | Cancel | Help | Waitlist | ModCommand | NoIntent
