"""How the GraphQL clients map each kind of answer onto the LinkError tree (real HTTP server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from checkout_links.errors import LinkAuthError, LinkError, LinkRejected, LinkUnavailable
from checkout_links.shopify_api import AdminDraftOrderClient, StorefrontClient
from tests.checkout_links.conftest import serve

ANSWERS: dict[str, Response] = {}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    app = FastAPI()

    @app.post("/{case}/api/{version}/graphql.json")
    @app.post("/{case}/admin/api/{version}/graphql.json")
    async def answer(case: str, version: str) -> Response:
        return ANSWERS[case]

    with serve(app) as url:
        yield url


ANSWERS.update(
    {
        "429": JSONResponse({"errors": "Exceeded"}, 429, {"Retry-After": "2.5"}),
        "429bare": JSONResponse({"errors": "Too Many Requests"}, 429, {"Retry-After": ""}),
        "500": JSONResponse({"errors": "Internal"}, 500),
        "403": JSONResponse({"errors": "Forbidden"}, 403),
        "404": JSONResponse({"errors": "Not Found"}, 404),
        "html": PlainTextResponse("<html>maintenance</html>"),
        "list": JSONResponse([1, 2]),
        "gqlerr": JSONResponse({"errors": [{"message": "Field 'x' doesn't exist"}]}),
        "throttled": JSONResponse(
            {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
        ),
        "nodata": JSONResponse({"data": None}),
        "nopayload": JSONResponse({"data": {}}),
        "usererr": JSONResponse(
            {
                "data": {
                    "cartCreate": {"cart": None, "userErrors": [{"message": "bad line"}]},
                    "draftOrderCreate": {"draftOrder": None, "userErrors": [{"message": "bad"}]},
                }
            }
        ),
        "nourl": JSONResponse(
            {
                "data": {
                    "cartCreate": {"cart": {"id": "x"}, "userErrors": []},
                    "draftOrderCreate": {"draftOrder": {"id": "y"}, "userErrors": []},
                }
            }
        ),
    }
)

CASES: list[tuple[str, type[LinkError], dict[str, Any]]] = [
    ("429", LinkUnavailable, {"retry_after": 2.5}),
    ("429bare", LinkUnavailable, {"retry_after": None}),
    ("500", LinkUnavailable, {}),
    ("throttled", LinkUnavailable, {}),
    ("403", LinkAuthError, {}),
    ("404", LinkError, {}),
    ("html", LinkError, {}),
    ("list", LinkError, {}),
    ("gqlerr", LinkError, {}),
    ("nodata", LinkError, {}),
    ("nopayload", LinkError, {}),
    ("usererr", LinkRejected, {}),
    ("nourl", LinkError, {}),
]


@pytest.mark.parametrize(("case", "error", "attrs"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("api", ["storefront", "admin"])
def test_answers_map_onto_the_error_tree(
    server: str,
    http: requests.Session,
    case: str,
    error: type[LinkError],
    attrs: dict[str, Any],
    api: str,
) -> None:
    base = f"{server}/{case}"
    with pytest.raises(error) as caught:
        if api == "storefront":
            StorefrontClient(http, base_url=base, api_version="2026-07").cart_create({})
        else:
            AdminDraftOrderClient(
                http, base_url=base, api_version="2026-07", token="t"
            ).draft_order_create({})
    if error is LinkError:
        assert type(caught.value) is LinkError
    for name, value in attrs.items():
        assert getattr(caught.value, name) == value
