"""Which Facebook replies go privately: the checkout link of every held buyer (a claim held at
once, or a hold granted from the waitlist); a waitlist place or a sold-out notice publicly."""

from __future__ import annotations

from dataclasses import replace

from connectors.events import Reply
from shopstream.core import Core
from shopstream.handlers.hold_notices import offer_waitlist
from shopstream.runtime.supervisor import Envelope
from tests.app.test_flash_claims import _buy, _show


def _replies(core: Core, n: int, text: str, viewer: int | None = None) -> list[Reply]:
    envelope = _buy(n, "facebook", text)
    if viewer is not None:
        msg = replace(envelope.event, author_id=f"facebook-viewer-{viewer}")  # type: ignore[type-var]
        envelope = Envelope(envelope.connector, msg)
    core.records.take_messages([envelope.event])  # type: ignore[list-item]
    with core.records.batch():
        [result] = core.handler.handle_many([envelope])
    assert not isinstance(result, Exception), result
    return list(result)


async def test_every_held_buyer_gets_the_link_privately(sqlite_db_url: str) -> None:
    async with _show("private-links", sqlite_db_url, units=1) as core:
        [held] = _replies(core, 1, "sold 201")
        [place] = _replies(core, 2, "sold 201")
        _replies(core, 3, "!cancel", viewer=1)  # viewer 2 moves up from the waitlist
        with core.records.batch():
            [promoted] = offer_waitlist(core.handler.svc)
        [another] = _replies(core, 4, "sold 201")
    assert held.private and "yours" in held.text
    assert not place.private and "waitlist" in place.text
    assert promoted.private and promoted.reply_to_id == "facebook-2"
    assert promoted.key.startswith("waitlist_promoted:")
    assert not another.private  # a waitlist place or sold out: nothing personal to hide
