"""Graph calls through facebook-sdk's ``GraphAPI``, run in worker threads, errors classified.

facebook-sdk 3.1.0 (2018) refuses every current version in its constructor ("#.#" regex and a
list that ends at 3.1), so :class:`GraphClient` constructs ``GraphAPI`` without a version and
then sets the public ``version`` attribute to the configured one (``"v26.0"``): every helper
(``get_object``, ``get_connections``, ``put_object``) builds ``"{version}/{id}/..."`` from it
and nothing re-validates it. That keeps the library's helpers instead of hand-building paths.

The library joins its module global ``FACEBOOK_GRAPH_URL`` with the path at call time. We do
not assign that global (it is process-wide: two connectors or two emulators would fight over
it). Instead we pass the public ``session=`` argument a :class:`RebasedSession`, a
``requests.Session`` that rewrites the library's base URL to the configured one and remembers
the last response per thread, so error handling can read the status and the ``X-App-Usage`` /
``X-Business-Use-Case-Usage`` headers that ``GraphAPIError`` drops.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from typing import Any

import facebook
import requests

from connectors.errors import ConnectorError, TransientError
from connectors.facebook.graph_errors import PLATFORM, classify, usage_summary
from connectors.values import JSON_ERRORS

_LOGGER = logging.getLogger(__name__)


class RebasedSession(requests.Session):
    """A ``requests.Session`` that sends facebook-sdk's calls to ``base_url`` instead.

    It also keeps the last response of the calling thread (``last_response()``).
    """

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self._local = threading.local()

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Rewrite the library's base URL, send, and remember the response."""
        self._local.response = None
        if isinstance(url, str):
            library_base = facebook.FACEBOOK_GRAPH_URL
            if url.startswith(library_base):
                url = self.base_url + url[len(library_base) :]
        response = super().request(method, url, *args, **kwargs)
        self._local.response = response
        return response

    def last_response(self) -> requests.Response | None:
        """The response the calling thread received last (None before any)."""
        response: requests.Response | None = getattr(self._local, "response", None)
        return response


class GraphClient:
    """Async Graph calls for one Page token; each call runs ``GraphAPI`` in a worker thread.

    ``usage`` holds the highest percentage per usage header of the last answer; ``last_url``
    the URL (without its query) of the last call.
    """

    def __init__(
        self,
        *,
        base_url: str,
        version: str,
        token: str,
        timeout: float,
        rate_limit_wait: float,
    ) -> None:
        self.session = RebasedSession(base_url)
        self.api = facebook.GraphAPI(access_token=token, timeout=timeout, session=self.session)
        self.api.version = version  # the constructor refuses current versions; see the module doc
        self.rate_limit_wait = rate_limit_wait
        self.usage: dict[str, int] = {}
        self.last_url: str | None = None  # without the query (it holds the token)

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    async def get_object(self, object_id: str, **args: Any) -> dict[str, Any]:
        """``GET /{version}/{object_id}``."""
        return await self._call(self.api.get_object, object_id, **args)

    async def get_connections(self, object_id: str, edge: str, **args: Any) -> dict[str, Any]:
        """``GET /{version}/{object_id}/{edge}``."""
        return await self._call(self.api.get_connections, object_id, edge, **args)

    async def put_object(self, parent_id: str, edge: str, **data: Any) -> dict[str, Any]:
        """``POST /{version}/{parent_id}/{edge}`` (form data)."""
        return await self._call(self.api.put_object, parent_id, edge, **data)

    async def _call(self, func: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return await asyncio.to_thread(self._call_sync, func, *args, **kwargs)

    def _call_sync(self, func: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            result = func(*args, **kwargs)
        except facebook.GraphAPIError as exc:
            raise self._classified(exc.result) from None
        except requests.RequestException as exc:
            raise TransientError(f"graph: {type(exc).__name__}", platform=PLATFORM) from None
        except (*JSON_ERRORS, KeyError) as exc:  # bad JSON, or no content-type header
            raise self._classified(None, cause=exc) from None
        finally:
            self._note_usage()
        if not isinstance(result, dict):
            raise self._classified(None)
        return result

    def _classified(self, result: object, cause: Exception | None = None) -> ConnectorError:
        response = self.session.last_response()
        status = response.status_code if response is not None else None
        headers: Mapping[str, str] = response.headers if response is not None else {}
        error = classify(status, result, headers, default_wait=self.rate_limit_wait)
        _LOGGER.warning(
            "facebook graph call failed: HTTP %s %s: %s%s",
            status,
            type(error).__name__,
            error,
            f" ({type(cause).__name__})" if cause else "",
        )
        return error

    def _note_usage(self) -> None:
        response = self.session.last_response()
        if response is not None:
            self.last_url = response.url.split("?", 1)[0]
            summary = usage_summary(response.headers)
            if summary:
                self.usage = summary
