"""Twitch IRC parse benchmark: ``python -m bench.twitch_irc_parse`` prints lines/s on one core.

A traffic mix shaped like a busy channel (real captured line shapes from twitch-irc-rs, tmi.js and
Chatterino, with fresh ids): 85% PRIVMSG (plain, badges, escaped names, emoji, replies with the
long ``reply-*`` tag set), and JOIN, USERNOTICE, CLEARCHAT, CLEARMSG, USERSTATE, PING.
Target (issue 6): >= 200,000 lines/s parsed; parse + translate is printed too.

Beside it, on the same lines, the parser of the ``irc`` package (jaraco/irc, ``pip install -e
".[bench]"``): the steps its ``ServerConnection`` runs on every received line (its RFC 1459
regexp, then ``Tag.from_group``, ``NickMask.from_group``, ``Command.lookup`` and
``Arguments.from_group``). Target (issue 18): ours stays >= 2x as fast. Both parsers' results
are compared line by line first, so the race is between equal work.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from connectors.twitch.irc import IrcMessage, parse_line
from connectors.twitch.translate import irc_event

PRIVMSG = (
    "@badge-info=;badges=;color=#1E90FF;display-name={name};emotes=;first-msg=0;flags=;"
    "id={id};mod=0;returning-chatter=0;room-id=22484632;subscriber=0;tmi-sent-ts={ts};"
    "turbo=0;user-id={uid};user-type= "
    ":{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #forsen :{text}"
)
PRIVMSG_SUB = (
    "@badge-info=subscriber/22;badges=moderator/1,subscriber/12;color=#19E6E6;"
    "display-name={name};emotes=483:2-3,7-8;flags=;id={id};mod=1;room-id=11148817;subscriber=1;"
    "tmi-sent-ts={ts};turbo=0;user-id={uid};user-type=mod "
    ":{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #pajlada :👉 <3 👉 <3 {text}"
)
PRIVMSG_ESCAPED = (
    r"@badge-info=;badges=;client-nonce=815810609edecdf4537bd9586994182b;color=;"
    r"display-name=Riot\sGames\s;emotes=;flags=;id={id};mod=0;room-id=36029255;subscriber=0;"
    r"tmi-sent-ts={ts};turbo=0;user-id={uid};user-type= "
    ":{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #riotgames :{text}"
)
PRIVMSG_REPLY = (
    "@tmi-sent-ts={ts};subscriber=1;id={id};room-id=11148817;user-id={uid};"
    "display-name={name};badges=subscriber/24;badge-info=subscriber/27;color=#FF0000;flags=;"
    "user-type=;emotes=;reply-parent-display-name=nerixyz;"
    "reply-thread-parent-msg-id=d95d04a6-5c6a-476a-8dbd-7c6d3b3c277f;"
    "reply-thread-parent-user-login=nerixyz;reply-thread-parent-display-name=nerixyz;"
    r"reply-parent-msg-body=is\sthe\shoodie\sin\sstock?;reply-parent-user-login=nerixyz;"
    "reply-parent-user-id=129546453;reply-thread-parent-user-id=129546453;"
    "reply-parent-msg-id=d95d04a6-5c6a-476a-8dbd-7c6d3b3c277f "
    ":{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #pajlada :@nerixyz {text}"
)
OTHER = [
    ":randers811!randers811@randers811.tmi.twitch.tv JOIN #pajlada",
    r"@badge-info=subscriber/8;badges=subscriber/6;color=#0000FF;display-name=Schmoopiie;"
    r"emotes=;flags=;id=7c13fb1b-4bfa-4d5e-9c2e-8a1c1c8a9d8c;login=schmoopiie;mod=0;"
    r"msg-id=resub;msg-param-cumulative-months=7;msg-param-should-share-streak=1;"
    r"msg-param-streak-months=6;msg-param-sub-plan=Prime;"
    r"msg-param-sub-plan-name=Channel\sSubscription\s(Schmoopiie);room-id=20624989;subscriber=1;"
    r"system-msg=Schmoopiie\sjust\ssubscribed!;tmi-sent-ts=1528478521146;user-id=20624989;"
    r"user-type= :tmi.twitch.tv USERNOTICE #schmoopiie :Great stream -- keep it up!",
    "@ban-duration=600;room-id=11148817;target-user-id=148973258;tmi-sent-ts=1594553828245 "
    ":tmi.twitch.tv CLEARCHAT #pajlada :fabzeef",
    "@login=alazymeme;room-id=;target-msg-id=3c92014f-340a-4dc3-a9c9-e5cf182f4a84;"
    "tmi-sent-ts=1594561955611 :tmi.twitch.tv CLEARMSG #pajlada :lole",
    "@badge-info=;badges=moderator/1;color=;display-name=Bot;emote-sets=0;mod=1;subscriber=0;"
    "user-type=mod :tmi.twitch.tv USERSTATE #pajlada",
    "PING :tmi.twitch.tv",
]
TEXTS = ["!buy hoodie M", "SOLD 101 navy XL", "how much is the tee?", "LUL", "Kappa 123 :)",
         "ich nehme 2x die Tasse", "pog", "what sizes are left for the 101?"]  # fmt: skip


def corpus(size: int, seed: int = 6) -> list[str]:
    """Build ``size`` lines of the mix."""
    rng = random.Random(seed)
    templates = [PRIVMSG] * 9 + [PRIVMSG_SUB] * 4 + [PRIVMSG_ESCAPED] * 2 + [PRIVMSG_REPLY] * 2
    lines = []
    for i in range(size):
        if rng.random() < 0.15:
            lines.append(rng.choice(OTHER))
            continue
        login = f"viewer{rng.randrange(100_000)}"
        lines.append(
            rng.choice(templates).format(
                name=login.capitalize(),
                login=login,
                id=uuid.UUID(int=rng.getrandbits(128)),
                ts=1_700_000_000_000 + i,
                uid=rng.randrange(10**8),
                text=rng.choice(TEXTS),
            )
        )
    return lines


def rate(lines: list[str], work: Callable[[str], object], repeats: int) -> float:
    """Best lines/s over ``repeats`` passes."""
    best = 0.0
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            for line in lines:
                work(line)
            best = max(best, len(lines) / (time.perf_counter() - start))
    finally:
        gc.enable()
    return best


def irc_package_parser() -> Callable[[str], object] | None:
    """The ``irc`` package's per-line parsing, or None when it is not installed."""
    try:
        from irc import client, events, message
    except ImportError:
        return None
    # the regexp ServerConnection._process_line matches every line with (the package keeps it
    # module-private; there is no public parse function)
    line_regexp = client._rfc_1459_command_regexp

    def parse(line: str) -> object:
        group = line_regexp.match(line).group
        return (
            message.Tag.from_group(group("tags")),
            client.NickMask.from_group(group("prefix")),
            events.Command.lookup(group("command")),
            message.Arguments.from_group(group("argument")),
        )

    return parse


def race(
    lines: list[str], ours: Callable[[str], object], theirs: Callable[[str], object], repeats: int
) -> tuple[float, float, float]:
    """Both parsers over the same lines, pass after pass in turn (a shared machine's load
    hits both alike): best lines/s of each and the median of the per-pass speed ratios."""
    best_ours = best_theirs = 0.0
    ratios = []
    for _ in range(repeats):
        a = rate(lines, ours, 1)
        b = rate(lines, theirs, 1)
        best_ours, best_theirs = max(best_ours, a), max(best_theirs, b)
        ratios.append(a / b)
    return best_ours, best_theirs, statistics.median(ratios)


def agreement(lines: list[str], theirs: Callable[[str], object]) -> int:
    """How many lines both parsers read alike (tags, source, command, parameters)."""
    same = 0
    for line in lines:
        ours: IrcMessage = parse_line(line)
        tags, source, _, args = theirs(line)  # type: ignore[misc]
        their_tags = {t["key"]: t["value"] or "" for t in tags or []}
        same += (
            ours.tags == their_tags
            and ours.source == (str(source) if source else None)
            and ours.params == list(args or [])
        )
    return same


def main() -> None:
    """Print lines/s for the mix, per line kind, and parse + translate."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    lines = corpus(args.lines)
    now = datetime.now(UTC)

    def parse_and_translate(line: str) -> object:
        return irc_event(parse_line(line), received_at=now, fallback_id="x")

    mix = rate(lines, parse_line, args.repeats)
    print(f"corpus: {len(lines):,} lines, {sum(map(len, lines)) / len(lines):.0f} chars on average")
    print(f"parse, traffic mix:            {mix:>12,.0f} lines/s  (target >= 200,000)")
    both = rate(lines, parse_and_translate, args.repeats)
    print(f"parse + translate, mix:        {both:>12,.0f} lines/s")
    for label, template in (
        ("PRIVMSG, 16 tags", PRIVMSG),
        ("PRIVMSG, escaped name", PRIVMSG_ESCAPED),
        ("PRIVMSG reply, 21 tags", PRIVMSG_REPLY),
    ):
        sample = [
            template.format(name="Alice", login="alice", id=uuid.uuid4(), ts=1, uid=7, text=t)
            for t in TEXTS
        ] * (args.lines // (10 * len(TEXTS)))
        print(f"parse, {label:<24}{rate(sample, parse_line, args.repeats):>12,.0f} lines/s")
    theirs = irc_package_parser()
    ratio = None
    if theirs is None:
        print('the irc package: not installed (pip install -e ".[bench]"), not compared')
    else:
        alike = agreement(lines, theirs)
        ours_best, theirs_best, ratio = race(lines, parse_line, theirs, max(args.repeats, 5))
        print(f"irc package parser, same lines:{theirs_best:>12,.0f} lines/s"
              f"  (read alike: {alike:,} of {len(lines):,} lines)")  # fmt: skip
        print(f"ours, raced pass for pass:     {ours_best:>12,.0f} lines/s")
        print(f"ours / irc package (median):   {ratio:>12.2f}x  (target >= 2x)")
    ok = mix >= 200_000 and (ratio is None or ratio >= 2)
    print("PASS" if ok else "BELOW TARGET")


if __name__ == "__main__":
    main()
