"""The analyses: dependencies, substitution routes, country shocks, criticality, BOM explosion.

Each analysis runs natively on the store, through its reader
(:class:`filiere.queries.reader.StoreReader`: networkx for the embedded store, the
``.cypher`` files of ``filiere/queries/cypher/`` on Neo4j), and every store gives the
same result. Definitions: ``docs/analyses.md``; stores: ``docs/stores.md``.

>>> import tempfile, os
>>> from filiere.graph.embedded import EmbeddedStore
>>> from filiere.graph.model import BomLine, Dataset, Item, Supplier, Supply
>>> from filiere.ingest.build import build_batch
>>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.json"))
>>> _ = store.write(build_batch(Dataset(
...     items=[Item(id="P", name="Pompe", kind="product"),
...            Item(id="A", name="Aimant", kind="component")],
...     bom=[BomLine(parent="P", child="A", quantity=2)],
...     suppliers=[Supplier(id="S", name="Ningbo", country="CN")],
...     supplies=[Supply(supplier="S", item="A")])))
>>> d = deps(store, "P").dependencies[0]
>>> d.item, d.country, d.at_risk, d.paths
('A', 'CN', True, [['P', 'A']])
>>> bom(store, "P").lines[0].quantity
2.0
"""

from __future__ import annotations

from collections.abc import Iterable

from filiere import gcpause
from filiere.errors import ConfigError
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.queries.common import BomCycleError
from filiere.queries.models import (
    AnalysisSettings,
    BomResult,
    CriticalResult,
    DepsResult,
    MatchesResult,
    OpportunitiesResult,
    RoutesResult,
    ShockResult,
)
from filiere.queries.names import with_names

__all__ = [
    "AnalysisSettings",
    "BomCycleError",
    "BomResult",
    "CriticalResult",
    "DepsResult",
    "MatchesResult",
    "OpportunitiesResult",
    "RoutesResult",
    "ShockResult",
    "bom",
    "critical",
    "deps",
    "matches",
    "normalize_countries",
    "normalize_region",
    "opportunities",
    "routes",
    "shock",
]

_DEFAULT = AnalysisSettings()


def deps(store: GraphStore, product: str, settings: AnalysisSettings = _DEFAULT) -> DepsResult:
    """The concentrated dependencies of ``product`` (any item id) and its mapping gaps."""
    result = store.reader.deps(product, settings)
    return with_names(store, _with_trade(store, result))


def _with_trade(store: GraphStore, result: DepsResult) -> DepsResult:
    """Fill ``Dependency.trade`` from the HS codes of the items (``filiere import baci``)."""
    from filiere.sources.trade import item_trade

    trade = item_trade(store, [d.item for d in result.dependencies])
    if not trade:
        return result
    deps = [d.model_copy(update={"trade": trade.get(d.item)}) for d in result.dependencies]
    return result.model_copy(update={"dependencies": deps})


def routes(
    store: GraphStore,
    item: str,
    region: str | None = None,
    settings: AnalysisSettings = _DEFAULT,
) -> RoutesResult:
    """Local substitution routes for ``item``, nearest tiers first (region ``R`` optional)."""
    region = normalize_region(region) if region else None
    found = store.reader.routes(item, region, settings)
    return with_names(store, found)


def shock(
    store: GraphStore,
    countries: Iterable[str],
    settings: AnalysisSettings = _DEFAULT,
    *,
    cut: float = 1.0,
    upstream: bool = False,
) -> ShockResult:
    """What a stop of the fraction ``cut`` of the supply from ``countries`` does.

    With ``upstream``, their share of world production (mines, refineries) stops too.
    ``settings`` is not used yet. The cyclic collector is paused as for :func:`critical`
    (at 10^7 relationships, 63,537 products hit: 12.1 -> 7.9 CPU-seconds).
    """
    from filiere.queries.common import ShockSpec

    if not 0 < cut <= 1:
        raise ConfigError(f"the cut fraction must be in (0, 1], got {cut!r}")
    spec = ShockSpec(frozenset(normalize_countries(countries)), float(cut), bool(upstream))
    with gcpause.paused():
        found = store.reader.shock(spec)
        return with_names(store, found)


def critical(store: GraphStore) -> CriticalResult:
    """Every non-product item with the number of products whose BOM holds it.

    Python's cyclic collector is paused meanwhile: the result may list every item of the
    graph (510,715 at 10^7 relationships), and rescanning them as they are made tripled
    the time to make them."""

    with gcpause.paused():
        found = store.reader.critical()
        return with_names(store, found)


def bom(store: GraphStore, product: str) -> BomResult:
    """Every item under ``product`` (any item id) with its depth and total quantity."""
    found = store.reader.bom(product)
    return with_names(store, found)


def opportunities(
    store: GraphStore,
    region: str | None = None,
    settings: AnalysisSettings = _DEFAULT,
    *,
    with_route: bool = False,
    top: int | None = None,
) -> OpportunitiesResult:
    """At-risk items that products need, with buyers, annual value and local routes."""
    from filiere.queries import relocation as opps

    region = normalize_region(region) if region else None
    if top is not None and top < 1:
        raise ConfigError(f"top must be at least 1, got {top}")
    return opps.opportunities(store.reader, region, settings, with_route=with_route, top=top)


#: How many routes ``matches`` lists per at-risk item unless asked otherwise.
ROUTES_PER_ITEM = 20


def matches(
    store: GraphStore,
    region: str,
    settings: AnalysisSettings = _DEFAULT,
    *,
    routes_per_item: int = ROUTES_PER_ITEM,
) -> MatchesResult:
    """For each firm of ``region`` and product it makes: the first routes of its at-risk items."""
    from filiere.queries import relocation as opps

    code = normalize_region(region)
    if routes_per_item < 1:
        raise ConfigError(
            _("routes per item must be at least 1, got {n}").format(n=routes_per_item)
        )
    return opps.matches(store.reader, code, settings, routes_per_item=routes_per_item)


def normalize_countries(countries: Iterable[str]) -> list[str]:
    """Sorted, unique ISO alpha-2 codes; names and alpha-3 codes are accepted.

    >>> normalize_countries(["cn", "Chine", "DEU"])
    ['CN', 'DE']
    """
    from filiere.graph.reference import country_code

    codes = set()
    for c in countries:
        code = country_code(c)
        if code is None:
            raise ConfigError(
                _("unknown country {country} (use an ISO code such as CN)").format(country=repr(c))
            )
        codes.add(code)
    if not codes:
        raise ConfigError(_("give at least one country"))
    return sorted(codes)


def normalize_region(region: str) -> str:
    """An ISO 3166-2 region code, upper-cased; unknown codes are refused.

    >>> normalize_region("fr-bfc")
    'FR-BFC'
    """
    from filiere.graph.reference import region_info

    code = region.strip().upper()
    if region_info(code) is None:
        raise ConfigError(
            _("unknown region {region} (use an ISO 3166-2 code such as FR-BFC)").format(
                region=repr(region)
            )
        )
    return code
