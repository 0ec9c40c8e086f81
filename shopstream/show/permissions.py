"""Who may run show control: platform roles plus per-platform allow- and deny-lists."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.events import ChatMessage, Role
from shopstream.show.config import PermissionsConfig


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """The viewer behind a command, as the platform reported them."""

    platform: str
    user_id: str | None
    name: str | None
    roles: frozenset[Role] = frozenset()

    @classmethod
    def from_message(cls, message: ChatMessage) -> Actor:
        """Return the author of ``message``."""
        return cls(
            platform=message.platform,
            user_id=message.author_id,
            name=message.author_name,
            roles=message.roles,
        )

    def identities(self) -> set[str]:
        """Return the strings an allow-list may name this actor by (id, lower-case name)."""
        out = set()
        if self.user_id:
            out.add(self.user_id)
        if self.name:
            out.add(self.name.casefold())
        return out


class Permissions:
    """Decide whether an actor may run show-control commands.

    A deny-list entry always wins; then a granting role (broadcaster, moderator by
    default); then the allow-list of the actor's platform (or of ``"*"``, any platform).
    """

    def __init__(self, config: PermissionsConfig | None = None) -> None:
        self.config = config or PermissionsConfig()
        self._roles = frozenset(self.config.roles)

    def _listed(self, table: dict[str, tuple[str, ...]], actor: Actor) -> bool:
        names = set(table.get(actor.platform, ())) | set(table.get("*", ()))
        names |= {n.casefold() for n in names}
        return bool(actor.identities() & names)

    def allows(self, actor: Actor) -> bool:
        """Return whether ``actor`` may run show control."""
        if self._listed(self.config.deny, actor):
            return False
        if any(str(role) in self._roles for role in actor.roles):
            return True
        return self._listed(self.config.allow, actor)
