"""Reading the trade-dependency facts back: ``filiere trade-deps`` and the ``deps`` extra field.

The facts were stored by :mod:`filiere.sources.baci` on HSCode nodes; the three
criteria are re-evaluated here with the caller's thresholds (the stored values are
the sums and the HHI), so ``--hhi``/``--share``/``--ratio`` need no re-import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from filiere.graph.store import GraphStore
from filiere.sources.baci import ProductTrade, TradeSettings, importer_name
from filiere.sources.common import SourceError
from filiere.sources.trade_models import SupplierShare, TradeDependency

#: The Commission's thresholds (HHI > 0.4, extra-EU share > 0.5, imports/exports > 1).
DEFAULT_SETTINGS = TradeSettings()


class TradeDepsResult(BaseModel):
    """``filiere trade-deps``: HS6 products ranked by dependency, then extra-EU imports."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    importer: str
    year: int | None
    thresholds: dict[str, float]
    exports_scope: str | None
    products: list[TradeDependency]


def from_props(code: str, props: Mapping[str, Any], settings: TradeSettings) -> TradeDependency:
    """The criteria of one HSCode node's stored facts, with ``settings``' thresholds."""
    suppliers = [str(s) for s in props.get("trade_suppliers") or [] if s]
    shares = [float(s) for s in props.get("trade_supplier_shares") or []][: len(suppliers)]
    p = ProductTrade(
        code,
        float(props.get("trade_extra_eu_imports") or 0.0),
        float(props.get("trade_total_imports") or 0.0),
        float(props.get("trade_exports") or 0.0),
        list(zip(suppliers, shares, strict=False)),
        float(props.get("trade_hhi") or 0.0),
    )
    c1, c2, c3 = p.criteria(settings)
    ratio = p.ratio
    return TradeDependency(
        hs_code=code,
        description=props.get("description"),
        importer=str(props.get("trade_importer")),
        year=props.get("trade_year"),
        extra_eu_imports=round(p.extra_eu_imports, 3),
        total_imports=round(p.total_imports, 3),
        exports=round(p.exports, 3),
        exports_scope=str(props.get("trade_exports_scope") or "extra-eu"),
        hhi=round(p.hhi, 6),
        extra_eu_share=round(p.extra_eu_share, 6),
        import_export_ratio=None if ratio is None else round(ratio, 6),
        concentrated=c1,
        import_reliant=c2,
        hard_to_substitute=c3,
        dependent=c1 and c2 and c3,
        top_supplier=suppliers[0] if suppliers else None,
        top_supplier_share=round(shares[0], 6) if shares else None,
        suppliers=[SupplierShare(country=c, share=round(s, 6)) for c, s in p.suppliers],
    )


def _coded_nodes(store: GraphStore, importer: str) -> list[tuple[str, dict[str, Any]]]:
    return store.reader.trade_codes(importer)


def trade_deps(
    store: GraphStore,
    importer: str = "FR",
    *,
    settings: TradeSettings = DEFAULT_SETTINGS,
    dependent_only: bool = True,
    limit: int | None = None,
) -> TradeDepsResult:
    """HS6 products of the stored BACI import for ``importer``, dependent ones first."""
    name = importer_name(importer)
    rows = [from_props(code, props, settings) for code, props in _coded_nodes(store, name)]
    if not rows and not _any_trade(store):
        raise SourceError("no trade facts in the store: run `filiere import baci` first")
    if not rows:
        raise SourceError(
            f"no trade facts for importer {name} in the store "
            f"(import BACI with --importer {name}; one importer is stored at a time)"
        )
    if dependent_only:
        rows = [r for r in rows if r.dependent]
    rows.sort(key=lambda r: (not r.dependent, -r.extra_eu_imports, r.hs_code))
    if limit is not None:
        rows = rows[:limit]
    years = {r.year for r in rows}
    scopes = {r.exports_scope for r in rows}
    return TradeDepsResult(
        importer=name,
        year=years.pop() if len(years) == 1 else None,
        thresholds={"hhi": settings.hhi, "share": settings.share, "ratio": settings.ratio},
        exports_scope=scopes.pop() if len(scopes) == 1 else None,
        products=rows,
    )


def _any_trade(store: GraphStore) -> bool:
    from filiere.sources.baci import trade_holders

    return bool(trade_holders(store))


def item_trade(
    store: GraphStore, items: Iterable[str], settings: TradeSettings = DEFAULT_SETTINGS
) -> dict[str, TradeDependency]:
    """The trade facts of the HS codes that ``items`` are classified as (for ``deps``)."""
    found: dict[str, TradeDependency] = {}
    for item, code, props in store.reader.item_trade(sorted(set(items))):
        found[item] = from_props(code, props, settings)
    return found
