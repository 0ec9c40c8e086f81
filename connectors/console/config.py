"""Settings of the console connector (no secrets)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ConsoleConfig(BaseModel):
    """Read chat typed in the terminal, one message per line."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(False, description="Run the console connector.")
    author: str = Field("you", min_length=1, description="Viewer name for typed lines.")
    moderator: bool = Field(True, description="Treat the typist as a moderator (show control).")
