"""The dashboard's routes: sign-in, the page, its SSE stream, and the buttons (POST + CSRF).

``GET /`` the dashboard (signed in) or the sign-in page; ``GET /login/{code}`` a one-time
link; ``POST /login`` the host's secret; ``GET /dashboard/events`` Server-Sent Events
(a snapshot, then batches); ``GET /dashboard/state`` the snapshot as JSON;
``POST /dashboard/control/{action}``, ``POST /dashboard/holds/{hold_id}/{remind|release}``
answer JSON ``{"ok", "message", "csrf"}`` (``csrf``: the next single-use token).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sse_starlette.sse import EventSourceResponse

from shopstream.dashboard.access import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    CsrfCheck,
    DashboardAccess,
    Session,
)
from shopstream.dashboard.actions import ACTIONS
from shopstream.dashboard.live import LiveHub
from shopstream.dashboard.service import ActionResult, DashboardService

_ENV = Environment(
    loader=PackageLoader("shopstream.dashboard", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.policies["json.dumps_kwargs"] = {"default": str}  # |tojson also escapes <, >, & and '
_STATIC = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}
_REFUSED = {
    CsrfCheck.MISSING: "This action came without its form token: reload the page.",
    CsrfCheck.FORGED: "This action's form token is not valid: reload the page.",
    CsrfCheck.REPLAYED: "This action was already done once (a replayed form): reload the page.",
}


async def _form(request: Request) -> dict[str, str]:
    """A posted form (``application/x-www-form-urlencoded``, what the page sends; the first
    value of each field); other bodies are no form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return {}
    body = await request.body()
    if len(body) > 16_384:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items() if v}


def _render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_ENV.get_template(name).render(**context), status, headers=_HEADERS)


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status, headers=_HEADERS)


def _signed_in(response: Response, request: Request, session: Session) -> Response:
    response.set_cookie(
        SESSION_COOKIE,
        session.id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def dashboard_router(
    access: DashboardAccess,
    hub: LiveHub,
    service: DashboardService | None = None,
    *,
    title: str = "shopstream",
) -> APIRouter:
    """The dashboard's routes over one show's hub (``service``: None for a view without
    controls, e.g. a test of the page alone)."""
    router = APIRouter()

    def session_of(request: Request) -> Session | None:
        return access.session(request.cookies.get(SESSION_COOKIE))

    @router.get("/dashboard/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        kind = _STATIC.get(name)
        if kind is None:
            return Response(status_code=404)
        body = resources.files("shopstream.dashboard").joinpath("static", name).read_bytes()
        return Response(body, media_type=kind, headers={"Cache-Control": "no-cache"})

    @router.get("/", response_class=HTMLResponse)
    def page(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return _render("login.html", title=title, token_login=access.has_host_token)
        snapshot = hub.snapshot()
        lineup = []
        max_units = 10_000
        if service is not None:
            state = service.core.control.state
            lineup = [
                (item.code, getattr(service.core.catalog.resolve(item.code), "title", item.handle))
                for item in state.lineup
            ]
            max_units = service.core.settings.control.max_drop_units
        return _render(
            "dashboard.html",
            title=title,
            csrf=access.issue_csrf(session),
            snapshot=snapshot,
            lineup=lineup,
            max_units=max_units,
            controls=service is not None,
            actions=ACTIONS,
            overlay_path=access.overlay_path(),
        )

    @router.get("/login", response_class=HTMLResponse)
    def login_page() -> Response:
        return _render("login.html", title=title, token_login=access.has_host_token)

    @router.post("/login", response_model=None)
    async def login(request: Request) -> Response:
        form = await _form(request)
        session = access.sign_in(str(form.get("token") or ""))
        if session is None:
            return _render(
                "login.html",
                401,
                title=title,
                token_login=access.has_host_token,
                error="That is not the dashboard's secret.",
            )
        return _signed_in(RedirectResponse("/", 303, headers=_HEADERS), request, session)

    @router.get("/login/{code}", response_model=None)
    def login_link(code: str, request: Request) -> Response:
        session = access.redeem(code)
        if session is None:
            return _render(
                "login.html",
                403,
                title=title,
                token_login=access.has_host_token,
                error="This login link was used already or has expired: "
                "restart the show for a new one, or sign in with the secret.",
            )
        return _signed_in(RedirectResponse("/", 303, headers=_HEADERS), request, session)

    @router.post("/logout", response_model=None)
    async def logout(request: Request) -> Response:
        session = session_of(request)
        refused = await _spend(request, session, "logout")
        if refused is not None:
            return refused
        if session is not None:
            access.sign_out(session)
        response = RedirectResponse("/", 303, headers=_HEADERS)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/dashboard/state", response_model=None)
    def state(request: Request) -> Response:
        if session_of(request) is None:
            return _json({"ok": False, "message": "Sign in first."}, 401)
        return _json(json.loads(json.dumps(hub.snapshot(), default=str)))

    @router.get("/dashboard/events", response_model=None)
    async def events(request: Request) -> Response:
        if session_of(request) is None:
            return _json({"ok": False, "message": "Sign in first."}, 401)

        async def stream() -> AsyncIterator[dict[str, str]]:
            async with hub.subscribe() as sub:
                yield {"event": "snapshot", "data": json.dumps(hub.snapshot(), default=str)}
                async for batch in sub:
                    if await request.is_disconnected():
                        return
                    yield {"event": batch["type"], "data": json.dumps(batch, default=str)}

        return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store"})

    async def _spend(request: Request, session: Session | None, action: str) -> Response | None:
        """Refuse (audited) unless the request carries an unused CSRF token of its session."""
        form = await _form(request)
        token = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD) or "") or None
        if session is None:
            access.audit("dashboard_action_refused", action=action, reason="not_signed_in")
            return _json({"ok": False, "message": "Sign in first."}, 401)
        check = access.use_csrf(session, token, action=action)
        if check is not CsrfCheck.OK:
            return _json(
                {"ok": False, "message": _REFUSED[check], "csrf": access.issue_csrf(session)}, 403
            )
        return None

    def _answer(session: Session, result: ActionResult) -> Response:
        return _json(
            {"ok": result.ok, "message": result.message, "csrf": access.issue_csrf(session)},
            200 if result.ok else 400,
        )

    @router.post("/dashboard/control/{action}", response_model=None)
    async def control(action: str, request: Request) -> Response:
        session = session_of(request)
        refused = await _spend(request, session, action)
        if refused is not None or session is None:
            return refused or _json({"ok": False}, 401)
        if service is None:
            return _answer(session, ActionResult(False, "This view has no show to control."))
        form = await _form(request)
        fields = {k: v for k, v in form.items() if k != CSRF_FIELD}
        return _answer(session, await service.control(action, fields))

    @router.post("/dashboard/holds/{hold_id}/{verb}", response_model=None)
    async def hold_action(hold_id: str, verb: str, request: Request) -> Response:
        session = session_of(request)
        refused = await _spend(request, session, f"hold_{verb}")
        if refused is not None or session is None:
            return refused or _json({"ok": False}, 401)
        if service is None or verb not in ("remind", "release"):
            return _answer(session, ActionResult(False, "Unknown action."))
        result = await (service.remind(hold_id) if verb == "remind" else service.release(hold_id))
        return _answer(session, result)

    return router


__all__ = ["dashboard_router"]
