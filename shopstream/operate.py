"""``shopstream run`` and ``check``: the settings' show, on real platforms or in the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import requests

from connectors.base import Connector
from connectors.console.connector import ConsoleConnector
from connectors.errors import AuthError, ConnectorError, verdict
from connectors.facebook import FacebookConnector
from connectors.replay.connector import ReplayConnector
from connectors.twitch.connector import TwitchConnector
from connectors.youtube.connector import YouTubeConnector
from shop_sync.client import ShopifyClient
from shop_sync.errors import ShopError
from shop_sync.tokens import StaticToken
from shopstream.core import Core, StoreAccess, build_core, live_store_access, replace_model
from shopstream.interrupt import interrupt_stops
from shopstream.runtime.show import ShowResult, ShowRunner
from shopstream.settings import Settings
from shopstream.settings_errors import SettingsError
from shopstream.storage.records import Records

_LOGGER = logging.getLogger(__name__)
PLATFORMS = ("youtube", "facebook", "twitch")  # the platforms a show can sell on


def enabled_platforms(settings: Settings) -> list[str]:
    """The real platforms whose connector is enabled."""
    return [p for p in PLATFORMS if getattr(settings.connectors, p).enabled]


def live_connectors(settings: Settings, records: Records) -> list[Connector]:
    """Connectors for the enabled real platforms, credentials from the environment."""
    made: list[Connector] = []
    c = settings.connectors
    if c.youtube.enabled:
        made.append(YouTubeConnector(c.youtube, cursor_store=records))
    if c.facebook.enabled:
        made.append(FacebookConnector(c.facebook))
    if c.twitch.enabled:
        made.append(TwitchConnector(c.twitch))
    return made


def local_connectors(settings: Settings) -> list[Connector]:
    """Console and replay connectors when enabled."""
    made: list[Connector] = []
    if settings.connectors.console.enabled:
        made.append(ConsoleConnector(settings.connectors.console))
    if settings.connectors.replay.enabled:
        made.append(ReplayConnector(settings.connectors.replay))
    return made


@contextlib.asynccontextmanager
async def environment(
    settings: Settings, records_for_cursors: Records | None = None
) -> AsyncIterator[tuple[StoreAccess, object | None, object | None]]:
    """Yield (store access, sandbox store or None, sandbox platforms or None)."""
    if settings.app.mode == "live":
        yield live_store_access(settings), None, None
        return
    from sandbox.show.platforms import sandbox_platforms
    from sandbox.show.store import sandbox_products, sandbox_store

    async with (
        sandbox_store(settings, products=sandbox_products(settings)) as store,
        sandbox_platforms(enabled_platforms(settings)) as platforms,
    ):
        yield store.access, store, platforms


def _connectors(settings: Settings, core: Core, platforms: object | None) -> list[Connector]:
    made = local_connectors(settings)
    if platforms is None:
        made += live_connectors(settings, core.records)
    else:
        from sandbox.show.platforms import SandboxPlatforms

        assert isinstance(platforms, SandboxPlatforms)
        made += platforms.connectors(settings, core.records)
    return made


async def run_show(
    settings: Settings,
    *,
    on_web_ready: Callable[[str], None] | None = None,
    on_login: Callable[[str], None] | None = None,
) -> ShowResult:
    """Run the show until its connectors end or the operator presses Ctrl-C (once).

    ``on_web_ready(url)`` learns where the web app (dashboard, webhooks) listens, and
    ``on_login(link)`` the dashboard's one-time login link of this run.
    """
    async with environment(settings) as (access, store, platforms):
        core = await asyncio.to_thread(build_core, settings, access)
        try:
            await asyncio.to_thread(core.sync)
            unknown = show_problems(core)
            if unknown:
                raise SettingsError(unknown)
            connectors = _connectors(settings, core, platforms)
            if not connectors:
                raise SystemExit("no connector is enabled in the settings ([connectors.*])")
            deliver = getattr(store, "deliver_webhooks_to", None)

            def web_ready(url: str) -> None:
                if deliver is not None:
                    deliver(url)
                if on_web_ready is not None:
                    on_web_ready(url)
                if on_login is not None:
                    on_login(runner.login_url())

            runner = ShowRunner(core, connectors, on_web_ready=web_ready)
            with interrupt_stops(runner.stop):
                return await runner.run()
        finally:
            core.close()


def show_problems(core: Core) -> list[str]:
    """Lineup handles and a featured product the store's catalog does not have."""
    settings = core.settings
    source = settings.show.run_of_show or "run of show"
    problems = [
        f"{source}: lineup code {item.code!r}: the store has no product {item.handle!r}"
        for item in core.run_of_show.lineup
        if item.handle not in core.catalog.products
    ]
    featured = settings.show.featured
    if featured and core.catalog.resolve(featured) is None:
        problems.append(
            f"show.featured: {featured!r} is neither a lineup code nor a product of the store"
        )
    return problems


def _store_check(settings: Settings, access: StoreAccess) -> str:
    shop = replace_model(settings.shop, admin_base_url=access.admin_base_url)
    client = ShopifyClient(shop, session=requests.Session(), tokens=StaticToken(access.token))
    try:
        client.shop_currency()
    except ShopError as exc:
        return str(getattr(exc, "key", "cannot_connect"))
    except requests.RequestException:
        return "cannot_connect"
    # a pinned version Shopify no longer serves falls forward (logged by the client)
    return str(client.version_status()["status"])


async def _connector_check(connector: Connector) -> str:
    try:
        async with asyncio.timeout(30):
            async with connector:  # connectors build their clients on open (the contract
                return await connector.check()  # suite checks them open too)
    except AuthError:
        return "invalid_auth"
    except ConnectorError as exc:
        return str(verdict(exc, opened=False).status)
    except (TimeoutError, OSError):
        return "cannot_connect"


async def check_all(settings: Settings, details: dict[str, str] | None = None) -> dict[str, str]:
    """One read-only call to the store and to each enabled connector; their status keys
    (and into ``details`` each connector's health note, e.g. YouTube's ``quota_left``)."""
    out: dict[str, str] = {}
    async with environment(settings) as (access, _store, platforms):
        out["store"] = await asyncio.to_thread(_store_check, settings, access)
        core = await asyncio.to_thread(build_core, settings, access)
        try:
            out["webhooks"] = (await asyncio.to_thread(core.inbox.status)).key
            for connector in _connectors(settings, core, platforms):
                out[connector.name] = await _connector_check(connector)
                if details is not None and connector.health.detail:
                    details[connector.name] = connector.health.detail
                plan_note = getattr(connector, "plan_note", None)
                if details is not None and plan_note is not None:  # YouTube's quota, told now
                    note = plan_note(settings.show.planned_minutes)
                    details[connector.name] = "; ".join(
                        x for x in (details.get(connector.name), note) if x
                    )
        finally:
            core.close()
    return out
