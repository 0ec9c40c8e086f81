"""Settings of the show machinery: outbox, reply templates, show control, cooldowns, FAQ.

No secrets live here and none are read from the environment: the outbox, templates and show
control need no credentials. The application composes these models into its settings.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OutboxConfig(_Section):
    """How each per-channel outbox paces, ages and retries replies."""

    stale_answer_seconds: float = Field(
        45.0, gt=0, description="Drop an answer still queued this long after it was created."
    )
    stale_announcement_seconds: float = Field(
        90.0, gt=0, description="Drop an announcement still queued this long after creation."
    )
    max_parts: int = Field(
        3, ge=1, le=10, description="Most messages one long reply may be split into."
    )
    max_attempts: int = Field(
        5, ge=1, description="Tries per message on transient errors before giving up."
    )
    retry_base_seconds: float = Field(
        1.0, gt=0, description="First backoff delay after a transient send error."
    )
    retry_cap_seconds: float = Field(
        30.0, gt=0, description="Longest backoff delay after transient send errors."
    )
    burst_fraction: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of a window's messages sent back to back; the rest are spread evenly.",
    )
    coalesce_max_buyers: int = Field(
        25, ge=1, description="Most buyers answered in one coalesced message."
    )
    digest_min_buyers: int = Field(
        5,
        ge=2,
        description="Where a platform forbids combined replies (Facebook), this many queued"
        " claim replies with the same text (a sold-out notice) go out as one top-level"
        " comment instead of one reply each.",
    )
    private_concurrency: int = Field(
        8,
        ge=1,
        le=64,
        description="Private replies in flight at once where the platform gives them a lane of"
        " their own (Facebook's Send API takes 300 a second; one at a time, a round trip each,"
        " would cap them at a few a second).",
    )
    remember_keys: int = Field(
        100_000, ge=100, description="Recent reply keys kept in memory to skip repeats cheaply."
    )
    log_size: int = Field(
        10_000, ge=100, description="Send records kept in memory for limit verification."
    )


class TemplatesConfig(_Section):
    """Reply templates: shipped per-locale files plus an optional merchant override folder."""

    override_dir: Path | None = Field(
        None,
        description="Folder of <locale>.toml files whose keys replace the shipped templates.",
    )
    default_locale: str = Field(
        "en", min_length=2, description="Locale used when the viewer's language is unknown."
    )


class PermissionsConfig(_Section):
    """Who may run show-control commands besides the platform's broadcaster and moderators."""

    allow: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Per platform, extra user ids (or lower-case names) allowed show control.",
    )
    deny: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Per platform, user ids (or lower-case names) never allowed, even moderators.",
    )
    roles: tuple[str, ...] = Field(
        ("broadcaster", "moderator"),
        description="Platform roles that grant show control.",
    )


class ShowControlConfig(_Section):
    """Defaults for moderator commands."""

    default_drop_cap: int = Field(
        1, ge=1, description="Per-buyer cap of a drop opened without one."
    )
    max_drop_units: int = Field(10_000, ge=1, description="Largest drop a moderator may open.")
    permissions: PermissionsConfig = Field(
        default_factory=PermissionsConfig, description="Who may run show control."
    )


class CooldownConfig(_Section):
    """Cooldowns of viewer commands (questions, help) and the claim-flood throttle."""

    per_user_seconds: float = Field(
        20.0, ge=0, description="One viewer may repeat a question command this often."
    )
    global_seconds: float = Field(
        3.0, ge=0, description="Any viewer in one channel may trigger a command this often."
    )
    claim_burst: int = Field(
        5, ge=1, description="Claims one viewer may make in a burst before being throttled."
    )
    claim_refill_per_minute: float = Field(
        6.0, gt=0, description="Claims per minute a viewer regains after a burst."
    )
    max_tracked: int = Field(
        50_000, ge=100, description="Viewers tracked before idle entries are forgotten."
    )


class FaqConfig(_Section):
    """Merchant-written answers: shipping and keyword-matched questions."""

    shipping: str = Field(
        "", description="Answer to shipping questions (empty = the template's default text)."
    )
    entries: dict[str, str] = Field(
        default_factory=dict,
        description="Keyword (lower case) -> answer, for questions the catalog cannot answer.",
    )


class SchedulerConfig(_Section):
    """Intervals of the show's background jobs."""

    reminder_every_seconds: float = Field(
        30.0, gt=0, description="How often holds close to expiry are reminded."
    )
    expiry_sweep_seconds: float = Field(
        10.0, gt=0, description="How often expired holds are released."
    )
    waitlist_every_seconds: float = Field(
        10.0, gt=0, description="How often released stock is offered to the waitlist."
    )
    webhook_inbox_seconds: float = Field(
        1.0, gt=0, description="How often webhooks whose retry is due are applied again."
    )
    misfire_grace_seconds: int = Field(
        30, ge=1, description="A job late by up to this many seconds still runs."
    )


class ShowMachineryConfig(_Section):
    """Every section of the show machinery, for the app to place in its settings."""

    outbox: OutboxConfig = Field(default_factory=OutboxConfig, description="Reply pacing.")
    templates: TemplatesConfig = Field(
        default_factory=TemplatesConfig, description="Reply templates."
    )
    control: ShowControlConfig = Field(
        default_factory=ShowControlConfig, description="Moderator commands."
    )
    cooldowns: CooldownConfig = Field(
        default_factory=CooldownConfig, description="Viewer cooldowns, claim throttle."
    )
    faq: FaqConfig = Field(default_factory=FaqConfig, description="Merchant answers.")
    scheduler: SchedulerConfig = Field(
        default_factory=SchedulerConfig, description="Background job intervals."
    )
