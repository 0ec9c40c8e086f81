"""The drill's independent checker: what viewers typed against what the database and the
emulators hold. Pure: no I/O, nothing from the app's own counters.

Inputs are what the drill logged itself (:class:`Typed`, :class:`Fault`, :class:`Sample` of
the status endpoint, :class:`Delivery` of each webhook and the answer it got), rows read
from the database with SQL (:class:`ClaimRow`, :class:`HoldRow`, short links, applied
webhook ids) and what each emulated chat received from the bot (:class:`Sent`).

A buyer is told when a message the platform accepted carries the short link of their hold
(``/l/<code>``; the link rows say which holds a code stands for). Each viewer types one buy,
so two holds for one viewer are a duplicate hold, and two accepted messages carrying one
hold's link are a duplicate reply. A duplicate whose first copy went out at most
``window`` seconds before a ``kill -9`` is inside the documented window (sent, but the
mark was not yet durable); any other is outside it.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

LINK = re.compile(r"/l/([A-Za-z0-9_.~-]+)")
KILL = "bot_kill9"
QUOTA = "youtube_quota"
QUOTA_GRACE = 30.0  # YouTube replies still queued this long before quotaExceeded wait too
NONE = "(no fault)"


@dataclass(frozen=True, slots=True)
class Typed:
    """One buy a viewer typed (``at``: UNIX seconds). ``heard``: False for a Twitch line no live
    client was connected to receive (Twitch does not replay chat)."""

    platform: str
    message_id: str
    viewer: str
    at: float
    heard: bool = True


@dataclass(frozen=True, slots=True)
class ClaimRow:
    platform: str
    message_id: str
    status: str
    created_at: float


@dataclass(frozen=True, slots=True)
class HoldRow:
    hold_id: str
    platform: str
    viewer_id: str
    status: str
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Sent:
    """A message an emulated chat accepted from the bot."""

    platform: str
    text: str
    at: float


@dataclass(frozen=True, slots=True)
class Delivery:
    """A webhook the store emulator posted; ``status`` the HTTP answer (0: unreachable)."""

    webhook_id: str
    status: int
    at: float


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected fault. ``watch`` names the status row to look at (a prefix of its name)
    and what shows the fault there: ``down`` (status not ``ok``), ``skipped`` (its skip count
    grows) or ``back`` (the status endpoint answers again, after a kill)."""

    kind: str
    at: float
    watch: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    """One read of the status endpoint: each row's (status, skipped); None: no answer."""

    at: float
    rows: Mapping[str, tuple[str, int]] | None


@dataclass(slots=True)
class KindFigures:
    faults: int = 0
    typed: int = 0
    lost: int = 0
    unheard: int = 0
    shown: list[float] = field(default_factory=list)
    not_shown: int = 0
    next_claim: list[float] = field(default_factory=list)
    no_next_claim: int = 0
    silent: list[float] = field(default_factory=list)  # longest time /status did not answer


@dataclass(slots=True)
class Report:
    typed: int = 0
    unheard: int = 0  # Twitch lines typed while no client was connected: excepted
    unheard_by: Counter[str] = field(default_factory=Counter)
    untold_after_quota: int = 0  # YouTube holds whose reply waits for the quota reset
    unread_at_quota: int = 0  # YouTube lines typed before quotaExceeded, not yet read: wait
    claims_lost: int = 0
    unheard_recorded: int = 0  # excepted lines the bot got anyway (a later reconnect)
    claims_without_hold: Counter[str] = field(default_factory=Counter)
    duplicate_holds: int = 0
    duplicate_replies: int = 0  # outside the window
    duplicate_replies_in_window: int = 0
    held_untold: int = 0
    webhooks_sent: int = 0
    webhooks_refused: int = 0  # answered non-2xx at least once: Shopify sends them again
    webhooks_lost: int = 0  # answered 2xx, never applied
    kinds: dict[str, KindFigures] = field(default_factory=dict)
    lost_examples: list[str] = field(default_factory=list)


def _fault_of(at: float, faults: Sequence[Fault]) -> str:
    last = _last_fault(at, faults)
    return NONE if last is None else last.kind


def _last_fault(at: float, faults: Sequence[Fault]) -> Fault | None:
    last = None
    for fault in faults:
        if fault.at > at:
            break
        last = fault
    return last


def _lost_example(line: Typed, faults: Sequence[Fault]) -> str:
    """``platform:id`` and when it was typed: after which fault, before which (the fault
    that lost it may be the next one: a kill while it waited in the bot)."""
    last = _last_fault(line.at, faults)
    following = next((f for f in faults if f.at > line.at), None)
    when = [] if last is None else [f"{line.at - last.at:.2f} s after {last.kind}"]
    if following is not None:
        when.append(f"{following.at - line.at:.2f} s before {following.kind}")
    return (
        f"{line.platform}:{line.message_id} ({', '.join(when)})"
        if when
        else (f"{line.platform}:{line.message_id}")
    )


def _shows(fault: Fault, sample: Sample, before: Mapping[str, tuple[str, int]] | None) -> bool:
    assert fault.watch is not None
    prefix, what = fault.watch
    if what == "back":
        return sample.rows is not None
    if sample.rows is None:
        return False
    rows = [(name, row) for name, row in sample.rows.items() if name.startswith(prefix)]
    if what == "down":
        return any(status != "ok" for _, (status, _) in rows)
    earlier = {n: r[1] for n, r in (before or {}).items()}
    return any(skipped > earlier.get(name, 0) for name, (_, skipped) in rows)


def status_latency(fault: Fault, until: float, samples: Sequence[Sample]) -> float | None:
    """Seconds from ``fault`` until a status sample shows it (None: not before ``until``)."""
    if fault.watch is None:
        return None
    before: Mapping[str, tuple[str, int]] | None = None
    for sample in samples:
        if sample.at < fault.at:
            if sample.rows is not None:
                before = sample.rows
            continue
        if sample.at >= until:
            break
        if _shows(fault, sample, before):
            return sample.at - fault.at
    return None


def longest_silence(at: float, until: float, samples: Sequence[Sample]) -> float:
    """The longest stretch in [at, until) in which the status endpoint did not answer."""
    longest = 0.0
    since: float | None = None
    for sample in samples:
        if sample.at < at:
            continue
        if sample.at >= until:
            break
        if sample.rows is None:
            since = sample.at if since is None else since
            longest = max(longest, sample.at - since)
        else:
            if since is not None:
                longest = max(longest, sample.at - since)
            since = None
    return longest


def told_holds(sent: Iterable[Sent], links: Mapping[str, Sequence[str]]) -> dict[str, list[Sent]]:
    """Each hold id and the accepted messages that carried its link, oldest first."""
    told: dict[str, list[Sent]] = defaultdict(list)
    for message in sorted(sent, key=lambda s: s.at):
        holds = {h for code in LINK.findall(message.text) for h in links.get(code, ())}
        for hold in holds:
            told[hold].append(message)
    return told


def check(
    *,
    typed: Sequence[Typed],
    claims: Sequence[ClaimRow],
    holds: Sequence[HoldRow],
    links: Mapping[str, Sequence[str]],
    sent: Sequence[Sent],
    deliveries: Sequence[Delivery],
    applied: set[str],
    faults: Sequence[Fault],
    samples: Sequence[Sample],
    window: float = 2.0,
) -> Report:
    """Count what was lost or duplicated, and per fault kind how fast it showed."""
    faults = sorted(faults, key=lambda f: f.at)
    samples = sorted(samples, key=lambda s: s.at)
    report = Report()
    kinds = report.kinds
    for fault in faults:
        kinds.setdefault(fault.kind, KindFigures()).faults += 1
    recorded = {(c.platform, c.message_id): c for c in claims}
    quota_at = min((f.at for f in faults if f.kind == QUOTA), default=float("inf"))
    # YouTube reads in order: a line typed after the last one read before quotaExceeded
    # waits, behind the durable read position, for the quota reset (not lost)
    youtube_read = max(
        (t.at for t in typed if t.platform == "youtube" and (t.platform, t.message_id) in recorded),
        default=float("-inf"),
    )
    for line in typed:
        figures = kinds.setdefault(_fault_of(line.at, faults), KindFigures())
        key = (line.platform, line.message_id)
        if (
            line.heard
            and line.platform == "youtube"
            and key not in recorded
            and youtube_read < line.at < quota_at
            and line.at >= quota_at - QUOTA_GRACE
        ):
            report.unread_at_quota += 1
            continue
        if not line.heard:
            report.unheard += 1
            report.unheard_by[line.platform] += 1
            figures.unheard += 1
            report.unheard_recorded += key in recorded
            continue
        report.typed += 1
        figures.typed += 1
        if key not in recorded:
            report.claims_lost += 1
            figures.lost += 1
            if len(report.lost_examples) < 10:
                report.lost_examples.append(_lost_example(line, faults))
        elif recorded[key].status != "held":
            report.claims_without_hold[recorded[key].status] += 1
    per_viewer = Counter((h.platform, h.viewer_id) for h in holds)
    report.duplicate_holds = sum(n - 1 for n in per_viewer.values() if n > 1)
    told = told_holds(sent, links)
    kills = [f.at for f in faults if f.kind == KILL]
    quota = min((f.at for f in faults if f.kind == QUOTA), default=float("inf"))
    for hold in holds:
        messages = told.get(hold.hold_id, [])
        if not messages:
            if hold.status != "active":
                continue
            if hold.platform == "youtube" and hold.created_at >= quota - QUOTA_GRACE:
                report.untold_after_quota += 1
            else:
                report.held_untold += 1
            continue
        for first, again in itertools.pairwise(messages):
            if any(first.at <= k <= first.at + window and k <= again.at for k in kills):
                report.duplicate_replies_in_window += 1
            else:
                report.duplicate_replies += 1
    report.webhooks_sent = len({d.webhook_id for d in deliveries})
    answered = {d.webhook_id for d in deliveries if 200 <= d.status < 300}
    report.webhooks_refused = len({d.webhook_id for d in deliveries if not 200 <= d.status < 300})
    report.webhooks_lost = len(answered - applied)
    claim_times = sorted(c.created_at for c in claims)
    for n, fault in enumerate(faults):
        until = faults[n + 1].at if n + 1 < len(faults) else float("inf")
        figures = kinds[fault.kind]
        latency = status_latency(fault, until, samples)
        figures.silent.append(longest_silence(fault.at, until, samples))
        if fault.watch is not None:
            if latency is None:
                figures.not_shown += 1
            else:
                figures.shown.append(latency)
        following = next((t for t in claim_times if t > fault.at), None)
        if following is None:
            figures.no_next_claim += 1
        else:
            figures.next_claim.append(following - fault.at)
    return report


def _ms(values: Sequence[float]) -> str:
    if not values:
        return "-"
    return f"{1000 * statistics.median(values):.0f}/{1000 * max(values):.0f}"


def table(report: Report) -> list[str]:
    """The report as text lines: one row per fault kind, then the totals."""
    head = (
        f"{'fault kind':24} {'n':>4} {'typed':>6} {'lost':>5} {'unheard':>7} "
        f"{'status shown':>12} {'status ms p50/max':>18} {'next claim ms p50/max':>22}"
        f" {'no status ms max':>16}"
    )
    lines = [head, "-" * len(head)]
    for kind, f in sorted(report.kinds.items()):
        shown = f"{len(f.shown)}/{len(f.shown) + f.not_shown}" if f.shown or f.not_shown else "-"
        lines.append(
            f"{kind:24} {f.faults:>4} {f.typed:>6} {f.lost:>5} {f.unheard:>7} {shown:>12} "
            f"{_ms(f.shown):>18} {_ms(f.next_claim):>22}"
            f" {1000 * max(f.silent, default=0):>16.0f}"
            + (f"  ({f.no_next_claim} never)" if f.no_next_claim else "")
        )
    lines += [
        "",
        f"buys typed {report.typed} (+{report.unheard} excepted: {dict(report.unheard_by)};"
        f" Twitch while disconnected, YouTube after quotaExceeded;"
        f" {report.unheard_recorded} of those recorded anyway;"
        f" {report.unread_at_quota} YouTube lines typed before quotaExceeded and not yet read"
        " wait for the reset)",
        f"claims lost {report.claims_lost}"
        + (f" e.g. {', '.join(report.lost_examples[:5])}" if report.lost_examples else ""),
        f"claims recorded without a hold {dict(report.claims_without_hold) or 0}",
        f"duplicate holds {report.duplicate_holds}",
        f"duplicate replies {report.duplicate_replies} outside the window"
        f" ({report.duplicate_replies_in_window} inside it)",
        f"held claims never told {report.held_untold}"
        f" (+{report.untold_after_quota} YouTube replies waiting for the quota reset)",
        f"webhooks sent {report.webhooks_sent}, refused (re-sent as Shopify would)"
        f" {report.webhooks_refused}, lost {report.webhooks_lost}",
    ]
    return lines


DB_OUTAGE_KINDS = ("pg_restart", "pg_terminate", "sqlite_lock", "webhook_db_down")
DB_STATUS_SECONDS = 1.0


def misses(report: Report) -> list[str]:
    """The targets the run missed (issue 15), one line each."""
    out: list[str] = []
    for name, value in (
        ("claims lost", report.claims_lost),
        ("duplicate holds", report.duplicate_holds),
        ("duplicate replies outside the window", report.duplicate_replies),
        ("held claims never told", report.held_untold),
        ("webhooks lost", report.webhooks_lost),
    ):
        if value:
            out.append(f"{name}: {value} (target 0)")
    for kind in DB_OUTAGE_KINDS:
        f = report.kinds.get(kind)
        if f is None:
            continue
        late = sum(1 for s in f.shown if s > DB_STATUS_SECONDS) + f.not_shown
        if late:
            out.append(
                f"{kind}: status showed the outage within {DB_STATUS_SECONDS:.0f} s"
                f" in {f.faults - late} of {f.faults}"
            )
    return out
