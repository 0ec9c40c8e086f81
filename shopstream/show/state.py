"""The show's state: platforms, lineup, featured product, pause, open drops, closed."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True, kw_only=True)
class LineupItem:
    """One product of the show: the live code viewers type and the store handle."""

    code: str
    handle: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Drop:
    """A limited drop: ``remaining`` of ``total`` units, at most ``cap`` per buyer."""

    code: str
    total: int
    remaining: int
    cap: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowState:
    """Everything show control decides; replaced, never mutated (see ``apply_mod_command``)."""

    show_id: str
    platforms: tuple[str, ...] = ()
    lineup: tuple[LineupItem, ...] = ()
    featured: str | None = None  # live code of the featured product
    paused: bool = False
    drops: tuple[Drop, ...] = ()
    closed: bool = False

    @property
    def claims_open(self) -> bool:
        """Whether buy commands are taken now."""
        return not self.paused and not self.closed

    def resolve(self, token: str) -> LineupItem | None:
        """Find a lineup item by live code or store handle (case-insensitive)."""
        wanted = token.strip().casefold()
        for item in self.lineup:
            if item.code.casefold() == wanted or item.handle.casefold() == wanted:
                return item
        return None

    def handle_for(self, code: str) -> str | None:
        """Return the store handle of a live code, if it is in the lineup."""
        item = self.resolve(code)
        return item.handle if item else None

    def drop_for(self, code: str) -> Drop | None:
        """Return the open drop of a live code, if any."""
        for drop in self.drops:
            if drop.code == code:
                return drop
        return None

    def with_drop(self, drop: Drop) -> ShowState:
        """Return the state with ``drop`` opened (replacing a drop of the same code)."""
        others = tuple(d for d in self.drops if d.code != drop.code)
        return replace(self, drops=(*others, drop))

    def without_drop(self, code: str) -> ShowState:
        """Return the state with the drop of ``code`` closed."""
        return replace(self, drops=tuple(d for d in self.drops if d.code != code))

    def with_drop_taken(self, code: str, qty: int) -> ShowState:
        """Return the state after ``qty`` units of the ``code`` drop were held (never below 0)."""
        drop = self.drop_for(code)
        if drop is None:
            return self
        return self.with_drop(replace(drop, remaining=max(0, drop.remaining - qty)))
