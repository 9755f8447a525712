"""The Cypher the real-source code runs on Neo4j (read-only, values as ``$parameters``).

Labels and property names come from :mod:`filiere.graph.schema` and
:mod:`filiere.sources.trade`, never from the caller.
"""

from __future__ import annotations

from filiere.graph.schema import Label, Rel

#: Every item with its name and kind (to match a source's material names).
ITEM_NAMES = f"""
MATCH (i:{Label.ITEM})
RETURN i.id AS id, i.name AS name, i.kind AS kind
ORDER BY id
"""

#: HS codes that hold trade-dependency facts for ``$importer``.
TRADE_CODES = f"""
MATCH (h:{Label.HSCODE})
WHERE h.trade_importer = $importer AND h.trade_extra_eu_imports > 0
RETURN h.code AS code, properties(h) AS props
"""

#: Existing HS codes among ``$codes`` that hold trade facts (to reset stale ones).
TRADE_HOLDERS = f"""
MATCH (h:{Label.HSCODE})
WHERE h.trade_importer IS NOT NULL
RETURN h.code AS code
"""

#: The trade facts of the HS codes of items ``$ids`` (for ``deps``).
ITEM_TRADE = f"""
UNWIND $ids AS id
MATCH (i:{Label.ITEM} {{id: id}})-[:{Rel.CLASSIFIED_AS}]->(h:{Label.HSCODE})
WHERE h.trade_importer IS NOT NULL
RETURN id AS item, properties(h) AS props
"""
