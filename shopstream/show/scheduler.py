"""Scheduled show jobs on APScheduler 3: drops, chat-gated timers, hold reminders and sweeps.

The jobs are plain async callables built from functions the application supplies, so each
can be tested by calling it; :func:`build_scheduler` only registers them on an
``AsyncIOScheduler`` (start it inside the running event loop, shut it down at the end).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from shopstream.show.config import SchedulerConfig
from shopstream.show.run_of_show import RunOfShow, ScheduledDrop, Timer

_LOGGER = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class ChatActivity:
    """Counts chat messages so timers speak only when chat is active.

    The app calls :meth:`note` for each chat message (any platform).
    """

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def note(self, messages: int = 1) -> None:
        """Count ``messages`` more chat messages."""
        self.count += messages


class TimerJob:
    """Announce a timer's text if chat saw enough messages since its last announcement.

    At least one message is always required, so a silent chat is never spammed.
    """

    def __init__(
        self, timer: Timer, activity: ChatActivity, announce: Callable[[str], Awaitable[object]]
    ) -> None:
        self.timer = timer
        self.activity = activity
        self.announce = announce
        self._mark = activity.count

    async def __call__(self) -> bool:
        """Run once; return whether the announcement was made."""
        seen = self.activity.count - self._mark
        if seen < max(1, self.timer.min_chat_messages):
            _LOGGER.debug("timer skipped: %d chat messages since the last one", seen)
            return False
        self._mark = self.activity.count
        await self.announce(self.timer.text)
        return True


class DropJob:
    """Open one scheduled drop (the app's ``open_drop`` updates state and announces it)."""

    def __init__(
        self, drop: ScheduledDrop, open_drop: Callable[[ScheduledDrop], Awaitable[object]]
    ) -> None:
        self.drop = drop
        self.open_drop = open_drop

    async def __call__(self) -> None:
        """Open the drop."""
        _LOGGER.info(
            "scheduled drop: %d x %s (cap %d)", self.drop.qty, self.drop.code, self.drop.cap
        )
        await self.open_drop(self.drop)


def guarded(name: str, job: Job) -> Callable[[], Awaitable[object | None]]:
    """Wrap ``job`` so a failure is logged with its traceback and the next run still happens."""

    async def run() -> object | None:
        try:
            return await job()
        except Exception:
            _LOGGER.exception("show job %s failed; it runs again on schedule", name)
            return None

    run.__name__ = f"show_job_{name.replace(':', '_')}"
    return run


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowJobs:
    """What the app supplies to the scheduler.

    Attributes:
        open_drop: Open a scheduled drop (state, announcement).
        announce: Post a timer's text on every platform.
        remind: Remind buyers whose holds expire soon; returns how many.
        expire: Release expired holds; returns how many.
        offer_waitlist: Offer released stock to the waitlist; returns how many.
        webhooks: Apply the webhooks whose retry is due (the inbox worker); None: no job.
    """

    open_drop: Callable[[ScheduledDrop], Awaitable[object]]
    announce: Callable[[str], Awaitable[object]]
    remind: Job
    expire: Job
    offer_waitlist: Job
    webhooks: Job | None = None


def build_scheduler(
    run_of_show: RunOfShow,
    jobs: ShowJobs,
    *,
    start: datetime,
    activity: ChatActivity,
    config: SchedulerConfig | None = None,
    scheduler: AsyncIOScheduler | None = None,
) -> AsyncIOScheduler:
    """Register the show's jobs on an ``AsyncIOScheduler`` (not started).

    Job ids: ``drop:<n>:<code>``, ``timer:<n>``, ``holds:remind``, ``holds:expire``,
    ``waitlist:offer`` and ``webhooks:inbox``.

    Args:
        run_of_show: Drops and timers.
        jobs: The app's callables.
        start: When the show started (aware UTC); drop times count from it.
        activity: The chat-activity counter the timers read.
        config: Intervals.
        scheduler: An existing scheduler to add to (default: a new UTC one).

    Returns:
        The scheduler; call ``start()`` inside the running event loop.
    """
    config = config or SchedulerConfig()
    if scheduler is None:
        scheduler = AsyncIOScheduler(timezone="UTC")
    common = {
        "misfire_grace_time": config.misfire_grace_seconds,
        "coalesce": True,
        "max_instances": 1,
        "replace_existing": True,
    }
    for n, drop in enumerate(run_of_show.drops):
        job_id = f"drop:{n}:{drop.code}"
        scheduler.add_job(
            guarded(job_id, DropJob(drop, jobs.open_drop)),
            DateTrigger(run_date=start + drop.at),
            id=job_id,
            **common,
        )
    for n, timer in enumerate(run_of_show.timers):
        every = timedelta(minutes=timer.every_minutes)
        scheduler.add_job(
            guarded(f"timer:{n}", TimerJob(timer, activity, jobs.announce)),
            IntervalTrigger(seconds=every.total_seconds(), start_date=start + every),
            id=f"timer:{n}",
            **common,
        )
    periodic = [
        ("holds:remind", jobs.remind, config.reminder_every_seconds),
        ("holds:expire", jobs.expire, config.expiry_sweep_seconds),
        ("waitlist:offer", jobs.offer_waitlist, config.waitlist_every_seconds),
    ]
    if jobs.webhooks is not None:
        periodic.append(("webhooks:inbox", jobs.webhooks, config.webhook_inbox_seconds))
    for job_id, job, seconds in periodic:
        scheduler.add_job(
            guarded(job_id, job),
            IntervalTrigger(seconds=seconds, start_date=start + timedelta(seconds=seconds)),
            id=job_id,
            **common,
        )
    return scheduler
