"""Scheduler jobs called directly, and one check that APScheduler registers them all."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from shopstream.show.config import SchedulerConfig
from shopstream.show.run_of_show import ScheduledDrop, Timer, parse_run_of_show
from shopstream.show.scheduler import (
    ChatActivity,
    DropJob,
    ShowJobs,
    TimerJob,
    build_scheduler,
    guarded,
)

ROS = parse_run_of_show(
    'lineup = [{code = "101", handle = "tee"}]\n'
    '[[drops]]\nat = "+00:15:00"\ncode = "101"\nqty = 20\n'
    '[[timers]]\nevery_minutes = 10\ntext = "Buy now"\nmin_chat_messages = 3\n'
)


async def test_timer_speaks_only_when_chat_was_active() -> None:
    said: list[str] = []

    async def announce(text: str) -> None:
        said.append(text)

    activity = ChatActivity()
    job = TimerJob(Timer(every_minutes=10, text="Buy now", min_chat_messages=3), activity, announce)
    assert await job() is False
    activity.note(2)
    assert await job() is False
    activity.note()
    assert await job() is True
    assert await job() is False  # the counter restarts after an announcement
    assert said == ["Buy now"]


async def test_timer_needs_at_least_one_message_even_with_zero_minimum() -> None:
    said: list[str] = []

    async def announce(text: str) -> None:
        said.append(text)

    activity = ChatActivity()
    job = TimerJob(Timer(every_minutes=1, text="hi"), activity, announce)
    assert await job() is False
    activity.note()
    assert await job() is True


async def test_drop_job_opens_the_drop() -> None:
    opened: list[ScheduledDrop] = []

    async def open_drop(drop: ScheduledDrop) -> None:
        opened.append(drop)

    await DropJob(ROS.drops[0], open_drop)()
    assert opened == [ROS.drops[0]]


async def test_guarded_job_logs_failures_and_returns_none(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def boom() -> int:
        raise RuntimeError("store down")

    async def fine() -> int:
        return 4

    with caplog.at_level(logging.ERROR, logger="shopstream.show.scheduler"):
        assert await guarded("holds:expire", boom)() is None
    assert "holds:expire failed" in caplog.text
    assert caplog.records[0].exc_info is not None
    assert await guarded("holds:expire", fine)() == 4


async def test_scheduler_registers_every_job_and_runs_due_ones() -> None:
    ran: dict[str, int] = {"remind": 0, "expire": 0, "offer": 0}
    expired = asyncio.Event()

    async def count(name: str) -> int:
        ran[name] += 1
        if name == "expire":
            expired.set()
        return 0

    async def noop(_: object) -> None:
        return None

    jobs = ShowJobs(
        open_drop=noop,
        announce=noop,
        remind=lambda: count("remind"),
        expire=lambda: count("expire"),
        offer_waitlist=lambda: count("offer"),
    )
    start = datetime.now(UTC)
    config = SchedulerConfig(expiry_sweep_seconds=0.05)
    scheduler = build_scheduler(ROS, jobs, start=start, activity=ChatActivity(), config=config)
    ids = {job.id for job in scheduler.get_jobs()}
    assert ids == {"drop:0:101", "timer:0", "holds:remind", "holds:expire", "waitlist:offer"}
    scheduler.start()
    try:
        drop = scheduler.get_job("drop:0:101")
        assert isinstance(drop.trigger, DateTrigger)
        assert drop.next_run_time == start + timedelta(minutes=15)
        timer = scheduler.get_job("timer:0")
        assert isinstance(timer.trigger, IntervalTrigger)
        assert timer.trigger.interval == timedelta(minutes=10)
        await asyncio.wait_for(expired.wait(), 5)
    finally:
        scheduler.shutdown(wait=False)
    assert ran["expire"] >= 1


async def test_the_webhook_inbox_job_runs_on_its_interval() -> None:
    tried = asyncio.Event()

    async def noop(_: object = None) -> int:
        return 0

    async def inbox() -> int:
        tried.set()
        return 0

    jobs = ShowJobs(
        open_drop=noop,
        announce=noop,
        remind=noop,
        expire=noop,
        offer_waitlist=noop,
        webhooks=inbox,
    )
    config = SchedulerConfig(webhook_inbox_seconds=0.05)
    scheduler = build_scheduler(
        ROS, jobs, start=datetime.now(UTC), activity=ChatActivity(), config=config
    )
    job = scheduler.get_job("webhooks:inbox")
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.interval == timedelta(seconds=0.05)
    scheduler.start()
    try:
        await asyncio.wait_for(tried.wait(), 5)
    finally:
        scheduler.shutdown(wait=False)
