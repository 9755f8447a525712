"""A product's supply tree: its bill of materials with suppliers and world production rows.

Each store's reader (:class:`filiere.queries.backend.StoreReader`) builds one;
:func:`filiere.viz.data.supply_tree` puts it in canonical order, so both stores give
equal trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Supply:
    """``supplier`` delivers ``item`` today (``share`` of it, when known)."""

    supplier: str
    item: str
    share: float | None
    props: dict[str, Any]


@dataclass(frozen=True)
class Production:
    """``country`` produces ``share`` of the world's ``material`` at ``stage`` in ``year``."""

    country: str
    material: str
    share: float
    stage: str
    year: int | None
    props: dict[str, Any]


@dataclass
class SupplyTree:
    """A product's closure: items, BOM lines, suppliers, supplies and production rows."""

    product: str
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    children: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    suppliers: dict[str, dict[str, Any]] = field(default_factory=dict)
    supplies: list[Supply] = field(default_factory=list)
    production: list[Production] = field(default_factory=list)

    def latest_production(self) -> list[Production]:
        """The production rows of each material's latest year (rows without a year kept)."""
        latest: dict[str, int] = {}
        for p in self.production:
            if p.year is not None:
                latest[p.material] = max(latest.get(p.material, p.year), p.year)
        return [
            p
            for p in self.production
            if p.year is None or p.material not in latest or p.year == latest[p.material]
        ]

    def sort(self) -> SupplyTree:
        """Put every list in a canonical order (both stores then give equal trees)."""
        for cs in self.children.values():
            cs.sort()
        self.supplies.sort(key=lambda s: (s.item, s.supplier))
        self.production.sort(key=lambda p: (p.material, p.stage, p.year or 0, p.country))
        self.items = dict(sorted(self.items.items()))
        self.suppliers = dict(sorted(self.suppliers.items()))
        return self


def quantity(q: Any) -> float:
    """A BOM line's quantity (1 when the line gives none)."""
    return 1.0 if q is None else float(q)


def production(country: str, material: str, rel: dict[str, Any]) -> Production:
    """A PRODUCES relationship as a :class:`Production` row."""
    return Production(
        country, material, float(rel["share"]), str(rel.get("stage")), rel.get("year"), rel
    )
