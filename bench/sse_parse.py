"""Facebook SSE parser on one endless line: ``python -m bench.sse_parse`` prints the seconds.

A ``live_comments`` stream that sends a line without a newline (a broken proxy, a hostile
peer) must cost the parser time in proportion to the bytes, not to their square (issue 15).
The line is fed in 4 KiB chunks, as an HTTP client hands them over, and a short event after it
shows that the stream goes on.
"""

from __future__ import annotations

import argparse
import time

from connectors.facebook.sse import SseParser

CHUNK = 4 << 10


def feed_one_line(size: int, chunk: int = CHUNK) -> tuple[float, int, int]:
    """Feed ``size`` bytes without a newline, then one good event.

    Returns (seconds for the long line, events after it, lines the parser dropped).
    """
    parser = SseParser()
    block = b"x" * chunk
    started = time.perf_counter()
    parser.feed(b"data: ")
    for _ in range(size // chunk):
        parser.feed(block)
    elapsed = time.perf_counter() - started
    after = parser.feed(b"\n\ndata: next\n\n")
    return elapsed, len(after), getattr(parser, "dropped_lines", 0)


def main() -> None:
    """Print the time to feed 1 MiB (or ``--mib``) without a newline in 4 KiB chunks."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--mib", type=float, default=1.0, help="size of the line in MiB")
    size = int(args.parse_args().mib * (1 << 20))
    elapsed, after, dropped = feed_one_line(size)
    print(
        f"sse_parse: {size / (1 << 20):g} MiB without a newline in {CHUNK // 1024} KiB chunks: "
        f"{elapsed:.3f} s ({size / max(elapsed, 1e-9) / (1 << 20):.1f} MiB/s); "
        f"events after it: {after}, lines dropped: {dropped}"
    )


if __name__ == "__main__":
    main()
