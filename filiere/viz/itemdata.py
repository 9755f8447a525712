"""What the workspace's article page shows beside the look-up and the routes, on either store.

:func:`item_context` gives where an item is used (every assembly and product above it,
with the fewest BOM levels between them), its substitutes and the world production of a
material by country. On Neo4j it runs the saved queries ``where_used``,
``item_substitutes`` and ``material_production`` of the ``.cypher`` library; on the
embedded store it walks the networkx graph. Both give the same :class:`ItemContext`;
where-used grows with the item's ancestors, not with the graph.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from pydantic import BaseModel, ConfigDict

from filiere.errors import NotFoundError
from filiere.graph.embedded import EmbeddedStore, node_id
from filiere.graph.schema import Label, Rel
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
    if isinstance(store, EmbeddedStore):
        used, subs, prod = _embedded(store, item)
    else:
        from filiere.queries.library import load
        from filiere.queries.lookups import _neo4j

        neo = _neo4j(store)
        used = neo.run_read(load("where_used").text, item=item)
        subs = neo.run_read(load("item_substitutes").text, item=item)
        prod = neo.run_read(load("material_production").text, material=item)
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


def _embedded(
    store: EmbeddedStore, item: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    g = store.graph
    start = node_id(Label.ITEM, item)
    levels = {start: 0}
    queue = deque([start])
    used = []
    while queue:  # breadth first: the first visit is the fewest levels
        child = queue.popleft()
        for parent, _c, t in g.in_edges(child, data="type"):
            if t == Rel.CONTAINS and parent not in levels:
                levels[parent] = levels[child] + 1
                queue.append(parent)
                p = g.nodes[parent]["props"]
                used.append(
                    {
                        "item": parent[1],
                        "name": p.get("name"),
                        "kind": p.get("kind"),
                        "levels": levels[parent],
                    }
                )
    subs = []
    prod = []
    for u, _v, d in g.in_edges(start, data=True):
        props = g.nodes[u]["props"]
        if d["type"] == Rel.SUBSTITUTES:
            suppliers = {
                f"{s[1]} ({g.nodes[s]['props'].get('country')})"
                for s, _y, t in g.in_edges(u, data="type")
                if t in (Rel.SUPPLIES, Rel.OFFERS)
            }
            subs.append(
                {
                    "substitute": u[1],
                    "name": props.get("name"),
                    "compatibility": d["props"].get("compatibility"),
                    "suppliers": sorted(suppliers),
                }
            )
        elif d["type"] == Rel.PRODUCES:
            rel = d["props"]
            prod.append(
                {
                    "country": u[1],
                    "share": rel.get("share"),
                    "stage": rel.get("stage"),
                    "year": rel.get("year"),
                    "source": rel.get("source"),
                }
            )
    return used, subs, prod


def supplier_makes(store: GraphStore, supplier: str) -> list[dict[str, Any]]:
    """The products ``supplier`` makes (``MAKES``): ``{"id", "name"}`` in id order."""
    if isinstance(store, EmbeddedStore):
        g = store.graph
        nid = node_id(Label.SUPPLIER, supplier)
        if nid not in g:
            return []
        rows = [
            {"id": v[1], "name": g.nodes[v]["props"].get("name")}
            for _u, v, t in g.out_edges(nid, data="type")
            if t == Rel.MAKES
        ]
    else:
        from filiere.queries.lookups import _neo4j, cypher

        rows = _neo4j(store).run_read(cypher("lookup_supplier_makes"), id=supplier)
    return sorted(rows, key=lambda r: str(r["id"]))
