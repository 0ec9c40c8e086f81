"""Starlette routes of the YouTube emulator (the API routes on the path, any host)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.youtube.api import Answer, YouTubeApiState
from sandbox.youtube.oauth import GoogleOAuth

_LOGGER = logging.getLogger(__name__)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.query_params.get("access_token") or request.query_params.get("oauth_token")


def _respond(answer: Answer) -> Response:
    status, body = answer
    if body is None:
        return Response(status_code=status)
    if isinstance(body, str):
        return Response(body, status_code=status, media_type="text/html")
    return JSONResponse(body, status_code=status)


def build_app(state: YouTubeApiState, oauth: GoogleOAuth | None = None) -> Starlette:
    """Return the ASGI app serving ``state`` (and Google's OAuth endpoints with ``oauth``)."""

    async def messages(request: Request) -> Response:
        params = dict(request.query_params)
        bearer = _bearer(request)
        if request.method == "GET":
            return _respond(state.list_messages(params, bearer))
        if request.method == "DELETE":
            return _respond(state.delete_message(params, bearer))
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return _respond(state.insert_message(params, body, bearer))

    async def stream(request: Request) -> Response:
        # google-api-python-client calls streamList as a plain GET and parses one JSON body
        return _respond(state.list_messages(dict(request.query_params), _bearer(request)))

    async def videos(request: Request) -> Response:
        return _respond(state.list_videos(dict(request.query_params), _bearer(request)))

    async def broadcasts(request: Request) -> Response:
        return _respond(state.list_broadcasts(dict(request.query_params), _bearer(request)))

    async def token(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", "replace")
        form = dict(parse_qsl(raw))
        if oauth is not None and form.get("grant_type") == "authorization_code":
            return _respond(oauth.exchange(form, request.headers.get("authorization")))
        return _respond(state.token(form))

    return Starlette(
        routes=[
            Route("/youtube/v3/liveChat/messages", messages, methods=["GET", "POST", "DELETE"]),
            Route("/youtube/v3/liveChat/messages/stream", stream, methods=["GET"]),
            Route("/youtube/v3/videos", videos, methods=["GET"]),
            Route("/youtube/v3/liveBroadcasts", broadcasts, methods=["GET"]),
            Route("/token", token, methods=["POST"]),
            *(oauth.routes() if oauth is not None else []),
        ]
    )
