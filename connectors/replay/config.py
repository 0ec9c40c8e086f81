"""Settings of the replay connector (no secrets)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ReplayConfig(BaseModel):
    """Play a JSONL chat log (platform, author, text, offset in seconds) at a chosen speed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(False, description="Run the replay connector.")
    path: Path | None = Field(
        None, description="JSONL chat log; empty = the bundled demo log in sandbox/data."
    )
    speed: float = Field(
        1.0, gt=0, description="Playback speed: 2 = twice as fast; offsets are divided by it."
    )
    channel: str = Field("replay", min_length=1, description="Channel name the events carry.")
