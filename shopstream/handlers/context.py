"""What every intent handler needs: the services of one running show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from chat_commands.config import ParserConfig
from checkout_links.service import CheckoutLinks
from connectors.events import ChatMessage, Priority, Reply
from shop_sync.config import HoldConfig
from shop_sync.holds import HoldBook
from shopstream.catalog import LiveCatalog
from shopstream.replies.templates import Templates
from shopstream.show.config import FaqConfig
from shopstream.storage.records import Records


@dataclass(slots=True)
class ShowServices:
    """Everything handlers use, built once by :mod:`shopstream.app`."""

    show_id: str
    records: Records
    holds: HoldBook
    hold_config: HoldConfig
    catalog: LiveCatalog
    links: CheckoutLinks
    templates: Templates
    parser: ParserConfig
    faq: FaqConfig
    store_url: str
    clock: Callable[[], datetime]
    private_link_platforms: frozenset[str] = field(default_factory=lambda: frozenset({"facebook"}))

    def reply(
        self,
        msg: ChatMessage,
        kind: str,
        text: str,
        *,
        priority: Priority = Priority.ANSWER,
        short: str | None = None,
        private: bool = False,
    ) -> Reply:
        """A reply to ``msg``: threaded to it where possible, keyed so it is sent once."""
        return Reply(
            platform=msg.platform,
            channel=msg.channel,
            text=text,
            key=f"{kind}:{msg.platform}:{msg.message_id}",
            reply_to_id=msg.message_id,
            mention=msg.author_name,
            recipient_id=msg.author_id,
            private=private,
            priority=priority,
            short=short,
            created_at=self.clock(),
        )
