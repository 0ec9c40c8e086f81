"""Parser settings (the ``[chat_commands]`` table of settings.toml); no secrets are involved."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

BUILTIN_LANGUAGES: tuple[str, ...] = ("en", "es", "pt", "fr", "de")
MOD_COMMANDS: tuple[str, ...] = ("feature", "next", "pause", "resume", "drop", "close")


class ParserConfig(BaseModel):
    """How forgiving the parser is and which words it knows. Defaults work out of the box."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prefixes: tuple[str, ...] = Field(
        default=("!",), description="Characters that start a command such as '!buy hoodie M'."
    )
    languages: tuple[str, ...] = Field(
        default=BUILTIN_LANGUAGES,
        description="Enabled languages (codes of chat_commands/languages/*.json or extra files).",
    )
    extra_language_files: tuple[Path, ...] = Field(
        default=(),
        description="Merchant keyword files (same JSON shape as the built-in ones), merged in.",
    )
    keyword_aliases: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Extra phrases per category, e.g. {claim = ['yoink'], price = ['$$']}.",
    )
    product_aliases: dict[str, str] = Field(
        default_factory=dict,
        description="Extra product names: phrase -> handle, e.g. {'comfy' = 'cozy-hoodie'}.",
    )
    ask_below_confidence: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="Below this confidence the bot asks the viewer to confirm instead of acting.",
    )
    max_quantity: int = Field(
        default=10, ge=1, le=999, description="Largest quantity one message can claim."
    )
    max_message_chars: int = Field(
        default=500,
        ge=10,
        le=10_000,
        description="Only this many leading characters of a message are read (longer is chatter).",
    )
    fuzzy: bool = Field(
        default=True, description="Accept small typos in product and option words ('hoddie')."
    )
    prefilter: bool = Field(
        default=True,
        description="Reject plain chatter with a cheap word check before full parsing "
        "(turn off only to debug; results are the same).",
    )
    mod_commands: tuple[str, ...] = Field(
        default=MOD_COMMANDS, description="Show-control command names recognised after a prefix."
    )
