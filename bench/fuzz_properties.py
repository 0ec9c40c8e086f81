"""Hunt for counterexamples: ``python -m bench.fuzz_properties`` runs the property tests with
fresh randomness and many more examples than CI does, and prints how many each one ran.

CI runs every property test derandomized (``tests/fuzz.py``): the same examples on every run of
a commit. This command is where new examples come from. By default it runs the pre-filter
property (``test_prefilter_only_drops_chatter``, the one a CI lottery once caught) with at least
100,000 examples, then every other property test at ten times its CI count. A failure prints the
shrunk example and the ``@reproduce_failure`` blob; make it a table test, fix it, run again.

    python -m bench.fuzz_properties                  # the default hunt (15 min on 2 shared cores)
    python -m bench.fuzz_properties --prefilter 1000000 --others 50 -n 2
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFILTER = "tests/chat_commands/test_properties.py::test_prefilter_only_drops_chatter"
PREFILTER_CI_EXAMPLES = 300  # its count in CI (tests/chat_commands/test_properties.py)
PROPERTY_MODULES = [
    "tests/chat_commands/test_properties.py",
    "tests/checkout_links/test_permalink_properties.py",
    "tests/shop_sync/test_holds_property.py",
    "tests/shop_sync/test_mirror.py",
    "tests/show/test_outbox.py",
    "tests/show/test_run_of_show.py",
    "tests/show/test_show_commands.py",
    "tests/connectors/facebook/test_fb_sse.py",
    "tests/connectors/twitch/test_twitch_irc_parse.py",
    "tests/connectors/test_text.py",
]
_STATS_TEST = re.compile(r"^(tests/\S+::\S+):\s*$")
_STATS_PASSING = re.compile(r"(\d+) passing examples?, (\d+) failing examples?")


def run(targets: list[str], scale: int, workers: str, extra: list[str]) -> tuple[int, str]:
    """Run pytest on ``targets`` under the hunt profile; its exit code and output."""
    env = dict(os.environ, SHOPSTREAM_HYPOTHESIS_PROFILE="hunt")
    env["SHOPSTREAM_HYPOTHESIS_SCALE"] = str(scale)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "pytest", "-q", "-n", workers, "-m", "not slow"]
    cmd += ["--hypothesis-show-statistics", "-p", "no:randomly", *extra, *targets]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout + done.stderr


def examples_run(output: str) -> dict[str, tuple[int, int]]:
    """Per test: (passing, failing) examples of the generate phase, from Hypothesis' statistics."""
    counts: dict[str, tuple[int, int]] = {}
    test = None
    for line in output.splitlines():
        head = _STATS_TEST.match(line.strip())
        if head:
            test = head.group(1)
            continue
        found = _STATS_PASSING.search(line)
        if found and test is not None:
            passing, failing = counts.get(test, (0, 0))
            counts[test] = (passing + int(found.group(1)), failing + int(found.group(2)))
    return counts


def main() -> None:
    """Run the hunt and print what it ran and found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefilter", type=int, default=100_000, help="examples of it")
    parser.add_argument("--others", type=int, default=10, help="scale of the other tests")
    parser.add_argument("-n", dest="workers", default="auto", help="pytest-xdist workers")
    args = parser.parse_args()

    scale = -(-args.prefilter // PREFILTER_CI_EXAMPLES)
    failed = False
    for targets, factor, extra in (
        ([PREFILTER], scale, []),
        (PROPERTY_MODULES, args.others, ["--deselect", PREFILTER]),
    ):
        code, output = run(targets, factor, args.workers, extra)
        counts = examples_run(output)
        for test, (passing, failing) in sorted(counts.items()):
            print(f"{passing:>9,} passing {failing:>3} failing  {test}")
        if code != 0:
            failed = True
            print(output[-6000:])
    print("counterexamples found: see above" if failed else "counterexamples found: 0")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
