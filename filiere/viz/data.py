"""What the views read from the store beyond the analysis results, on either store.

:func:`supply_tree` returns a product's bill of materials with its suppliers and world
production rows: on the embedded store from its networkx graph, on Neo4j with
``filiere/queries/cypher/viz_supply_tree.cypher``. Both give the same
:class:`SupplyTree`; its cost grows with the product's closure, not with the graph.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from filiere.errors import NotFoundError, StoreError
from filiere.graph.embedded import EmbeddedStore, node_id
from filiere.graph.schema import Label, Rel
from filiere.graph.store import GraphStore


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


def supply_tree(store: GraphStore, product: str) -> SupplyTree:
    """The supply tree of ``product``; :class:`NotFoundError` when there is no such item."""
    if isinstance(store, EmbeddedStore):
        return _embedded(store, product).sort()
    return _neo4j(store, product).sort()


def _embedded(store: EmbeddedStore, product: str) -> SupplyTree:
    g = store.graph
    root = node_id(Label.ITEM, product)
    if root not in g:
        raise NotFoundError(f"no item {product!r}")
    tree = SupplyTree(product)
    queue = deque([root])
    seen = {root}
    while queue:
        nid = queue.popleft()
        item = nid[1]
        tree.items[item] = dict(g.nodes[nid]["props"])
        tree.children[item] = []
        for _, child, d in g.out_edges(nid, data=True):
            if d["type"] == Rel.CONTAINS:
                tree.children[item].append((child[1], _quantity(d["props"].get("quantity"))))
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        for src, _, d in g.in_edges(nid, data=True):
            if d["type"] == Rel.SUPPLIES:
                tree.suppliers[src[1]] = dict(g.nodes[src]["props"])
                rel = dict(d["props"])
                tree.supplies.append(Supply(src[1], item, rel.get("share"), rel))
            elif d["type"] == Rel.PRODUCES:
                tree.production.append(_production(src[1], item, dict(d["props"])))
    return tree


def _neo4j(store: GraphStore, product: str) -> SupplyTree:
    from filiere.graph.neo4j_store import Neo4jStore
    from filiere.queries.lookups import cypher

    if not isinstance(store, Neo4jStore):
        raise StoreError(f"the {store.kind!r} store has no supply-tree query")
    rows = store.run_read(cypher("viz_supply_tree"), product=product)
    if not rows:
        raise NotFoundError(f"no item {product!r}")
    tree = SupplyTree(product)
    for row in rows:
        item = row["props"]["id"]
        tree.items[item] = dict(row["props"])
        tree.children[item] = [(c["child"], _quantity(c["quantity"])) for c in row["children"]]
        for s in row["suppliers"]:
            sup = dict(s["supplier"])
            tree.suppliers[sup["id"]] = sup
            rel = dict(s["rel"])
            tree.supplies.append(Supply(sup["id"], item, rel.get("share"), rel))
        for p in row["production"]:
            tree.production.append(_production(p["country"], item, dict(p["rel"])))
    return tree


def _quantity(q: Any) -> float:
    return 1.0 if q is None else float(q)


def _production(country: str, material: str, rel: dict[str, Any]) -> Production:
    return Production(
        country, material, float(rel["share"]), str(rel.get("stage")), rel.get("year"), rel
    )
