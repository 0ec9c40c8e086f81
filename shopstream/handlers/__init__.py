"""Intent handlers: what shopstream does with each chat event."""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from chat_commands.intents import (
    Buy,
    Cancel,
    Cart,
    Help,
    Intent,
    ModCommand,
    NoIntent,
    Question,
    Waitlist,
)
from chat_commands.parse import ParseContext, parse
from connectors.events import ChatEnded, ChatMessage, MessageDeleted, Reply, UserBanned
from shopstream.handlers.asking import (
    featured_handle,
    handle_help,
    handle_mod,
    handle_question,
)
from shopstream.handlers.buying import (
    PreparedClaim,
    finish_buy,
    handle_cancel,
    handle_cart,
    prepare_buy,
)
from shopstream.handlers.context import ShowServices
from shopstream.handlers.control import ShowControl
from shopstream.runtime.supervisor import Envelope
from shopstream.show.cooldowns import ClaimThrottle, Cooldowns
from shopstream.storage.errors import is_transient
from shopstream.storage.unit import on_rollback

_LOGGER = logging.getLogger(__name__)

__all__ = ["ChatHandler", "Mark", "ShowControl", "ShowServices"]

_PARSED_MAX = 100_000


@dataclass(frozen=True, slots=True)
class Mark:
    """What the bot understood a message as (``intent``) and what it did (``outcome``);
    for a buy, the product and variant titles and the quantity claimed."""

    intent: str
    outcome: str
    product: str = ""
    variant: str = ""
    qty: int = 0


class ChatHandler:
    """Parse each message once and act on its intent (runs in the pipeline's worker thread)."""

    def __init__(
        self,
        services: ShowServices,
        control: ShowControl,
        *,
        cooldowns: Cooldowns,
        throttle: ClaimThrottle,
        shared_answers: frozenset[str] = frozenset(),
    ) -> None:
        self.svc = services
        # platforms whose Shared Chat questions get answers (connectors.<p>.shared_chat_answers)
        self.shared_answers = shared_answers
        # Shared Chat messages handled, per platform (each once, whatever a retry repeats)
        self.shared_chat: Counter[str] = Counter()
        self._shared_seen: dict[tuple[str, str], None] = {}
        self.control = control
        self.cooldowns = cooldowns
        self.throttle = throttle
        self.last_intent: dict[str, str] = {}
        # what each message was understood as and what came of it, for a live view: kept
        # only while ``keep_marks`` is set, taken (popped) by the view after the commit
        self.keep_marks = False
        self.marks: dict[tuple[str, str], Mark] = {}
        # intents parsed ahead (while a message waits at the fairness gate), by message
        self._parsed: dict[tuple[str, str], tuple[object, str | None, Intent]] = {}

    def context(self) -> ParseContext:
        """The parse context for the show as it stands now."""
        return ParseContext(
            index=self.svc.catalog.index,
            featured=featured_handle(self.svc, self.control),
            languages=self.svc.parser.languages,
            config=self.svc.parser,
        )

    def needs_order(self, envelope: Envelope) -> bool:
        """Whether ``envelope`` must wait its turn at the fairness gate.

        Claims, carts, cancels and moderator commands change stock or the show, so they are
        handled in platform-time order; questions and chatter are answered at once. The
        message is parsed here, while it waits, and the intent is kept for handling.
        """
        event = envelope.event
        if not isinstance(event, ChatMessage):
            return True  # deletions and bans come after what they concern
        if len(self._parsed) >= _PARSED_MAX:  # the oldest go first: never grows without
            del self._parsed[next(iter(self._parsed))]  # bound (a stalled pipeline, duplicates)
        context = self.context()
        intent = parse(event.text, context)
        key = (event.platform, event.message_id)
        self._parsed[key] = (context.index, context.featured, intent)
        if event.shared:
            return False  # never changes stock or the show: answered at once, or not at all
        return not isinstance(intent, Question | Help | NoIntent)

    def _intent(self, event: ChatMessage) -> Intent:
        """The message's intent: parsed ahead if the show's context is still the same."""
        context = self.context()
        ahead = self._parsed.pop((event.platform, event.message_id), None)
        if ahead is not None:
            index, featured, intent = ahead
            if index is context.index and featured == context.featured:
                return intent
        return parse(event.text, context)

    def handle_many(self, envelopes: Sequence[Envelope]) -> list[Sequence[Reply] | Exception]:
        """Act on a batch of events in order; each gets its replies (or the error it raised).

        Consecutive buy messages are claimed together (one hold-book transaction for the
        run), which is what keeps a flash drop fast; the outcomes are the same as claiming
        them one by one in the same order.
        """
        point = self.control.savepoint()
        # moderator commands and drop counts live in memory: undone with a failed unit
        on_rollback(self.svc.records.engine, lambda: self.control.rollback_to(point))
        with self.svc.links.batch():  # the batch's short links: one insert at its end
            return self._handle_many(envelopes)

    def _handle_many(self, envelopes: Sequence[Envelope]) -> list[Sequence[Reply] | Exception]:
        results: list[Sequence[Reply] | Exception] = []
        run: list[tuple[int, PreparedClaim]] = []
        for envelope in envelopes:
            results.append(())
            event = envelope.event
            try:
                if not isinstance(event, ChatMessage):
                    self._flush(run, results)
                    results[-1] = self._platform_event(event)
                    continue
                intent = self._intent(event)
                if event.shared:
                    self._flush(run, results)
                    key, replies = self._shared(event, intent)
                elif isinstance(intent, Buy | Waitlist):
                    prepared = prepare_buy(self.svc, self.control, self.throttle, event, intent)
                    if isinstance(prepared, PreparedClaim) and not prepared.drop_open:
                        run.append((len(results) - 1, prepared))  # claimed with its run
                        continue
                    self._flush(run, results)
                    claim = None
                    if isinstance(prepared, PreparedClaim):  # a drop counts units one by one
                        claim = prepared
                        outcome = self.svc.holds.claim(claim.request)
                        key, replies = finish_buy(self.svc, self.control, claim, outcome)
                    else:
                        key, replies = prepared
                    self._mark(event, intent.intent, key, claim, intent.product)
                    results[-1] = replies
                    continue
                else:
                    self._flush(run, results)
                    key, replies = self._act(event, intent)
                self._mark(event, intent.intent, key)
                results[-1] = replies
            except Exception as exc:  # one bad message never takes the batch down
                if is_transient(exc):
                    raise  # the database, not the message: the pipeline retries the batch
                _LOGGER.exception("handling %r failed", event)
                results[-1] = exc
        self._flush(run, results)
        return results

    def _flush(
        self, run: list[tuple[int, PreparedClaim]], results: list[Sequence[Reply] | Exception]
    ) -> None:
        """Claim a run of prepared buys in one go and finish each."""
        if not run:
            return
        claims = list(run)
        run.clear()
        try:
            outcomes = self.svc.holds.claim_many([c.request for _, c in claims])
        except Exception as exc:
            if is_transient(exc):
                raise  # nothing of the run was claimed: the pipeline retries the batch
            _LOGGER.exception("claiming a run of %d buys failed", len(claims))
            for slot, _ in claims:
                results[slot] = exc
            return
        for (slot, prepared), outcome in zip(claims, outcomes, strict=True):
            try:
                key, replies = finish_buy(self.svc, self.control, prepared, outcome)
                self._mark(prepared.msg, prepared.intent.intent, key, prepared)
                results[slot] = replies
            except Exception as exc:
                if is_transient(exc):
                    raise  # the claim stands; the retry reads its first outcome again
                _LOGGER.exception("finishing claim %s failed", prepared.request.claim_key)
                results[slot] = exc

    def _mark(
        self,
        msg: ChatMessage,
        intent: str,
        outcome: str,
        claim: PreparedClaim | None = None,
        handle: str | None = None,
    ) -> None:
        self.svc.records.mark_message(msg.platform, msg.message_id, intent=intent, outcome=outcome)
        if not self.keep_marks:
            return
        if len(self.marks) >= _PARSED_MAX:  # a view that stopped taking them: the oldest go
            with contextlib.suppress(RuntimeError, StopIteration):  # the view takes one too
                self.marks.pop(next(iter(self.marks)), None)
        if claim is not None:
            mark = Mark(intent, outcome, claim.product.title, claim.variant, claim.request.quantity)
        else:
            product = self.svc.catalog.products.get(handle) if handle else None
            mark = Mark(intent, outcome, product.title if product else (handle or ""), "", 0)
        self.marks[(msg.platform, msg.message_id)] = mark

    def _platform_event(self, event: MessageDeleted | UserBanned | ChatEnded) -> list[Reply]:
        """A deletion or ban cancels the claims it concerns; the end of a chat is audited."""
        if isinstance(event, MessageDeleted):
            self._cancel_claim(f"{event.platform}:{event.message_id}", "message_deleted")
        elif isinstance(event, UserBanned):
            for hold in self.svc.holds.cancel_by_viewer(event.platform, event.author_id):
                self.svc.records.set_claim_status(hold.claim_key, "cancelled")
            self.svc.records.audit("viewer_banned", platform=event.platform, actor=event.author_id)
        else:
            self.svc.records.audit("chat_ended", platform=event.platform, subject=event.channel)
        return []

    def _shared(self, msg: ChatMessage, intent: Intent) -> tuple[str, list[Reply]]:
        """A message typed in a Shared Chat partner's channel: its viewer is theirs, so it
        never claims, cancels or commands here; a question is answered only where the
        platform's ``shared_chat_answers`` setting says so."""
        key = (msg.platform, msg.message_id)
        if key not in self._shared_seen:
            if len(self._shared_seen) >= _PARSED_MAX:
                del self._shared_seen[next(iter(self._shared_seen))]
            self._shared_seen[key] = None
            self.shared_chat[msg.platform] += 1
        if isinstance(intent, Question | Help) and msg.platform in self.shared_answers:
            return self._act(msg, intent)
        return "shared", []

    def _act(self, msg: ChatMessage, intent: object) -> tuple[str, list[Reply]]:
        svc, control = self.svc, self.control
        if isinstance(intent, Question):
            return "answered", handle_question(svc, control, self.cooldowns, msg, intent)
        if isinstance(intent, Cart):
            return "cart", handle_cart(svc, msg, intent)
        if isinstance(intent, Cancel):
            return "cancelled", handle_cancel(svc, msg, intent)
        if isinstance(intent, Help):
            return "help", handle_help(svc, control, self.cooldowns, msg, intent)
        if isinstance(intent, ModCommand):
            return handle_mod(svc, control, msg, intent)
        assert isinstance(intent, NoIntent)
        return "none", []

    def _cancel_claim(self, claim_key: str, why: str) -> None:
        for hold in self.svc.holds.cancel_by_claim(claim_key):
            self.svc.records.set_claim_status(hold.claim_key, "cancelled")
        self.svc.records.set_claim_status(claim_key, "cancelled")
        self.svc.records.audit(why, subject=claim_key)
