"""What a store holds, for the workspace's home page: counts, sources and load dates.

Same answer on both stores (tests/test_web_pages.py runs it on each).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from filiere.graph.embedded import EmbeddedStore
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.queries.lookups import cypher


class SourceInfo(BaseModel):
    """One provenance name (``source``) with its nodes and when they were loaded."""

    source: str
    nodes: int
    first_loaded: str | None
    last_loaded: str | None


class CountryCount(BaseModel):
    country: str
    suppliers: int


class StoreSummary(BaseModel):
    """Nodes by label and relationships by type, sources, the countries with most suppliers."""

    kind: str
    counts: dict[str, int]
    sources: list[SourceInfo]
    supplier_countries: list[CountryCount]


def store_summary(store: GraphStore, *, countries: int = 8) -> StoreSummary:
    """The summary of ``store`` (``countries``: how many supplier countries to list)."""
    if isinstance(store, EmbeddedStore):
        sources, by_country = _embedded(store)
        top = sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))[:countries]
    else:
        run = store.run_read  # type: ignore[attr-defined]
        sources = run(cypher("lookup_store_sources"))
        rows = run(cypher("lookup_store_supplier_countries"), limit=countries)
        top = [(r["country"], r["suppliers"]) for r in rows]
    return StoreSummary(
        kind=store.kind,
        counts=store.counts(),
        sources=[SourceInfo(**s) for s in sources],
        supplier_countries=[CountryCount(country=c, suppliers=n) for c, n in top],
    )


def _embedded(store: EmbeddedStore) -> tuple[list[dict[str, Any]], dict[str, int]]:
    found: dict[str, dict[str, Any]] = {}
    by_country: dict[str, int] = {}
    for nid, d in store.graph.nodes(data=True):
        props = d["props"]
        source = props.get("source")
        if source is not None:
            s = found.setdefault(
                source, {"source": source, "nodes": 0, "first_loaded": None, "last_loaded": None}
            )
            s["nodes"] += 1
            when = props.get("loaded_at")
            if when is not None:
                s["first_loaded"] = min(s["first_loaded"] or when, when)
                s["last_loaded"] = max(s["last_loaded"] or when, when)
        if nid[0] == Label.SUPPLIER and props.get("country"):
            by_country[props["country"]] = by_country.get(props["country"], 0) + 1
    return [found[k] for k in sorted(found)], by_country
