"""Issue 19's wrong answers, through the real handler over a real database and the sandbox store.

Each case is a line a merchant saw answered wrongly in a rehearsal: a stock question about a
size a one-size product lacks, ``!cart`` with nothing held, ``!cancel`` of a waitlist place.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from shopstream.core import Core
from shopstream.runtime.supervisor import Envelope
from tests.app.test_flash_claims import _buy, _show


def _say(core: Core, n: int, text: str, viewer: int | None = None) -> str:
    """One message from viewer ``viewer`` (default ``n``); the text of every reply to it."""
    envelope = _buy(n, "twitch", text)
    if viewer is not None:
        msg = replace(envelope.event, author_id=f"twitch-viewer-{viewer}")  # type: ignore[type-var]
        envelope = Envelope(envelope.connector, msg)
    core.records.take_messages([envelope.event])  # type: ignore[list-item]
    with core.records.batch():
        [result] = core.handler.handle_many([envelope])
    assert not isinstance(result, Exception), result
    return " | ".join(reply.text for reply in result)


async def test_a_size_the_featured_product_lacks_is_named_not_ignored(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    async with _show("answers-size", sqlite_db_url, units=20) as core:  # 201 Glow Serum
        said = _say(core, 1, "is L still available?")
    assert said == "Glow Serum doesn't come in L. Glow Serum: 20 left"


async def test_an_empty_cart_says_so(tmp_path: Path, sqlite_db_url: str) -> None:
    async with _show("answers-cart", sqlite_db_url, units=5) as core:
        said = _say(core, 1, "!cart")
    assert said == "Nothing is held for you right now: type !buy and a product code to claim."


async def test_cancelling_a_waitlist_place_calls_it_a_place(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    async with _show("answers-place", sqlite_db_url, units=1) as core:
        assert "yours" in _say(core, 1, "sold 201")
        assert "waitlist" in _say(core, 2, "sold 201")
        said = _say(core, 3, "!cancel", viewer=2)
        held = _say(core, 4, "!cancel", viewer=1)
    assert said == "Your waitlist place for Glow Serum is cancelled."
    assert held == "Your hold on Glow Serum is cancelled."


async def test_chatter_that_mentions_sold_out_gets_no_answer(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    async with _show("answers-chatter", sqlite_db_url, units=0) as core:
        assert _say(core, 1, "sold out already? wow") == ""
        assert _say(core, 2, "gg") == ""
        assert _say(core, 3, "is it sold out already?") == "Glow Serum is sold out"
