"""Random sequences of claims, cancels, expiries, sales and restocks keep the stock books exact."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import SQLModel

from shop_sync.config import HoldConfig
from shop_sync.hold_types import ClaimRequest
from shop_sync.holds import WAITS, HoldBook
from shop_sync.stock import HOLDS, STOCK
from shopstream.storage import make_engine
from tests.fuzz import examples
from tests.support.clock import T0, FakeClock

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("claim"), st.integers(0, 5), st.integers(1, 3)),
        st.tuples(st.just("restock"), st.integers(0, 8), st.just(0)),
        st.tuples(st.just("wait"), st.integers(60, 1200), st.just(0)),
        st.tuples(st.just("cancel"), st.integers(0, 5), st.just(0)),
        st.tuples(st.just("sell"), st.integers(0, 5), st.just(0)),
        st.tuples(st.just("delete"), st.integers(0, 25), st.just(0)),
        st.tuples(st.just("release"), st.integers(0, 5), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


def _check(book: HoldBook, engine: object) -> None:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        stock = conn.execute(select(STOCK).where(STOCK.c.variant_id == "v")).one()
        active = conn.execute(
            select(func.coalesce(func.sum(HOLDS.c.quantity), 0)).where(
                HOLDS.c.variant_id == "v", HOLDS.c.status == "active"
            )
        ).scalar_one()
        waiting = conn.execute(
            select(func.count()).select_from(WAITS).where(WAITS.c.status == "waiting")
        ).scalar_one()
    assert stock.reserved == active
    assert stock.waiting == waiting
    head = book.waitlist("v")[:1]
    free = book.free_stock("v")
    assert free is not None
    assert not head or head[0].quantity > free  # nobody waits for stock that is free


@settings(max_examples=examples(40))
@given(ops=OPS)
@example(ops=[("restock", 1, 0), ("claim", 0, 1), ("claim", 0, 1), ("sell", 0, 0)])
@example(
    ops=[
        ("restock", 0, 0),
        ("claim", 0, 1),
        ("claim", 1, 2),
        ("claim", 0, 1),
        ("restock", 2, 0),
        ("cancel", 1, 0),
    ]
)
def test_books_stay_exact(ops: list[tuple[str, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'p.db'}")
        SQLModel.metadata.create_all(engine)
        clock = FakeClock()
        book = HoldBook(engine, clock=clock, config=HoldConfig(max_per_product=3))
        book.set_stock("v", 4)
        for n, (op, a, b) in enumerate(ops):
            if op == "claim":
                out = book.claim(
                    ClaimRequest(
                        claim_key=f"yt:{n}",
                        platform="yt",
                        viewer_id=f"u{a}",
                        viewer_name="U",
                        variant_id="v",
                        product_handle="p",
                        quantity=b,
                        show_id="s",
                        sent_at=T0 + timedelta(seconds=n),
                    )
                )
                if out.kind == "held":
                    with engine.connect() as conn:
                        s = conn.execute(select(STOCK).where(STOCK.c.variant_id == "v")).one()
                    assert s.reserved + s.pending_sold <= s.sellable
            elif op == "restock":
                book.set_stock("v", a, level_at=clock())
            elif op == "wait":
                clock.advance(a)
                book.expire_due()
            elif op == "cancel":
                book.cancel(viewer_id=f"u{a}", platform="yt")
            elif op == "delete":  # a moderator deleted message number a
                book.cancel_by_claim(f"yt:{a}")
            elif op == "release":
                for hold in book.active_holds(platform="yt", viewer_id=f"u{a}")[:1]:
                    book.release(hold.hold_id, by="mod")
            elif op == "sell":
                holds = book.active_holds(platform="yt", viewer_id=f"u{a}")
                if holds:
                    book.convert([holds[0].hold_id], f"o{n}", ordered_at=clock())
            _check(book, engine)
        book.close()
        engine.dispose()
