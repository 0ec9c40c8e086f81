"""The emulated Shopify Admin API as a FastAPI app: GraphQL, bulk downloads, token grant."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.shopify.graphql import AdminGraphQL
from sandbox.shopify.graphql_schema import served_version

AdminFallback = Callable[..., "dict[str, Any] | None"]
"""``fallback(query, variables, base_url=...)`` answers documents the emulator does not know."""

Fault = str
FAULTS = (
    "http_429",
    "http_429_bare",
    "http_500",
    "http_503",
    "throttled",
    "graphql_error",
    "http_401",
)


@dataclass(slots=True)
class AdminControl:
    """Credentials the emulator accepts and faults it injects."""

    tokens: set[str] = field(default_factory=lambda: {"shpat_sandbox"})
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-client-secret"
    issued: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    requests: int = 0

    def next_fault(self) -> Fault | None:
        return self.faults.pop(0) if self.faults else None


def _unauthorized() -> JSONResponse:
    return JSONResponse(
        {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
        status_code=401,
    )


def create_app(
    admin: AdminGraphQL,
    control: AdminControl,
    *,
    extra_routers: Iterable[APIRouter] = (),
    admin_fallbacks: Iterable[AdminFallback] = (),
) -> FastAPI:
    """Build the emulator app; ``extra_routers`` are mounted as they are (e.g. checkout routes),
    ``admin_fallbacks`` answer Admin GraphQL documents this emulator does not know."""
    app = FastAPI(title="Shopify Admin emulator", docs_url=None, redoc_url=None)
    fallbacks = list(admin_fallbacks)

    @app.middleware("http")
    async def api_version_header(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # every versioned Admin response says which version served it, errors included
        # (shopify.dev "API versioning"); a route that decided the version itself keeps it
        response = await call_next(request)
        parts = request.url.path.split("/")
        versioned = len(parts) > 3 and parts[1:3] == ["admin", "api"]
        if versioned and "x-shopify-api-version" not in response.headers:
            response.headers["X-Shopify-API-Version"] = served_version(parts[3])
        return response

    @app.post("/admin/api/{version}/graphql.json")
    async def graphql(version: str, request: Request) -> Response:
        control.requests += 1
        # an unsupported version is served as the oldest supported one, and the header says so
        version = served_version(version)
        token = request.headers.get("x-shopify-access-token", "")
        fault = control.next_fault()
        if fault == "http_401" or token not in control.tokens | control.issued:
            return _unauthorized()
        if fault == "http_429":
            return JSONResponse(
                {"errors": "Exceeded 2 calls per second"}, 429, {"Retry-After": "2.0"}
            )
        if fault == "http_429_bare":
            return JSONResponse({"errors": "Too Many Requests"}, 429)
        if fault in ("http_500", "http_503"):
            return JSONResponse({"errors": "Internal error"}, int(fault[-3:]))
        if fault == "throttled":
            body = {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": 100,
                        "actualQueryCost": None,
                        "throttleStatus": {
                            "maximumAvailable": admin.bucket.maximum,
                            "currentlyAvailable": 0.0,
                            "restoreRate": admin.bucket.restore_rate,
                        },
                    }
                },
            }
            return JSONResponse(body, headers={"X-Shopify-API-Version": version})
        try:
            doc = json.loads(await request.body())
            query = str(doc["query"])
            variables = doc.get("variables") or {}
            operation = doc.get("operationName") or None
            if not isinstance(variables, Mapping):
                raise TypeError("variables")
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"errors": [{"message": "Bad Request: invalid JSON body"}]}, 400)
        if fault == "graphql_error":
            return JSONResponse(
                {
                    "errors": [
                        {"message": "Internal error. Looks like something went wrong on our end."}
                    ]
                }
            )
        base = str(request.base_url).rstrip("/")
        answer = admin.answer(query, variables, base, operation)
        if answer is None:
            for fallback in fallbacks:
                answer = fallback(query, variables, base_url=base)
                if answer is not None:
                    break
        if answer is None:
            answer = {
                "errors": [
                    {
                        "message": "This field is in Shopify's schema but the emulator does not "
                        "answer it",
                        "extensions": {"code": "NOT_EMULATED"},
                    }
                ]
            }
        return JSONResponse(answer, headers={"X-Shopify-API-Version": version})

    @app.get("/bulk/{op}.jsonl")
    def bulk_file(op: str) -> Response:
        found = admin.bulk.get(f"gid://shopify/BulkOperation/{op}")
        if found is None or found.status != "COMPLETED":
            return Response(status_code=404)
        return Response(found.data, media_type="application/jsonl")

    @app.post("/admin/oauth/access_token")
    async def access_token(request: Request) -> Response:
        raw = await request.body()
        try:
            form = json.loads(raw)
        except ValueError:
            from urllib.parse import parse_qsl

            form = dict(parse_qsl(raw.decode()))
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != control.client_id
            or form.get("client_secret") != control.client_secret
        ):
            return JSONResponse({"error": "invalid_client"}, 400)
        token = f"shpca_{secrets.token_hex(16)}"
        control.issued.add(token)
        return JSONResponse(
            {"access_token": token, "scope": "read_products,read_inventory", "expires_in": 86399}
        )

    for router in extra_routers:
        app.include_router(router)
    return app
