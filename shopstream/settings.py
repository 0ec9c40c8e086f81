"""Load settings.toml into typed, frozen settings; report every problem at once.

Each package owns the model of its own section (``connectors/<platform>/config.py``,
``shop_sync``, ``checkout_links``, ``chat_commands``); this module composes them.
Secrets never live here: see :mod:`shopstream.secrets`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chat_commands.config import ParserConfig
from checkout_links.config import LinksConfig
from connectors.console.config import ConsoleConfig
from connectors.facebook.config import FacebookConfig
from connectors.replay.config import ReplayConfig
from connectors.twitch.config import TwitchConfig
from connectors.youtube.config import YouTubeConfig
from shop_sync.config import ShopConfig
from shopstream.settings_errors import SettingsError, problems_from
from shopstream.show.config import (
    CooldownConfig,
    FaqConfig,
    OutboxConfig,
    SchedulerConfig,
    ShowControlConfig,
    TemplatesConfig,
)

DEFAULT_PATH = Path("settings.toml")


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AppConfig(_Section):
    """Where shopstream runs and keeps its files."""

    mode: Literal["sandbox", "live"] = Field(
        "sandbox",
        description="sandbox: emulators on 127.0.0.1, no credentials; live: real platforms.",
    )
    data_dir: Path = Field(Path("data"), description="Directory for the SQLite file and state.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )
    sandbox_catalog: Path | None = Field(
        None,
        description=(
            "Catalog the sandbox store serves in sandbox mode (run, check, sync): Shopify's"
            " product CSV export or a products.json; empty = the demo catalog."
        ),
    )


class StorageConfig(_Section):
    """The database."""

    url: str = Field(
        "",
        description="Database URL; empty = SQLite (WAL) under app.data_dir; or postgresql://...",
    )


class WebConfig(_Section):
    """The web app: webhooks, short links, dashboard."""

    host: str = Field("127.0.0.1", description="Address the web app binds.")
    port: int = Field(8000, ge=0, le=65535, description="Port the web app binds (0 = any free).")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Public base URL (short links, webhook address)."
    )


class ShowConfig(_Section):
    """The show that ``shopstream run`` runs."""

    id: str = Field("demo-show", min_length=1, description="Show id (attribution, reports).")
    title: str = Field("Demo show", description="Show title.")
    featured: str = Field("", description="Featured product (live code or handle) at start.")
    run_of_show: Path | None = Field(None, description="Run-of-show TOML (lineup, drops, timers).")
    planned_minutes: int = Field(90, gt=0, description="Planned show length (quota planning).")
    fairness_horizon_ms: int | None = Field(
        None,
        ge=0,
        description=(
            "Longest a chat event waits for the other platforms to deliver everything sent"
            " before it (first come, first served across platforms); 0 = no waiting. Unset:"
            " the slowest connector's delivery-proof interval plus 500 ms, at most"
            " fairness_horizon_cap_ms. An event let through by the horizon was not proved"
            " fair: it is counted, logged and shown in the status and the show summary."
        ),
    )
    fairness_horizon_cap_ms: int = Field(
        10_000,
        ge=0,
        description="The longest horizon derived from the connectors (fairness_horizon_ms unset).",
    )


class ConnectorsConfig(_Section):
    """One table per connector; a connector runs when its ``enabled`` is true."""

    console: ConsoleConfig = ConsoleConfig()
    replay: ReplayConfig = ReplayConfig()
    twitch: TwitchConfig = TwitchConfig()
    youtube: YouTubeConfig = YouTubeConfig()
    facebook: FacebookConfig = FacebookConfig()


class Settings(_Section):
    """Every setting, validated."""

    app: AppConfig = AppConfig()
    storage: StorageConfig = StorageConfig()
    web: WebConfig = WebConfig()
    show: ShowConfig = ShowConfig()
    connectors: ConnectorsConfig = ConnectorsConfig()
    shop: ShopConfig = ShopConfig()
    links: LinksConfig = LinksConfig()
    parser: ParserConfig = ParserConfig()
    outbox: OutboxConfig = OutboxConfig()
    templates: TemplatesConfig = TemplatesConfig()
    control: ShowControlConfig = ShowControlConfig()
    cooldowns: CooldownConfig = CooldownConfig()
    faq: FaqConfig = FaqConfig()
    scheduler: SchedulerConfig = SchedulerConfig()

    def database_url(self, base: Path | None = None) -> str:
        """Return the configured URL or the SQLite file under the data directory."""
        if self.storage.url:
            return self.storage.url
        data_dir = self.app.data_dir
        if base is not None and not data_dir.is_absolute():
            data_dir = base / data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(data_dir / 'shopstream.db').resolve()}"


def parse_settings(data: dict[str, Any], source: str = "settings.toml") -> Settings:
    """Validate a parsed TOML document.

    Raises:
        SettingsError: with one line per problem.
    """
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(problems_from(exc, source)) from None


def load_settings(path: Path = DEFAULT_PATH) -> Settings:
    """Read and validate ``path``.

    Raises:
        SettingsError: the file is missing, is not valid TOML, or has invalid values.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError([f"{path}: cannot read: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError([f"{path}: not valid TOML: {exc}"]) from None
    return parse_settings(data, str(path))
