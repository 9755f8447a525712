"""What the workspace's article page shows beside the look-up and the routes, on either store.

:func:`item_context` gives where an item is used (every assembly and product above it,
with the fewest BOM levels between them), its substitutes and the world production of a
material by country. On Neo4j it runs the saved queries ``where_used``,
``item_substitutes`` and ``material_production`` of the ``.cypher`` library; on the
embedded store it reads the SQLite tables. Both give the same :class:`ItemContext`;
where-used grows with the item's ancestors, not with the graph.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from filiere.errors import NotFoundError
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.names import country_name
from filiere.queries.names import JSON_LANGUAGE


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UsedIn(_Model):
    """An assembly or product whose bill of materials holds the item, ``levels`` above it."""

    item: str
    name: str | None
    kind: str | None
    levels: int


class SubstituteRef(_Model):
    """An item that can replace this one, and who supplies or offers it (``id (country)``)."""

    substitute: str
    name: str | None
    compatibility: float | None
    suppliers: list[str]


class ProductionShare(_Model):
    """One country's share of the world production of a material (stage, year, source)."""

    country: str
    country_name: str | None
    share: float
    stage: str | None
    year: int | None
    source: str | None


class ItemContext(_Model):
    """Where the item is used, its substitutes and (materials) its world production."""

    item: str
    used_in: list[UsedIn]
    substitutes: list[SubstituteRef]
    production: list[ProductionShare]

    def latest_production(self) -> list[ProductionShare]:
        """The production rows of the latest year of each stage (rows without a year kept)."""
        latest: dict[str | None, int] = {}
        for p in self.production:
            if p.year is not None:
                latest[p.stage] = max(latest.get(p.stage, p.year), p.year)
        return [p for p in self.production if p.year is None or p.year == latest.get(p.stage)]


def item_context(store: GraphStore, item: str) -> ItemContext:
    """The :class:`ItemContext` of ``item``; :class:`NotFoundError` when there is none."""
    if store.get_node(Label.ITEM, item) is None:
        raise NotFoundError(_("no item {item}").format(item=repr(item)))
    used, subs, prod = store.reader.item_context_rows(item)
    return ItemContext(
        item=item,
        used_in=sorted(
            (
                UsedIn(item=r["item"], name=r["name"], kind=r["kind"], levels=r["levels"])
                for r in used
            ),
            key=lambda u: (u.levels, u.item),
        ),
        substitutes=sorted(
            (
                SubstituteRef(
                    substitute=r["substitute"],
                    name=r["name"],
                    compatibility=r["compatibility"],
                    suppliers=sorted(r["suppliers"]),
                )
                for r in subs
            ),
            key=lambda s: (-(s.compatibility or 0), s.substitute),
        ),
        production=sorted(
            (
                ProductionShare(
                    country=r["country"],
                    country_name=country_name(r["country"], JSON_LANGUAGE),
                    share=r["share"],
                    stage=r["stage"],
                    year=r["year"],
                    source=r["source"],
                )
                for r in prod
            ),
            key=lambda p: (-(p.year or 0), p.stage or "", -p.share, p.country),
        ),
    )


def supplier_makes(store: GraphStore, supplier: str) -> list[dict[str, Any]]:
    """The products ``supplier`` makes (``MAKES``): ``{"id", "name"}`` in id order."""
    return store.reader.supplier_makes(supplier)
