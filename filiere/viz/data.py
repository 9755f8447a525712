"""What the views read from the store beyond the analysis results, on either store.

:func:`supply_tree` returns a product's bill of materials with its suppliers and world
production rows, from the store's reader (the networkx graph of the embedded store,
``filiere/queries/cypher/viz_supply_tree.cypher`` on Neo4j). Both give the same
:class:`SupplyTree`; its cost grows with the product's closure, not with the graph.
"""

from __future__ import annotations

from filiere.graph.store import GraphStore
from filiere.queries.tree import Production, Supply, SupplyTree

__all__ = ["Production", "Supply", "SupplyTree", "supply_tree"]


def supply_tree(store: GraphStore, product: str) -> SupplyTree:
    """The supply tree of ``product``; :class:`NotFoundError` when there is no such item."""
    return store.reader.supply_tree(product).sort()
