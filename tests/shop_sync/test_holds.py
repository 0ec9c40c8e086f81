"""The hold book keeps its promises: atomic claims, caps, TTL, waitlists and sales."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shop_sync.hold_types import ClaimRequest
from shop_sync.holds import HoldBook, hold_ids_from_note
from tests.support.clock import T0, FakeClock


def req(
    n: int,
    *,
    viewer: str = "",
    variant: str = "44001",
    qty: int = 1,
    platform: str = "yt",
    handle: str = "classic-tee",
    show: str = "s1",
    sent: int | None = None,
) -> ClaimRequest:
    return ClaimRequest(
        claim_key=f"{platform}:m{n}",
        platform=platform,
        viewer_id=viewer or f"v{n}",
        viewer_name=f"Viewer {n}",
        variant_id=variant,
        product_handle=handle,
        quantity=qty,
        show_id=show,
        sent_at=T0 + timedelta(milliseconds=sent if sent is not None else n),
    )


def test_claims_hold_until_stock_runs_out_then_waitlist(book: HoldBook) -> None:
    book.set_stock("44001", 2, sku="CT-S-RED", product_handle="classic-tee")
    kinds = [book.claim(req(i)).kind for i in range(4)]
    assert kinds == ["held", "held", "waitlisted", "waitlisted"]
    out = book.claim(req(9))
    assert out.waitlist_position == 3 and out.available_after == 0
    assert book.free_stock("44001") == 0


def test_a_repeated_claim_returns_the_first_outcome(book: HoldBook) -> None:
    book.set_stock("44001", 5)
    first = book.claim(req(1))
    again = book.claim(req(1))
    assert first.kind == again.kind == "held" and not first.duplicate and again.duplicate
    assert first.hold is not None and again.hold is not None
    assert again.hold.hold_id == first.hold.hold_id
    assert book.free_stock("44001") == 4


def test_unknown_variant_and_bad_quantity_are_invalid(book: HoldBook) -> None:
    assert book.claim(req(1, variant="nope")).reason == "unknown_variant"
    book.set_stock("44001", 5)
    assert book.claim(req(2, qty=0)).kind == "invalid"
    assert book.free_stock("44001") == 5


@pytest.mark.parametrize(
    ("quantities", "expected"),
    [
        ([1, 1, 1, 1], ["held", "held", "held", "capped"]),
        ([2, 2], ["held", "capped"]),
        ([4], ["capped"]),
    ],
)
def test_per_product_cap(book: HoldBook, quantities: list[int], expected: list[str]) -> None:
    book.set_stock("44001", 50)
    got = [book.claim(req(i, viewer="alice", qty=q)).kind for i, q in enumerate(quantities)]
    assert got == expected


def test_per_show_cap_counts_products_together(engine, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from shop_sync.config import HoldConfig

    book = HoldBook(engine, clock=clock, config=HoldConfig(max_per_product=3, max_per_show=4))
    book.set_stock("a", 10)
    book.set_stock("b", 10)
    assert book.claim(req(1, viewer="bob", variant="a", handle="tee", qty=3)).kind == "held"
    out = book.claim(req(2, viewer="bob", variant="b", handle="mug", qty=2))
    assert (out.kind, out.reason) == ("capped", "per_show")
    assert book.claim(req(3, viewer="bob", variant="b", handle="mug", qty=1)).kind == "held"


def test_unlimited_variant_always_holds(book: HoldBook) -> None:
    book.set_stock("44001", None)
    out = book.claim(req(1, qty=3))
    assert out.kind == "held" and out.available_after is None


def test_expiry_returns_stock_and_promotes_in_sent_order(book: HoldBook, clock: FakeClock) -> None:
    book.set_stock("44001", 1)
    held = book.claim(req(1))
    assert held.hold is not None
    # arrivals out of platform order: m3 was typed before m2
    book.claim(req(2, sent=500))
    book.claim(req(3, sent=400))
    clock.advance(899)
    assert book.expire_due() == []
    clock.advance(1)
    expired = book.expire_due()
    assert [h.hold_id for h in expired] == [held.hold.hold_id]
    promoted = book.take_promotions()
    assert [h.claim_key for h in promoted] == ["yt:m3"]
    assert promoted[0].expires_at == clock.now + timedelta(minutes=15)
    assert [w.claim_key for w in book.waitlist("44001")] == ["yt:m2"]


def test_restock_promotes_as_many_as_returned(book: HoldBook) -> None:
    book.set_stock("44001", 0)
    for i in range(5):
        assert book.claim(req(i)).kind == "waitlisted"
    promoted = book.set_stock("44001", 3)
    assert [h.claim_key for h in promoted] == ["yt:m0", "yt:m1", "yt:m2"]
    assert book.free_stock("44001") == 0
    assert len(book.waitlist("44001")) == 2


def test_waitlist_is_strict_fifo_on_quantity(book: HoldBook) -> None:
    book.set_stock("44001", 0)
    book.claim(req(1, qty=2))
    book.claim(req(2, qty=1))
    assert book.set_stock("44001", 1) == []
    assert [h.claim_key for h in book.set_stock("44001", 3)] == ["yt:m1", "yt:m2"]


def test_new_claims_do_not_jump_the_waitlist(book: HoldBook) -> None:
    book.set_stock("44001", 0)
    book.claim(req(1, qty=2))
    book.set_stock("44001", 1)
    assert book.claim(req(2)).kind == "waitlisted"


def test_buyer_cancel_moderator_release_and_ban(book: HoldBook) -> None:
    book.set_stock("44001", 10)
    book.set_stock("44002", 10)
    a = book.claim(req(1, viewer="ann"))
    book.claim(req(2, viewer="ann", variant="44002", handle="hoodie"))
    cancelled = book.cancel(viewer_id="ann", platform="yt", product_handle="classic-tee")
    assert [h.status for h in cancelled] == ["cancelled"]
    assert a.hold is not None and cancelled[0].hold_id == a.hold.hold_id
    assert [h.product_handle for h in book.active_holds(platform="yt", viewer_id="ann")] == [
        "hoodie"
    ]
    b = book.claim(req(3, viewer="ben"))
    assert b.hold is not None
    released = book.release(b.hold.hold_id, by="mod:kim")
    assert released is not None and released.status == "released"
    assert book.release(b.hold.hold_id, by="mod:kim") is None
    assert len(book.cancel_by_viewer("yt", "ann")) == 1
    assert book.free_stock("44001") == 10 and book.free_stock("44002") == 10


def test_deleted_message_cancels_its_claim_and_waitlist_entry(book: HoldBook) -> None:
    book.set_stock("44001", 1)
    book.claim(req(1))
    book.claim(req(2))
    left = book.cancel_by_claim("yt:m2")
    assert [h.status for h in left] == ["left_waitlist"]
    assert book.waitlist("44001") == []
    assert [h.status for h in book.cancel_by_claim("yt:m1")] == ["cancelled"]
    assert book.free_stock("44001") == 1


def test_reminders_go_out_once(book: HoldBook, clock: FakeClock) -> None:
    book.set_stock("44001", 5)
    book.claim(req(1))
    clock.advance(60)
    book.claim(req(2))
    clock.advance(720)  # first hold expires in 120 s, second in 180 s
    assert [h.claim_key for h in book.due_reminders(timedelta(seconds=120))] == ["yt:m1"]
    assert book.due_reminders(timedelta(seconds=120)) == []
    clock.advance(60)
    assert [h.claim_key for h in book.due_reminders(timedelta(seconds=120))] == ["yt:m2"]


def test_sale_is_not_counted_twice_order_first(book: HoldBook, clock: FakeClock) -> None:
    book.set_stock("44001", 3)
    held = book.claim(req(1))
    assert held.hold is not None
    clock.advance(30)
    converted = book.convert([held.hold.hold_id], "order-1", ordered_at=clock.now)
    assert [h.status for h in converted] == ["converted"]
    assert book.free_stock("44001") == 2  # the store's level does not show the sale yet
    clock.advance(1)
    book.set_stock("44001", 2, level_at=clock.now)  # inventory_levels/update after the order
    assert book.free_stock("44001") == 2
    assert book.convert([held.hold.hold_id], "order-1") == []  # a duplicate order webhook
    assert book.free_stock("44001") == 2


def test_sale_is_not_counted_twice_level_first(book: HoldBook, clock: FakeClock) -> None:
    book.set_stock("44001", 3)
    held = book.claim(req(1))
    assert held.hold is not None
    clock.advance(30)
    order_at = clock.now
    clock.advance(1)
    book.set_stock("44001", 2, level_at=clock.now)  # the level update overtook the order webhook
    assert book.free_stock("44001") == 1
    book.convert([held.hold.hold_id], "order-1", ordered_at=order_at)
    assert book.free_stock("44001") == 2


def test_an_older_level_does_not_settle_a_newer_sale(book: HoldBook, clock: FakeClock) -> None:
    book.set_stock("44001", 3)
    held = book.claim(req(1))
    assert held.hold is not None
    before = clock.now
    clock.advance(30)
    book.convert([held.hold.hold_id], "order-1", ordered_at=clock.now)
    book.set_stock("44001", 3, level_at=before)  # a reconcile read taken before the order
    assert book.free_stock("44001") == 2


def test_hold_ids_from_note_attributes() -> None:
    note = [
        {"name": "stream", "value": "yt"},
        {"name": "_shopstream_hold", "value": "abc, def"},
        "junk",
    ]
    assert hold_ids_from_note(note, "_shopstream_hold") == ["abc", "def"]
    assert hold_ids_from_note(None, "_shopstream_hold") == []


def test_claim_many_matches_one_by_one(book: HoldBook) -> None:
    book.set_stock("44001", 3)
    reqs = [req(1), req(2, viewer="ann"), req(3, viewer="ann", qty=3), req(1), req(4), req(5)]
    outcomes = book.claim_many([*reqs, req(9, variant="nope"), req(10, qty=0)])
    assert [(o.kind, o.duplicate) for o in outcomes] == [
        ("held", False),
        ("held", False),
        ("capped", False),  # ann would hold 4 of the product
        ("held", True),  # the same message again: its first outcome
        ("held", False),
        ("waitlisted", False),
        ("invalid", False),
        ("invalid", False),
    ]
    assert outcomes[5].waitlist_position == 1
    assert book.free_stock("44001") == 0
    again = book.claim_many([req(2), req(5)])
    assert [(o.kind, o.duplicate) for o in again] == [("held", True), ("waitlisted", True)]


def test_waitlist_positions_follow_the_platform_timestamps(book: HoldBook) -> None:
    """A position counts who waits with an earlier (or equal) timestamp, however the claims
    arrive, and leaving the list moves everyone behind up; one by one and in bursts."""
    book.set_stock("44001", 1)
    assert book.claim(req(0, sent=0)).kind == "held"
    assert book.claim(req(1, sent=10)).waitlist_position == 1
    assert book.claim(req(2, sent=30)).waitlist_position == 2
    assert book.claim(req(3, sent=20)).waitlist_position == 2  # late, but sent before 30
    assert book.claim(req(4, sent=20)).waitlist_position == 3  # a tie counts as earlier
    assert [w.viewer_id for w in book.cancel(viewer_id="v1", platform="yt")] == ["v1"]
    burst = book.claim_many([req(5, sent=40), req(6, sent=5), req(7, sent=50)])
    assert [o.waitlist_position for o in burst] == [4, 1, 6]
