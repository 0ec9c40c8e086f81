"""Checkout-link figures: permalinks/s, attributions/s, short-link create/resolve, redirects.

Run: ``python -m bench.links_bench`` (SQLite in a temporary directory; uvicorn on 127.0.0.1).
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import uvicorn
from fastapi import FastAPI
from sqlmodel import SQLModel

from checkout_links.attribution import attribute_order
from checkout_links.lines import LineItem
from checkout_links.permalink import build_cart_permalink
from checkout_links.shortlinks import ShortLinks
from checkout_links.web import shortlink_router
from shopstream.runtime.webserver import listening_socket
from shopstream.storage.engine import make_engine


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s"


def bench_permalinks(n: int = 50_000) -> None:
    lines = [LineItem(variant_id=str(44000000001 + i), quantity=1 + i) for i in range(3)]
    start = time.perf_counter()
    for i in range(n):
        build_cart_permalink(
            "demo.myshopify.com",
            lines,
            hold_ids=[f"h{i}", f"h{i + 1}"],
            show="show-101",
            platform="youtube",
            viewer="v_0123456789abcdef",
            discount="LIVE10",
        )
    print(f"permalink builds (3 lines): {_rate(n, time.perf_counter() - start)}")


def bench_attribution(n: int = 50_000) -> None:
    order = {
        "id": 1,
        "currency": "USD",
        "total_price": "103.00",
        "note_attributes": [
            {"name": "_shopstream_hold", "value": "h1,h2"},
            {"name": "_shopstream_show", "value": "show-101"},
            {"name": "_shopstream_platform", "value": "youtube"},
        ],
        "landing_site": "/cart/1:2?ref=ss%3Ah1%2Ch2&utm_source=youtube&utm_campaign=show-101",
        "line_items": [
            {"variant_id": 44000000001 + i, "product_id": 7, "quantity": 1, "price": "24.00"}
            for i in range(4)
        ],
    }
    start = time.perf_counter()
    for _ in range(n):
        attribute_order(order)
    print(f"order attributions (4 lines): {_rate(n, time.perf_counter() - start)}")


def bench_short_links(tmp: Path, n: int = 2_000, clicks: int = 1_000) -> None:
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    links = ShortLinks(engine, key=b"b" * 32, public_base_url="http://127.0.0.1")
    expires = datetime.now(UTC) + timedelta(hours=1)
    start = time.perf_counter()
    urls = [
        links.create(
            "https://demo.myshopify.com/cart/1:1",
            hold_ids=[f"h{i}"],
            viewer_key="v",
            expires_at=expires,
            show="s",
            platform="youtube",
        )
        for i in range(n)
    ]
    print(f"short links created (SQLite): {_rate(n, time.perf_counter() - start)}")
    codes = [u.rsplit("/", 1)[1] for u in urls]
    start = time.perf_counter()
    for code in codes:
        links.resolve(code)
    print(f"short links resolved + counted (SQLite): {_rate(n, time.perf_counter() - start)}")

    app = FastAPI()
    app.include_router(shortlink_router(links))
    sock = listening_socket("127.0.0.1", 0)  # TCP_NODELAY, as the show's web server
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    latencies: list[float] = []
    with requests.Session() as session:
        for i in range(clicks):
            t0 = time.perf_counter()
            resp = session.get(
                f"http://127.0.0.1:{port}/l/{codes[i % n]}", allow_redirects=False, timeout=10
            )
            latencies.append(time.perf_counter() - t0)
            assert resp.status_code == 200  # the landing page
    server.should_exit = True
    thread.join()
    sock.close()
    engine.dispose()
    q = statistics.quantiles(latencies, n=100)
    print(
        f"GET /l/{{code}} → landing page over HTTP ({clicks} sequential): "
        f"p50 {q[49] * 1000:.2f} ms, p99 {q[98] * 1000:.2f} ms"
    )


def main() -> None:
    """Print every figure."""
    bench_permalinks()
    bench_attribution()
    with tempfile.TemporaryDirectory() as tmp:
        bench_short_links(Path(tmp))


if __name__ == "__main__":
    main()
