"""What a store holds, for the workspace's home page: counts, sources and load dates.

Same answer on both stores (tests/test_web_pages.py runs it on each).
"""

from __future__ import annotations

from pydantic import BaseModel

from filiere.graph.store import GraphStore


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
    reader = store.reader
    by_country = reader.supplier_countries()
    top = sorted(by_country, key=lambda r: (-r["suppliers"], r["country"]))[:countries]
    return StoreSummary(
        kind=store.kind,
        counts=store.counts(),
        sources=[SourceInfo(**s) for s in reader.store_sources()],
        supplier_countries=[
            CountryCount(country=r["country"], suppliers=r["suppliers"]) for r in top
        ],
    )
