"""What the catalog check found: one finding per problem or assumption, where and which field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem in a catalog file, or one thing the check assumed in its place.

    ``where`` names the file and the row (CSV) or product and variant (JSON); ``field`` the
    column or key. A finding that ``stops`` would oversell or crash a show: the rehearsal
    does not start.
    """

    where: str
    field: str
    message: str
    assumed: str = ""
    stops: bool = False

    def line(self) -> str:
        """``where: field: message (assumed: ...)`` on one line."""
        text = f"{self.where}: {self.field}: {self.message}"
        if self.assumed:
            text += f"; assumed {self.assumed}"
        return text


@dataclass(slots=True)
class CatalogReport:
    """A catalog read from a file: the products the store emulator gets, and the findings."""

    source: str
    products: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def stops(self) -> bool:
        """True when any finding would oversell or crash the show."""
        return any(f.stops for f in self.findings)

    def errors(self) -> list[Finding]:
        """The findings that stop the show."""
        return [f for f in self.findings if f.stops]

    def assumptions(self) -> list[Finding]:
        """The findings the check worked around (reported, the show may start)."""
        return [f for f in self.findings if not f.stops]

    def stop(self, where: str, field_name: str, message: str) -> None:
        """Record a problem that stops the show."""
        self.findings.append(Finding(where=where, field=field_name, message=message, stops=True))

    def assume(self, where: str, field_name: str, message: str, assumed: str) -> None:
        """Record a problem the check worked around, and what it assumed."""
        self.findings.append(
            Finding(where=where, field=field_name, message=message, assumed=assumed)
        )

    def lines(self, *, per_kind: int = 3) -> list[str]:
        """Every problem on its own line, then the assumptions: ``per_kind`` lines of each
        kind (same field, message and assumption), the rest counted."""
        out = [f.line() for f in self.errors()]
        kinds: dict[tuple[str, str, str], list[Finding]] = {}
        for f in self.assumptions():
            kinds.setdefault((f.field, f.message, f.assumed), []).append(f)
        for same in kinds.values():
            out += [f.line() for f in same[:per_kind]]
            if len(same) > per_kind:
                out.append(f"  … and {len(same) - per_kind} more like this")
        return out

    def summary(self) -> str:
        """One line: products, variants, problems, assumptions."""
        variants = sum(len(p.get("variants") or ()) for p in self.products)
        return (
            f"{self.source}: {len(self.products)} product(s), {variants} variant(s);"
            f" {len(self.errors())} problem(s) that stop the show,"
            f" {len(self.assumptions())} assumption(s)"
        )
