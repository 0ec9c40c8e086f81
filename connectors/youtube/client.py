"""google-api-python-client at the connector boundary: offline discovery, OAuth, worker threads.

The client is built from the library's bundled discovery document (no network for discovery)
with the API endpoint overridden from settings, so the same code runs against the sandbox
emulator. Every blocking ``.execute()`` runs in a worker thread of this client's own executor
(never on the event loop); each thread borrows its own ``httplib2.Http`` because httplib2 is
not thread-safe, and :meth:`YouTubeApi.close` waits for in-flight calls before closing them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from connectors.errors import AuthError, FatalError, TransientError
from connectors.youtube.classify import PLATFORM, reason_of, retry_after_of
from connectors.youtube.config import SANDBOX_TOKEN, YOUTUBE_SCOPE, YouTubeConfig, YouTubeSecrets

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")


class ApiFailure(Exception):
    """The API answered with an error status; ``reason`` is ``errors[0].reason``."""

    def __init__(self, status: int, reason: str | None, retry_after: float | None) -> None:
        super().__init__(f"youtube {status} {reason}")
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


class MalformedResponse(Exception):
    """A success status whose body is not the JSON the API promises."""


@functools.lru_cache(maxsize=8)
def build_service(api_endpoint: str) -> Any:
    """Build (once per endpoint) the v3 client from the bundled discovery document."""
    return build(
        "youtube",
        "v3",
        static_discovery=True,
        cache_discovery=False,
        http=httplib2.Http(),  # placeholder: every call passes its own authorised Http
        client_options={"api_endpoint": api_endpoint},
    )


def make_credentials(config: YouTubeConfig, secrets: YouTubeSecrets) -> Credentials:
    """Return OAuth user credentials (refreshable when the secrets allow it)."""
    token = secrets.access_token
    if token is None and not secrets.can_refresh:
        token = SANDBOX_TOKEN  # only the emulator accepts it
    return Credentials(
        token=token,
        refresh_token=secrets.refresh_token,
        client_id=secrets.client_id,
        client_secret=secrets.client_secret,
        token_uri=config.resolved_token_uri(),
        scopes=[YOUTUBE_SCOPE],
    )


class _HttpPool:
    """Hand each worker thread its own authorised ``Http``; close them all at the end."""

    def __init__(self, factory: Callable[[], google_auth_httplib2.AuthorizedHttp]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._free: list[google_auth_httplib2.AuthorizedHttp] = []
        self._all: list[google_auth_httplib2.AuthorizedHttp] = []

    def acquire(self) -> google_auth_httplib2.AuthorizedHttp:
        with self._lock:
            if self._free:
                return self._free.pop()
            http = self._factory()
            self._all.append(http)
            return http

    def release(self, http: google_auth_httplib2.AuthorizedHttp) -> None:
        with self._lock:
            self._free.append(http)

    def close(self) -> None:
        with self._lock:
            for http in self._all:
                http.close()
            self._free.clear()
            self._all.clear()


class YouTubeApi:
    """The few YouTube Data API calls the connector makes, as coroutines.

    Raises (from every call):
        ApiFailure: the API answered with an error status (classified by the connector).
        MalformedResponse: a 2xx body that is not JSON.
        AuthError: the access token was refused and could not be refreshed.
        TransientError: the connection failed or timed out.
    """

    def __init__(self, config: YouTubeConfig, secrets: YouTubeSecrets, *, workers: int = 3):
        if not config.api_endpoint:
            raise FatalError("youtube api_endpoint is not set", platform=PLATFORM)
        self.config = config
        self.credentials = make_credentials(config, secrets)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="youtube-api")
        timeout = config.request_timeout_seconds
        self._pool = _HttpPool(
            lambda: google_auth_httplib2.AuthorizedHttp(
                self.credentials, http=httplib2.Http(timeout=timeout)
            )
        )
        self._service: Any = None

    async def open(self) -> None:
        """Build the client (reads the bundled discovery document in a worker thread)."""
        assert self.config.api_endpoint is not None
        self._service = await self._run(build_service, self.config.api_endpoint)

    async def close(self) -> None:
        """Wait for in-flight calls, then close every connection."""
        await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(self._executor.shutdown, wait=True)
        )
        self._pool.close()

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    def _execute(self, request: Any) -> Any:
        http = self._pool.acquire()
        try:
            body = request.execute(http=http, num_retries=0)
        except HttpError as exc:
            raise ApiFailure(
                int(exc.status_code),
                reason_of(exc.error_details, exc.content),
                retry_after_of(exc.resp),
            ) from None
        except RefreshError as exc:
            if getattr(exc, "retryable", False):
                raise TransientError("youtube token refresh failed", platform=PLATFORM) from None
            raise AuthError("youtube token refresh refused", platform=PLATFORM) from None
        except (TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise TransientError(f"youtube: {type(exc).__name__}", platform=PLATFORM) from None
        except ValueError as exc:  # a 2xx body that is not JSON
            raise MalformedResponse(str(exc)) from None
        finally:
            self._pool.release(http)
        if not isinstance(body, dict):  # the library hands back non-JSON bodies as text
            raise MalformedResponse(f"expected a JSON object, got {type(body).__name__}")
        return body

    def _refresh(self) -> None:
        http = httplib2.Http(timeout=self.config.request_timeout_seconds)
        try:
            self.credentials.refresh(google_auth_httplib2.Request(http))
        except RefreshError as exc:
            if getattr(exc, "retryable", False):
                raise TransientError("youtube token refresh failed", platform=PLATFORM) from None
            raise AuthError("youtube token refresh refused", platform=PLATFORM) from None
        except (TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise TransientError(f"youtube: {type(exc).__name__}", platform=PLATFORM) from None
        finally:
            http.close()

    async def access_token(self, *, refresh: bool = False) -> str:
        """A valid OAuth access token for calls outside the library (the gRPC stream);
        refreshed first when it expired, or when ``refresh`` (the server refused it)."""
        if refresh or not self.credentials.valid:
            if self.credentials.refresh_token:
                await self._run(self._refresh)
            elif refresh:
                raise AuthError("youtube access token refused", platform=PLATFORM)
        token = self.credentials.token
        if not token:
            raise AuthError("youtube: no access token", platform=PLATFORM)
        return str(token)

    async def call(self, request: Any) -> Any:
        """Execute one prepared googleapiclient request in a worker thread."""
        return await self._run(self._execute, request)

    # --- the calls ----------------------------------------------------------------------

    async def list_messages(self, chat_id: str, page_token: str | None) -> Any:
        """``liveChatMessages.list`` (5 units)."""
        params: dict[str, Any] = {
            "liveChatId": chat_id,
            "part": "id,snippet,authorDetails",
            "maxResults": self.config.max_results,
        }
        if page_token:
            params["pageToken"] = page_token
        return await self.call(self._service.liveChatMessages().list(**params))

    async def insert_message(self, chat_id: str, text: str) -> Any:
        """``liveChatMessages.insert`` of one text message (20 units; 50 in older docs)."""
        body = {
            "snippet": {
                "liveChatId": chat_id,
                "type": "textMessageEvent",
                "textMessageDetails": {"messageText": text},
            }
        }
        return await self.call(self._service.liveChatMessages().insert(part="snippet", body=body))

    async def video(self, video_id: str) -> Any:
        """``videos.list`` with ``liveStreamingDetails`` (1 unit)."""
        request = self._service.videos().list(part="liveStreamingDetails", id=video_id)
        return await self.call(request)

    async def active_broadcasts(self) -> Any:
        """``liveBroadcasts.list`` of the authorised channel's active broadcasts, any type."""
        request = self._service.liveBroadcasts().list(
            part="id,snippet,status", broadcastStatus="active", broadcastType="all"
        )
        return await self.call(request)
