"""The graph schema: labels, relationship types, keys and constraints.

This module is the single source of truth for every label and property name that
reaches a query. ``docs/schema.md`` documents it for analysts and a test checks the
two agree.

>>> KEY[Label.ITEM]
'id'
>>> [str(label) for label in ENDPOINTS[Rel.LOCATED_IN][1]]
['Country', 'Region']
"""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    """Node labels. Items carry ``Item`` plus one kind label."""

    ITEM = "Item"
    PRODUCT = "Product"
    COMPONENT = "Component"
    MATERIAL = "Material"
    SUPPLIER = "Supplier"
    COUNTRY = "Country"
    REGION = "Region"
    PROCESS = "Process"
    HSCODE = "HSCode"


class Kind(StrEnum):
    """The kind of an item, which decides its second label."""

    PRODUCT = "product"
    COMPONENT = "component"
    MATERIAL = "material"

    @property
    def label(self) -> Label:
        return Label(self.value.capitalize())


class Rel(StrEnum):
    """Relationship types, always read in the direction written here."""

    CONTAINS = "CONTAINS"  # (parent:Item)-[:CONTAINS {quantity}]->(child:Item)
    SUPPLIES = "SUPPLIES"  # (:Supplier)-[:SUPPLIES {share}]->(:Item): current sourcing
    OFFERS = "OFFERS"  # (:Supplier)-[:OFFERS]->(:Item): potential sourcing
    MAKES = "MAKES"  # (:Supplier)-[:MAKES]->(:Item:Product): the firm makes the product
    SUBSTITUTES = "SUBSTITUTES"  # (substitute:Item)-[:SUBSTITUTES {compatibility}]->(item:Item)
    REQUIRES = "REQUIRES"  # (:Item)-[:REQUIRES]->(:Process)
    MASTERS = "MASTERS"  # (:Supplier)-[:MASTERS]->(:Process)
    PRODUCES = "PRODUCES"  # (:Country)-[:PRODUCES {share, stage, year}]->(:Item:Material)
    LOCATED_IN = "LOCATED_IN"  # (:Supplier)-[:LOCATED_IN]->(:Country) and ->(:Region)
    PART_OF = "PART_OF"  # (:Region)-[:PART_OF]->(:Country)
    CLASSIFIED_AS = "CLASSIFIED_AS"  # (:Item)-[:CLASSIFIED_AS]->(:HSCode)
    SUBHEADING_OF = "SUBHEADING_OF"  # (:HSCode)-[:SUBHEADING_OF]->(:HSCode)


#: The property holding a node's name, shown beside its key (items, suppliers, regions).
NAME = "name"

#: Labels that are keyed (one unique constraint each); items are keyed on ``Item``.
KEYED_LABELS: tuple[Label, ...] = (
    Label.ITEM,
    Label.SUPPLIER,
    Label.COUNTRY,
    Label.REGION,
    Label.PROCESS,
    Label.HSCODE,
)

#: The unique key property of each keyed label.
KEY: dict[Label, str] = {
    Label.ITEM: "id",
    Label.SUPPLIER: "id",
    Label.COUNTRY: "code",
    Label.REGION: "code",
    Label.PROCESS: "id",
    Label.HSCODE: "code",
}

#: Allowed (start labels, end labels) of each relationship type.
ENDPOINTS: dict[Rel, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Rel.CONTAINS: ((Label.ITEM,), (Label.ITEM,)),
    Rel.SUPPLIES: ((Label.SUPPLIER,), (Label.ITEM,)),
    Rel.OFFERS: ((Label.SUPPLIER,), (Label.ITEM,)),
    Rel.MAKES: ((Label.SUPPLIER,), (Label.PRODUCT,)),
    Rel.SUBSTITUTES: ((Label.ITEM,), (Label.ITEM,)),
    Rel.REQUIRES: ((Label.ITEM,), (Label.PROCESS,)),
    Rel.MASTERS: ((Label.SUPPLIER,), (Label.PROCESS,)),
    Rel.PRODUCES: ((Label.COUNTRY,), (Label.ITEM,)),
    Rel.LOCATED_IN: ((Label.SUPPLIER,), (Label.COUNTRY, Label.REGION)),
    Rel.PART_OF: ((Label.REGION,), (Label.COUNTRY,)),
    Rel.CLASSIFIED_AS: ((Label.ITEM,), (Label.HSCODE,)),
    Rel.SUBHEADING_OF: ((Label.HSCODE,), (Label.HSCODE,)),
}

#: Properties that, with the two end nodes, identify a relationship. Every other
#: relationship type has at most one relationship between two given nodes.
REL_IDENTITY: dict[Rel, tuple[str, ...]] = {Rel.PRODUCES: ("stage", "year")}

#: Provenance properties written on every node and relationship by an ingest.
PROVENANCE = ("source", "loaded_at")

#: The 27 member states of the European Union (ISO 3166-1 alpha-2), since 2020-02-01.
EU27: frozenset[str] = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)


#: Neo4j: the label of the ingest lock node. It is created and never committed by the
#: transaction that holds the lock (see :meth:`filiere.graph.store.GraphStore.exclusive`),
#: so it never shows in the graph; its unique constraint is what makes others wait.
INGEST_LOCK_LABEL = "FiliereIngestLock"
INGEST_LOCK_KEY = "name"


#: Neo4j: a journalled (batched, all-or-nothing) load. Its journal node, created first,
#: holds ``{id, state, started, replace}``; ``state`` is ``writing`` until the commit point,
#: then ``committed`` until the clean-up is done (see :mod:`filiere.graph.neo4j_journal`).
LOAD_LABEL = "FiliereLoad"
LOAD_KEY = "id"
LOAD_WRITING = "writing"
LOAD_COMMITTED = "committed"
#: An undo record: the properties (and labels) an entity had before the load changed it.
UNDO_LABEL = "FiliereUndo"
#: Properties a journalled load puts on the graph while it runs (removed at the end):
#: on what it created, on what it updated (its undo record exists), on what ``replace``
#: will delete. Each holds the load's id.
LOAD_TAG = "filiere_load"
SAVED_TAG = "filiere_saved"
REPLACED_TAG = "filiere_replaced"
#: Properties of an undo record besides the saved ones: the load, the node's keyed label,
#: key and labels, or the relationship's element id.
UNDO_LOAD = "filiere_undo_load"
UNDO_NODE_LABEL = "filiere_undo_label"
UNDO_NODE_KEY = "filiere_undo_key"
UNDO_NODE_LABELS = "filiere_undo_labels"
UNDO_REL = "filiere_undo_rel"
#: Every property name the journal uses: never a dataset property, never exported.
JOURNAL_PROPS = (
    LOAD_TAG,
    SAVED_TAG,
    REPLACED_TAG,
    UNDO_LOAD,
    UNDO_NODE_LABEL,
    UNDO_NODE_KEY,
    UNDO_NODE_LABELS,
    UNDO_REL,
)


def constraint_name(label: Label) -> str:
    """The name of the unique constraint on ``label``'s key, e.g. ``item_id``."""
    return f"{label.value.lower()}_{KEY[label]}"


def constraints_cypher() -> list[str]:
    """The ``CREATE CONSTRAINT`` statements the Neo4j store runs up front."""
    return [
        f"CREATE CONSTRAINT {constraint_name(lbl)} IF NOT EXISTS "
        f"FOR (n:{lbl.value}) REQUIRE n.{KEY[lbl]} IS UNIQUE"
        for lbl in KEYED_LABELS
    ]
