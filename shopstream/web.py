"""The shopstream web app: webhooks, short links and a small status dashboard."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse

StatusSource = Callable[[], Sequence[Mapping[str, str | None]]]
CountsSource = Callable[[], Mapping[str, object]]


def create_web_app(
    *,
    status: StatusSource,
    counts: CountsSource | None = None,
    routers: Iterable[APIRouter] = (),
    title: str = "shopstream",
    dashboard: APIRouter | None = None,
) -> FastAPI:
    """Build the app: ``/status`` (JSON), ``/`` (the live dashboard's router when given, else
    a bare status table) and the given routers."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    for router in routers:
        app.include_router(router)
    if dashboard is not None:
        app.include_router(dashboard)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/status")
    def status_json() -> dict[str, object]:
        return {"connectors": list(status()), "counts": dict(counts() if counts else {})}

    if dashboard is not None:
        return app

    @app.get("/", response_class=HTMLResponse)
    def bare_dashboard() -> str:
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(s.get(k) or ''))}</td>"
                for k in ("name", "status", "detail", "last_message_at", "last_error")
            )
            + "</tr>"
            for s in status()
        )
        facts = "".join(
            f"<li>{html.escape(k)}: {html.escape(str(v))}</li>"
            for k, v in (counts() if counts else {}).items()
        )
        return (
            "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=5>"
            f"<title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
            "<table border=1 cellpadding=4><tr><th>connector</th><th>status</th><th>detail</th>"
            f"<th>last message</th><th>last error</th></tr>{rows}</table><ul>{facts}</ul>"
        )

    return app
