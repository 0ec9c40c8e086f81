"""The outbox against a send budget (``limits.sends_left``): pure planning, then a fake sender."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from connectors.errors import RateLimited
from connectors.events import Priority, Reply, SendResult
from connectors.limits import PlatformLimits
from shopstream.outbox import Outbox, SendRecord, find_violations
from shopstream.outbox.budget import BudgetPolicy, Need, plan, share
from tests.support.clock import FakeClock

C, Q, A = Priority.CLAIM, Priority.ANSWER, Priority.ANNOUNCEMENT
PACED = PlatformLimits(max_messages=100, window_seconds=30.0, max_chars=200, min_interval_seconds=1)


# --- pure planning ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "demand", "reserve", "expected"),
    [
        (8, {C: 2, Q: 2, A: 2}, 3, {C: 2, Q: 2, A: 1}),  # announcements leave the reserve
        (10, {C: 2, Q: 2, A: 2}, 0, {C: 2, Q: 2, A: 2}),  # enough for all
        (4, {C: 3, Q: 3, A: 2}, 0, {C: 3, Q: 1, A: 0}),  # claims first, then answers
        (4, {C: 3, Q: 3, A: 2}, 3, {C: 3, Q: 0, A: 0}),  # the last sends wait for claims
        (2, {C: 5, Q: 1}, 0, {C: 2, Q: 0, A: 0}),  # claims alone exceed the budget
        (3, {Q: 2, A: 2}, 3, {C: 0, Q: 0, A: 0}),  # no claim queued: still keep the reserve
        (5, {Q: 2, A: 2}, 3, {C: 0, Q: 2, A: 0}),
        (0, {C: 1, Q: 1, A: 1}, 0, {C: 0, Q: 0, A: 0}),  # spent
        (-1, {C: 1}, 0, {C: 0, Q: 0, A: 0}),  # a connector that overspent: nothing
    ],
)
def test_share_goes_to_claims_then_answers_then_announcements(
    left: int, demand: dict[Priority, int], reserve: int, expected: dict[Priority, int]
) -> None:
    assert share(left, demand, claim_reserve=reserve) == expected


def needs(*spec: tuple[str, Priority, int]) -> list[Need]:
    return [Need(key, priority, messages) for key, priority, messages in spec]


@pytest.mark.parametrize(
    ("left", "queued", "reserve", "shed", "scarce"),
    [
        (50, needs(("c1", C, 1), ("q1", Q, 1), ("a1", A, 1)), 3, (), False),
        (4, needs(("c1", C, 1), ("q1", Q, 1), ("a1", A, 1)), 3, ("q1", "a1"), False),
        (5, needs(("c1", C, 1), ("q1", Q, 1), ("a1", A, 1)), 3, ("a1",), False),
        (5, needs(("c1", C, 1), ("q1", Q, 1), ("a1", A, 1)), 0, (), False),
        (3, needs(("c1", C, 5), ("q1", Q, 1)), 0, ("q1",), True),  # claims are never shed
        (0, needs(("c1", C, 1), ("q1", Q, 1)), 0, ("q1",), True),
        # a reply that does not fit what its priority may spend goes; a smaller one may fit
        (2, needs(("q1", Q, 3), ("q2", Q, 1), ("q3", Q, 1)), 0, ("q1",), True),
        (2, needs(("c1", C, 1)), 3, (), True),  # within the claim reserve: coalesce harder
    ],
)
def test_plan_sheds_what_the_budget_cannot_cover(
    left: int, queued: list[Need], reserve: int, shed: tuple[str, ...], scarce: bool
) -> None:
    decision = plan(left, queued, claim_reserve=reserve)
    assert decision.shed == shed
    assert decision.scarce is scarce
    kept = [n for n in queued if n.key not in shed and n.priority is not C]
    assert sum(n.messages for n in kept) <= max(0, left)  # lower priorities fit the budget


@pytest.mark.parametrize(
    ("budgets", "problems"),
    [
        ((None, None), 0),  # no budget declared
        ((3, 2, 1), 0),
        ((1, 0), 1),  # handed over with nothing left
        ((0, 0), 2),
    ],
)
def test_violations_count_sends_past_the_budget(
    budgets: tuple[int | None, ...], problems: int
) -> None:
    records = [
        SendRecord(at=float(i), text=f"m{i}", keys=(f"k{i}",), sends_left=left)
        for i, left in enumerate(budgets)
    ]
    assert len(find_violations(records, PACED)) == problems


# --- the outbox against a sender with a budget -----------------------------------------------


class BudgetSender:
    """A connector whose budget falls by one per send and changes at scheduled clock times.

    It refuses (``RateLimited``) a send the budget cannot cover, as YouTube's connector does.
    """

    def __init__(
        self,
        clock: FakeClock,
        budget: int,
        *,
        changes: dict[float, int] | None = None,
        limits: PlatformLimits = PACED,
    ) -> None:
        self.clock = clock
        self.budget = budget
        self.changes = dict(changes or {})
        self.base = limits
        self.sent: list[Reply] = []
        self.refused = 0

    def _apply(self) -> None:
        for at in sorted(self.changes):
            if self.clock.monotonic() >= at:
                self.budget = self.changes.pop(at)

    @property
    def limits(self) -> PlatformLimits:
        self._apply()
        return replace(self.base, sends_left=self.budget)

    async def send(self, reply: Reply) -> SendResult:
        self._apply()
        if self.budget < 1:
            self.refused += 1
            raise RateLimited("quota", retry_after=3600.0, platform="youtube")
        self.budget -= 1
        self.sent.append(reply)
        return SendResult(sent=True, platform_message_id=f"m{len(self.sent)}")


def make(
    sender_budget: int,
    *,
    changes: dict[float, int] | None = None,
    limits: PlatformLimits = PACED,
    policy: BudgetPolicy | None = None,
) -> tuple[Outbox, BudgetSender, FakeClock]:
    clock = FakeClock()
    sender = BudgetSender(clock, sender_budget, changes=changes, limits=limits)
    outbox = Outbox(
        sender,
        platform="youtube",
        channel="chan",
        budget=policy,
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall=clock,
    )
    return outbox, sender, clock


def reply(key: str, priority: Priority = C, **kw: object) -> Reply:
    return Reply(
        platform="youtube",
        channel="chan",
        text=f"text {key}",
        key=key,
        priority=priority,
        **kw,  # type: ignore[arg-type]
    )


async def test_a_short_budget_goes_to_claims_and_is_never_overspent() -> None:
    outbox, sender, _ = make(4)
    for key in ("a1", "a2"):
        await outbox.put(reply(key, A))
    for key in ("q1", "q2", "q3"):
        await outbox.put(reply(key, Q))
    for key in ("c1", "c2", "c3"):
        await outbox.put(reply(key, C))
    await outbox.flush()
    assert [r.key for r in sender.sent] == ["c1", "c2", "c3"]
    stats = outbox.stats
    assert stats.budget_skipped == 5  # answers and announcements the budget could not cover
    assert stats.sends_left == 1  # kept for a claim still to come
    await outbox.put(reply("c4", C))
    await outbox.put(reply("a3", A))
    await outbox.flush()
    assert [r.key for r in sender.sent] == ["c1", "c2", "c3", "c4"]
    await outbox.put(reply("c5", C))
    await outbox.flush()  # returns: the claim waits for the budget
    assert outbox.pending == 1
    assert sender.refused == 0 and outbox.stats.retries == 0
    stats = outbox.stats
    assert stats.sends_left == 0 and stats.budget_waits >= 1 and stats.budget_skipped == 6
    assert stats.violations == 0 and outbox.violations() == []


async def test_a_budget_that_shrinks_mid_show_then_renews() -> None:
    # another app spends the quota at t+1.5; the daily reset renews it at t+3600
    start = FakeClock().monotonic()
    outbox, sender, clock = make(20, changes={start + 1.5: 2, start + 3600: 50})
    for i in range(5):
        await outbox.put(reply(f"c{i}", C))
    for i in range(5):
        await outbox.put(reply(f"q{i}", Q))
    await outbox.flush()
    # c0 and c1 went at +0 s and +1 s (1 s apart); at +2 s the budget was 2
    assert [r.key for r in sender.sent] == ["c0", "c1", "c2", "c3"]
    assert [r.sends_left for r in outbox.log] == [20, 19, 2, 1]
    assert outbox.stats.budget_skipped == 5 and outbox.pending == 1
    assert sender.refused == 0
    clock.advance(start + 3600 - clock.monotonic())
    await outbox.flush()
    assert [r.key for r in sender.sent][-1] == "c4" and outbox.pending == 0
    assert outbox.stats.sends_left == 49
    assert outbox.violations() == []


async def test_run_waits_for_the_budget_to_renew() -> None:
    start = FakeClock().monotonic()
    outbox, sender, clock = make(0, changes={start + 95: 5})
    await outbox.put(reply("c1", C))
    await outbox.put(reply("q1", Q))
    task = asyncio.create_task(outbox.run())
    try:
        async with asyncio.timeout(5):
            await outbox.drained()
    finally:
        task.cancel()
    assert [r.key for r in sender.sent] == ["c1"]
    assert outbox.stats.budget_skipped == 1  # the answer could never have been covered
    assert clock.monotonic() >= start + 95 and sender.refused == 0
    assert clock.sleeps.count(30.0) >= 3  # rechecked every recheck_seconds
    assert outbox.stats.budget_waits >= 3


async def test_scarce_sends_wait_to_carry_more_buyers() -> None:
    """Claims arrive one a second; with a budget of two the first waits for company."""

    async def scenario(budget: int | None) -> tuple[list[Reply], Outbox]:
        clock = FakeClock()
        sender = BudgetSender(clock, budget if budget is not None else 0)
        arrivals = [reply(f"c{i}", mention=f"v{i}", short=f"M s.io/{i}") for i in range(4)]
        box: Outbox

        async def sleep(seconds: float) -> None:  # viewers keep buying while the outbox waits
            end = clock.monotonic() + max(0.0, seconds)
            while arrivals and clock.monotonic() + 1.0 <= end:
                clock.advance(1.0)
                await box.put(arrivals.pop(0))
            await clock.sleep(end - clock.monotonic())

        box = Outbox(
            sender if budget is not None else _Unbudgeted(sender),
            platform="youtube",
            channel="chan",
            clock=clock.monotonic,
            sleep=sleep,
            wall=clock,
        )
        await box.put(arrivals.pop(0))
        while arrivals or box.pending:
            await box.flush()
            if arrivals:
                await sleep(1.0)
        return sender.sent, box

    budgeted, box = await scenario(2)
    assert len(budgeted) == 1  # one message for all four buyers
    assert all(f"@v{i} M s.io/{i}" in budgeted[0].text for i in range(4))
    assert box.stats.coalesced_buyers == 4 and box.violations() == []
    free, _ = await scenario(None)
    assert len(free) > 1  # without a budget the first buyer is answered at once


class _Unbudgeted:
    """The same sender declaring no budget (the behaviour without one)."""

    def __init__(self, inner: BudgetSender) -> None:
        self.inner = inner
        self.inner.budget = 10**6

    @property
    def limits(self) -> PlatformLimits:
        return self.inner.base

    async def send(self, reply: Reply) -> SendResult:
        return await self.inner.send(reply)


async def test_a_long_claim_sends_only_the_parts_the_budget_covers() -> None:
    outbox, sender, _ = make(2)
    long = "word " * 120  # 600 chars: three 200-char parts
    await outbox.put(replace(reply("c1", C), text=long))
    await outbox.flush()
    assert len(sender.sent) == 2 and sender.refused == 0
    assert outbox.stats.sent_replies == 1 and outbox.violations() == []


async def test_no_budget_declared_keeps_the_old_behaviour() -> None:
    clock = FakeClock()
    sender = _Unbudgeted(BudgetSender(clock, 0))
    outbox = Outbox(
        sender,
        platform="youtube",
        channel="chan",
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall=clock,
    )
    for i in range(3):
        await outbox.put(reply(f"a{i}", A))
    await outbox.flush()
    stats = outbox.stats
    assert len(sender.inner.sent) == 3
    assert stats.sends_left is None and stats.budget_skipped == 0 and stats.budget_waits == 0
