"""Names beside the ids of the analyses' results, so that a reader or a tool needs no extra call.

One batched look-up per result (``store.names`` for items, ``store.get_nodes`` for
suppliers) on either store, after the analysis: both stores give the same names by
construction. Item and supplier names are the data's
own; country names in JSON are always French (see docs/analyses.md, "Names"): a JSON
result is a contract and does not change with the reader's language, and the other names
of the data (items, suppliers, regions) are French as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.names import country_name, region_name
from filiere.queries.models import (
    BomResult,
    CriticalResult,
    DepsResult,
    RoutesResult,
    ShockResult,
)

#: The language of the names written into JSON results.
JSON_LANGUAGE = "fr"

R = TypeVar("R", bound=BaseModel)


def _country(code: str | None) -> str | None:
    return country_name(code, JSON_LANGUAGE)


class _Names:
    def __init__(self, store: GraphStore, items: Iterable[str], suppliers: Iterable[str] = ()):
        self.items = store.names(Label.ITEM, items)
        self.suppliers = store.get_nodes(Label.SUPPLIER, suppliers)

    def item(self, key: str) -> str:
        return self.items.get(key) or key

    def supplier(self, key: str) -> dict[str, Any]:
        return self.suppliers.get(key, {})


def with_names(store: GraphStore, result: R) -> R:
    """``result`` with its name fields filled."""
    if isinstance(result, DepsResult):
        return _deps(store, result)  # type: ignore[return-value]
    if isinstance(result, RoutesResult):
        return _routes(store, result)  # type: ignore[return-value]
    if isinstance(result, ShockResult):
        return _shock(store, result)  # type: ignore[return-value]
    if isinstance(result, CriticalResult):  # every item of the graph, maybe: one validation
        n = _Names(store, (i.item for i in result.items))
        rows = [
            {"item": i.item, "dependent_products": i.dependent_products, "name": n.item(i.item)}
            for i in result.items
        ]
        return CriticalResult.model_validate({"items": rows})  # type: ignore[return-value]
    if isinstance(result, BomResult):
        n = _Names(store, [result.product, *(x.item for x in result.lines)])
        lines = [x.model_copy(update={"name": n.item(x.item)}) for x in result.lines]
        return result.model_copy(update={"lines": lines, "product_name": n.item(result.product)})
    return result


def _deps(store: GraphStore, result: DepsResult) -> DepsResult:
    ds = result.dependencies
    n = _Names(
        store,
        [result.product, *result.gaps, *(d.item for d in ds)],
        (s for d in ds for s in d.suppliers),
    )
    deps = [
        d.model_copy(
            update={
                "name": n.item(d.item),
                "country_name": _country(d.country),
                "upstream_country_name": _country(d.upstream_country),
                "supplier_names": [str(n.supplier(s).get("name") or s) for s in d.suppliers],
            }
        )
        for d in ds
    ]
    return result.model_copy(
        update={
            "dependencies": deps,
            "product_name": n.item(result.product),
            "gap_names": [n.item(g) for g in result.gaps],
        }
    )


def _routes(store: GraphStore, result: RoutesResult) -> RoutesResult:
    rs = result.routes
    n = _Names(store, [result.item, *(r.via for r in rs)], (r.supplier for r in rs))
    routes = []
    for r in rs:
        s = n.supplier(r.supplier)
        routes.append(
            r.model_copy(
                update={
                    "supplier_name": str(s.get("name") or r.supplier),
                    "city": s.get("city"),
                    "country_name": _country(r.country),
                    "region_name": region_name(r.region),
                    "via_name": n.item(r.via),
                }
            )
        )
    return result.model_copy(
        update={
            "routes": routes,
            "item_name": n.item(result.item),
            "region_name": region_name(result.region),
            "home_country_name": _country(result.home_country),
        }
    )


def _shock(store: GraphStore, result: ShockResult) -> ShockResult:
    keys = [p.product for p in result.impacted_products]
    keys += [i for p in result.impacted_products for i in p.cut_items]
    keys += [x.item for p in result.impacted_products for x in p.partial]
    keys += [c.item for c in result.cut_items]
    keys += [v for c in result.cut_items for v in c.recoverable_via]
    n = _Names(store, keys)
    products = [
        p.model_copy(
            update={
                "product_name": n.item(p.product),
                "cut_item_names": [n.item(i) for i in p.cut_items],
                "partial": [x.model_copy(update={"name": n.item(x.item)}) for x in p.partial],
            }
        )
        for p in result.impacted_products
    ]
    cut = [
        c.model_copy(
            update={
                "name": n.item(c.item),
                "recoverable_via_names": [n.item(v) for v in c.recoverable_via],
            }
        )
        for c in result.cut_items
    ]
    return result.model_copy(
        update={
            "impacted_products": products,
            "cut_items": cut,
            "country_names": [_country(c) or c for c in result.countries],
        }
    )
