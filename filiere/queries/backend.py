"""The one seam between filiere and a store: what every store answers, natively.

A :class:`~filiere.graph.store.GraphStore` gives its :class:`StoreReader` as
``store.reader``. The public functions (:mod:`filiere.queries`,
:mod:`filiere.queries.lookups`, :func:`filiere.viz.data.supply_tree`, the trade facts of
:mod:`filiere.sources`) call it and never ask which store they have. One implementation
per store: :class:`filiere.queries.embedded.EmbeddedReader` (SQLite and a compact index) and
:class:`filiere.queries.neo4j.Neo4jReader` (the ``.cypher`` files). Adding a store means
one module implementing this protocol; ``tests/test_parity.py`` and the other ``store``
fixture tests then say whether it answers like the others (see ``docs/stores.md``).

Look-up rows are plain dicts whose fields are those of the ``cypher/lookup_*.cypher``
queries; the callers turn them into models, sort and page them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from filiere.queries.common import (
    ItemValue,
    ProductClosures,
    ProductMakers,
    RouteSummary,
    ShockSpec,
)
from filiere.queries.models import (
    AnalysisSettings,
    BomResult,
    CriticalResult,
    DepsResult,
    RoutesResult,
    ShockResult,
)
from filiere.queries.tree import SupplyTree

#: One look-up row (see the module docstring).
Row = dict[str, Any]


class StoreReader(Protocol):
    """Everything filiere reads from a store beyond single nodes (``get_node(s)``).

    Analyses return results without names (:mod:`filiere.queries.names` adds them);
    unknown ids raise :class:`~filiere.errors.NotFoundError` where the method says so.
    """

    # -- analyses (docs/analyses.md) ---------------------------------------------------------

    def deps(self, product: str, settings: AnalysisSettings) -> DepsResult:
        """The concentrated dependencies of ``product``; NotFoundError when unknown."""
        ...

    def routes(self, item: str, region: str | None, settings: AnalysisSettings) -> RoutesResult:
        """The local routes of ``item``, sorted; NotFoundError when unknown."""
        ...

    def routes_many(
        self, items: Sequence[str], region: str | None, settings: AnalysisSettings
    ) -> dict[str, RoutesResult]:
        """The routes of several items, by item."""
        ...

    def route_summaries(
        self,
        items: Sequence[str],
        region: str | None,
        settings: AnalysisSettings,
        limit: int = 1,
    ) -> dict[str, RouteSummary]:
        """For each item (sorted, unique), its route counts per tier and first ``limit`` routes."""
        ...

    def shock(self, spec: ShockSpec) -> ShockResult:
        """What the supply stop ``spec`` cuts and dents."""
        ...

    def critical(self) -> CriticalResult:
        """Every non-product item with the number of products whose BOM holds it."""
        ...

    def bom(self, product: str) -> BomResult:
        """The bill of materials of ``product``; NotFoundError when unknown."""
        ...

    def product_makers(self) -> list[ProductMakers]:
        """Every product with its annual volume and its makers, in product order."""
        ...

    def item_values(self, items: list[str]) -> dict[str, ItemValue]:
        """Unit value and CRMA status of the known items among ``items``."""
        ...

    def closures(self) -> ProductClosures:
        """Every product's closure with the facts and BOM children of its items."""
        ...

    # -- serving (filiere.api.deps.per_item) -------------------------------------------------

    def answers_in_memory(self) -> bool:
        """Whether one-item analyses (deps, routes, bom) now read only this process's
        memory, in about a millisecond: the API then runs them in its event loop."""
        ...

    def warm(self) -> None:
        """Bring into memory what :meth:`answers_in_memory` needs (the embedded store's
        analysis index, read from its cache file or built); nothing on a remote store."""
        ...

    # -- look-ups (filiere.queries.lookups) --------------------------------------------------

    def item_row(self, item_id: str) -> Row | None:
        """``props``, ``suppliers``, ``children``, ``parents``, ``processes`` of an item."""
        ...

    def supplier_row(self, supplier_id: str) -> Row | None:
        """``props``, ``country_names``, ``region_names``, ``processes``, ``supplies``,
        ``offers`` of a supplier."""
        ...

    def region_row(self, code: str) -> Row | None:
        """``props``, ``country_name`` and ``supplier_count`` of a region."""
        ...

    def item_rows(self, kind: str | None, after: str | None, limit: int) -> list[Row]:
        """The first ``limit + 1`` items (id, name, kind) past ``after``, of one kind."""
        ...

    def region_rows(self, country: str | None, after: str | None, limit: int) -> list[Row]:
        """The first ``limit + 1`` regions (code, name, country) past ``after``."""
        ...

    def supplier_rows(self, filters: dict[str, Any], after: str | None, limit: int) -> list[Row]:
        """The first ``limit + 1`` suppliers past ``after`` passing the normalised
        ``filters`` (``region``, ``country``, ``process``, ``naf``; ``None`` = any)."""
        ...

    def search_rows(self, needle: str, types: list[str], offset: int, limit: int) -> list[Row]:
        """Rows ``offset`` to ``offset + limit`` (inclusive) of the ranked search for
        the folded ``needle``: ``type``, ``id``, ``name``, ``detail``, ``rank``."""
        ...

    # -- workspace pages (queries.summary, viz.geodata, viz.itemdata) -----------------------

    def store_sources(self) -> list[Row]:
        """Each provenance name: ``source``, ``nodes``, ``first_loaded``, ``last_loaded``,
        in source order."""
        ...

    def supplier_countries(self) -> list[Row]:
        """``country`` and ``suppliers`` (its number of firms), in country order."""
        ...

    def region_firms(self, code: str, limit: int) -> list[Row] | None:
        """The first ``limit`` firms of region ``code`` in id order (``id``, ``processes``);
        ``None`` when the store has no such region."""
        ...

    def item_context_rows(self, item: str) -> tuple[list[Row], list[Row], list[Row]]:
        """Of an item: where it is used (``item``, ``name``, ``kind``, ``levels``), its
        substitutes (``substitute``, ``name``, ``compatibility``, ``suppliers``) and its
        production rows (``country``, ``share``, ``stage``, ``year``, ``source``)."""
        ...

    def supplier_makes(self, supplier: str) -> list[Row]:
        """The products a firm makes (``id``, ``name``), in id order."""
        ...

    # -- views and imports -------------------------------------------------------------------

    def supply_tree(self, product: str) -> SupplyTree:
        """The supply tree of ``product`` in any order; NotFoundError when unknown."""
        ...

    def item_names(self) -> Iterable[tuple[str, dict[str, Any]]]:
        """Every item's id with its ``name`` and ``kind``."""
        ...

    def trade_holders(self) -> set[str]:
        """HS codes that hold trade facts (``filiere import baci``)."""
        ...

    def trade_codes(self, importer: str) -> list[tuple[str, dict[str, Any]]]:
        """HS codes (with their properties) holding extra-EU imports of ``importer``."""
        ...

    def item_trade(self, items: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
        """(item, HS code, its properties) for the codes ``items`` are classified as that
        hold extra-EU imports, in item order."""
        ...
