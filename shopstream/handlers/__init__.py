"""Intent handlers: what shopstream does with each chat event."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from chat_commands.parse import ParseContext, parse

from chat_commands.intents import Buy, Cancel, Cart, Help, ModCommand, NoIntent, Question, Waitlist
from connectors.events import ChatMessage, MessageDeleted, Reply, UserBanned
from shopstream.handlers.asking import (
    featured_handle,
    handle_help,
    handle_mod,
    handle_question,
)
from shopstream.handlers.buying import handle_buy, handle_cancel, handle_cart
from shopstream.handlers.context import ShowServices
from shopstream.handlers.control import ShowControl
from shopstream.runtime.supervisor import Envelope
from shopstream.show.cooldowns import ClaimThrottle, Cooldowns

_LOGGER = logging.getLogger(__name__)

__all__ = ["ChatHandler", "ShowControl", "ShowServices"]


class ChatHandler:
    """Parse each message once and act on its intent (runs in the pipeline's worker thread)."""

    def __init__(
        self,
        services: ShowServices,
        control: ShowControl,
        *,
        cooldowns: Cooldowns,
        throttle: ClaimThrottle,
    ) -> None:
        self.svc = services
        self.control = control
        self.cooldowns = cooldowns
        self.throttle = throttle
        self.last_intent: dict[str, str] = {}

    def context(self) -> ParseContext:
        """The parse context for the show as it stands now."""
        return ParseContext(
            index=self.svc.catalog.index,
            featured=featured_handle(self.svc, self.control),
            languages=self.svc.parser.languages,
            config=self.svc.parser,
        )

    def handle(self, envelope: Envelope) -> Sequence[Reply]:
        """Act on one event and return the replies it calls for."""
        event = envelope.event
        if isinstance(event, MessageDeleted):
            self._cancel_claim(f"{event.platform}:{event.message_id}", "message_deleted")
            return ()
        if isinstance(event, UserBanned):
            for hold in self.svc.holds.cancel_by_viewer(event.platform, event.author_id):
                self.svc.records.set_claim_status(hold.claim_key, "cancelled")
            self.svc.records.audit("viewer_banned", platform=event.platform, actor=event.author_id)
            return ()
        if not isinstance(event, ChatMessage):
            self.svc.records.audit("chat_ended", platform=event.platform, subject=event.channel)
            return ()
        intent = parse(event.text, self.context())
        outcome, replies = self._act(event, intent)
        self.svc.records.mark_message(
            event.platform, event.message_id, intent=intent.intent, outcome=outcome
        )
        return replies

    def _act(self, msg: ChatMessage, intent: object) -> tuple[str, list[Reply]]:
        svc, control = self.svc, self.control
        if isinstance(intent, Buy | Waitlist):
            return handle_buy(svc, control, self.throttle, msg, intent)
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
