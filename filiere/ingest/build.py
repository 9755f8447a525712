"""Turn a validated :class:`~filiere.graph.model.Dataset` into graph records.

Countries, regions and HS codes become nodes of their own, filled from the built-in
reference data. Every node and relationship carries ``source`` and ``loaded_at``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from filiere.graph import reference as ref
from filiere.graph.model import Dataset
from filiere.graph.processes import canonical_process, process_info
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import Kind, Label, Rel

if TYPE_CHECKING:
    from filiere.ingest.validate import CheckedDataset


@lru_cache(maxsize=4096)
def _hs_chain(code: str) -> tuple[ref.HSInfo, ...]:
    """The reference chain of an HS code, looked up once per code."""
    return tuple(ref.hs_chain(code))


def process_id(name: str) -> str:
    """The canonical id of a process name (the vocabulary of :mod:`filiere.graph.processes`).

    Names compare without case, accents or extra spaces, in English or French; a name
    outside the vocabulary keeps its own lower-case form.

    >>> process_id(" Casting"), process_id("Usinage"), process_id("report  CMS")
    ('casting', 'machining', 'pcb assembly')
    >>> process_id("Gravure Chimique")
    'gravure chimique'
    """
    return canonical_process(name)


def process_props(pid: str) -> dict[str, str]:
    """A ``Process`` node's properties: English ``name`` and ``name_fr`` when the id is known.

    >>> process_props("machining"), process_props("gravure chimique")
    ({'name': 'machining', 'name_fr': 'usinage'}, {'name': 'gravure chimique'})
    """
    info = process_info(pid)
    return info.props() if info is not None and info.id == pid else {"name": pid}


class _Builder:
    def __init__(self, source: str, loaded_at: str) -> None:
        self.prov = {"source": source, "loaded_at": loaded_at}
        self.nodes: dict[tuple[Label, str], NodeRecord] = {}
        self.rels: dict[tuple[Any, ...], RelRecord] = {}

    def node(
        self, label: Label, key: str, props: dict[str, Any], extra: tuple[Label, ...] = ()
    ) -> None:
        self.nodes[(label, key)] = NodeRecord.make(label, key, {**props, **self.prov}, extra)

    def rel(
        self, rtype: Rel, a: tuple[Label, str], b: tuple[Label, str], props: dict[str, Any]
    ) -> None:
        full = {**self.prov, **{k: v for k, v in props.items() if v is not None}}
        r = RelRecord(rtype, a[0], a[1], b[0], b[1], full)
        self.rels[r.ident] = r

    def country(self, code: str) -> tuple[Label, str]:
        if (Label.COUNTRY, code) not in self.nodes:
            info = ref.country_info(code)
            self.nodes[(Label.COUNTRY, code)] = NodeRecord.make(
                Label.COUNTRY, code, {**info.props(), **self.prov, "source": ref.COUNTRY_SOURCE}
            )
        return (Label.COUNTRY, code)

    def region(self, code: str) -> tuple[Label, str]:
        if (Label.REGION, code) not in self.nodes:
            info = ref.region_info(code)
            if info is None:
                raise KeyError(code)
            self.nodes[(Label.REGION, code)] = NodeRecord.make(
                Label.REGION, code, {**info.props(), **self.prov, "source": ref.REGION_SOURCE}
            )
            self.rel(Rel.PART_OF, (Label.REGION, code), self.country(info.country), {})
        return (Label.REGION, code)

    def hs_code(self, code: str) -> tuple[Label, str] | None:
        chain = _hs_chain(code)
        for info in chain:
            if (Label.HSCODE, info.code) not in self.nodes:
                props = {"description": info.description, "level": info.level}
                self.nodes[(Label.HSCODE, info.code)] = NodeRecord.make(
                    Label.HSCODE, info.code, {**props, **self.prov, "source": ref.HS_SOURCE}
                )
            if info.parent:
                self.rel(
                    Rel.SUBHEADING_OF, (Label.HSCODE, info.code), (Label.HSCODE, info.parent), {}
                )
        return (Label.HSCODE, chain[0].code) if chain else None


def now() -> str:
    """The ``loaded_at`` of records made now: UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def build_batch(
    dataset: Dataset, *, source: str | None = None, loaded_at: str | None = None
) -> GraphBatch:
    """The nodes and relationships that ``dataset`` writes, with provenance.

    >>> from filiere.graph.model import Dataset, Item
    >>> b = build_batch(Dataset(items=[Item(id="M", name="Cobalt", kind="material")]))
    >>> [(n.label.value, n.key, [x.value for x in n.extra_labels]) for n in b.nodes]
    [('Item', 'M', ['Material'])]
    """
    when = loaded_at or now()
    b = _Builder(source or dataset.name, when)
    for it in dataset.items:
        props = {
            "name": it.name,
            "kind": it.kind.value,
            "hs_code": it.hs_code,
            "unit": it.unit,
            "unit_value_eur": it.unit_value_eur,
            "description": it.description,
            "annual_volume": it.annual_volume,
            "crma": it.crma,
            **it.extras(),
        }
        b.node(Label.ITEM, it.id, props, (it.kind.label,))
        if it.hs_code:
            hs = b.hs_code(it.hs_code)
            if hs is not None:
                b.rel(Rel.CLASSIFIED_AS, (Label.ITEM, it.id), hs, {})
    for s in dataset.suppliers:
        props = {
            "name": s.name,
            "country": s.country,
            "region": s.region,
            "city": s.city,
            "lat": s.lat,
            "lon": s.lon,
            "siren": s.siren,
            "naf": s.naf,
            **s.extras(),
        }
        b.node(Label.SUPPLIER, s.id, props)
        b.rel(Rel.LOCATED_IN, (Label.SUPPLIER, s.id), b.country(s.country), {})
        if s.region:
            b.rel(Rel.LOCATED_IN, (Label.SUPPLIER, s.id), b.region(s.region), {})
    for line in dataset.bom:
        b.rel(
            Rel.CONTAINS,
            (Label.ITEM, line.parent),
            (Label.ITEM, line.child),
            {"quantity": line.quantity, **line.extras()},
        )
    for sp in dataset.supplies:
        b.rel(
            Rel.SUPPLIES,
            (Label.SUPPLIER, sp.supplier),
            (Label.ITEM, sp.item),
            {"share": sp.share, **sp.extras()},
        )
    for o in dataset.offers:
        b.rel(Rel.OFFERS, (Label.SUPPLIER, o.supplier), (Label.ITEM, o.item), o.extras())
    for mk in dataset.makes:
        b.rel(Rel.MAKES, (Label.SUPPLIER, mk.supplier), (Label.ITEM, mk.item), mk.extras())
    for sub in dataset.substitutes:
        b.rel(
            Rel.SUBSTITUTES,
            (Label.ITEM, sub.substitute),
            (Label.ITEM, sub.item),
            {"compatibility": sub.compatibility, **sub.extras()},
        )
    names = [x.process for x in dataset.processes] + [x.process for x in dataset.capabilities]
    for pid in sorted({process_id(n) for n in names}):
        b.node(Label.PROCESS, pid, process_props(pid))
    for pn in dataset.processes:
        b.rel(
            Rel.REQUIRES,
            (Label.ITEM, pn.item),
            (Label.PROCESS, process_id(pn.process)),
            pn.extras(),
        )
    for cap in dataset.capabilities:
        b.rel(
            Rel.MASTERS,
            (Label.SUPPLIER, cap.supplier),
            (Label.PROCESS, process_id(cap.process)),
            cap.extras(),
        )
    for p in dataset.production:
        props = {"share": p.share, "stage": p.stage, "year": p.year, **p.extras()}
        if p.source:
            props["source"] = p.source
        b.rel(Rel.PRODUCES, b.country(p.country), (Label.ITEM, p.material), props)
    return GraphBatch(list(b.nodes.values()), list(b.rels.values()))


@dataclass
class RecordStream:
    """The records of a checked dataset, made as they are read (never all in memory).

    ``nodes()`` then ``rels()``: each pass reads the checked rows again, so a store can
    write a large dataset chunk by chunk inside one transaction. The records are those
    of :func:`build_batch` on the same dataset (reference nodes first, then the rows').
    """

    dataset: CheckedDataset
    source: str
    loaded_at: str

    @cached_property
    def _refs(self) -> _References:
        return _References(self._hs_codes(), self._countries(), self._regions())

    @cached_property
    def _process_ids(self) -> list[str]:
        return sorted(self._processes())

    def count(self) -> int:
        """How many records :meth:`nodes` and :meth:`rels` make (for a progress bar)."""
        ds, refs = self.dataset, self._refs
        classified = sum(
            1 for (code,), _x in ds.read("items", ("hs_code",)) if _hs_chain(code or "")
        )
        located = sum(1 + bool(region) for (region,), _x in ds.read("suppliers", ("region",)))
        rows = sum(ds.count(name) for name in ds.tables)  # one record per row
        return (
            rows
            + located
            + classified
            + len(self._process_ids)
            + sum(1 for _ in refs.nodes({}))
            + sum(1 for _ in refs.rels())
        )

    def nodes(self) -> Iterator[NodeRecord]:
        ds, prov = self.dataset, {"source": self.source, "loaded_at": self.loaded_at}
        yield from self._refs.nodes(prov)
        for values, extras in ds.read("items", ("id", *_ITEM_PROPS)):
            props = dict(zip(_ITEM_PROPS, values[1:], strict=True))
            kind = Kind(props["kind"])
            props["kind"] = kind.value
            yield NodeRecord.make(Label.ITEM, values[0], {**props, **extras, **prov}, (kind.label,))
        for values, extras in ds.read("suppliers", ("id", *_SUPPLIER_PROPS)):
            props = dict(zip(_SUPPLIER_PROPS, values[1:], strict=True))
            yield NodeRecord.make(Label.SUPPLIER, values[0], {**props, **extras, **prov})
        for pid in self._process_ids:
            yield NodeRecord.make(Label.PROCESS, pid, {**process_props(pid), **prov})

    def rels(self) -> Iterator[RelRecord]:
        ds, prov = self.dataset, {"source": self.source, "loaded_at": self.loaded_at}
        item, supplier, process = Label.ITEM, Label.SUPPLIER, Label.PROCESS

        def rel(
            rtype: Rel, a: Label, ak: str, b: Label, bk: str, props: dict[str, Any]
        ) -> RelRecord:
            if not props:  # the provenance alone: one shared (never modified) dict
                return RelRecord(rtype, a, ak, b, bk, prov)
            full = {**prov, **{k: v for k, v in props.items() if v is not None}}
            return RelRecord(rtype, a, ak, b, bk, full)

        for rtype, (a, ak), (b, bk) in self._refs.rels():
            yield rel(rtype, a, ak, b, bk, {})
        for (key, code), _x in ds.read("items", ("id", "hs_code")):
            chain = _hs_chain(code) if code else ()
            if chain:
                yield rel(Rel.CLASSIFIED_AS, item, key, Label.HSCODE, chain[0].code, {})
        for (key, country, region), _x in ds.read("suppliers", ("id", "country", "region")):
            yield rel(Rel.LOCATED_IN, supplier, key, Label.COUNTRY, country, {})
            if region:
                yield rel(Rel.LOCATED_IN, supplier, key, Label.REGION, region, {})
        for (parent, child, quantity), extras in ds.read("bom", ("parent", "child", "quantity")):
            yield rel(Rel.CONTAINS, item, parent, item, child, {"quantity": quantity, **extras})
        for (sup, it, share), extras in ds.read("supplies", ("supplier", "item", "share")):
            yield rel(Rel.SUPPLIES, supplier, sup, item, it, {"share": share, **extras})
        for rtype, table in ((Rel.OFFERS, "offers"), (Rel.MAKES, "makes")):
            for (sup, it), extras in ds.read(table, ("supplier", "item")):
                yield rel(rtype, supplier, sup, item, it, extras)
        fields = ("item", "substitute", "compatibility")
        for (it, sub, compatibility), extras in ds.read("substitutes", fields):
            props = {"compatibility": compatibility, **extras}
            yield rel(Rel.SUBSTITUTES, item, sub, item, it, props)
        for (it, name), extras in ds.read("processes", ("item", "process")):
            yield rel(Rel.REQUIRES, item, it, process, process_id(name), extras)
        for (sup, name), extras in ds.read("capabilities", ("supplier", "process")):
            yield rel(Rel.MASTERS, supplier, sup, process, process_id(name), extras)
        produced = ("material", "country", "share", "stage", "year", "source")
        for (material, country, share, stage, year, source), extras in ds.read(
            "production", produced
        ):
            props = {"share": share, "stage": stage, "year": year, **extras}
            if source:
                props["source"] = source
            yield rel(Rel.PRODUCES, Label.COUNTRY, country, item, material, props)

    def references(self) -> GraphBatch:
        """The records that no table row makes by itself: reference and process nodes,
        and the links between reference nodes (a few thousand at most)."""
        prov = {"source": self.source, "loaded_at": self.loaded_at}
        nodes = list(self._refs.nodes(prov))
        nodes += [
            NodeRecord.make(Label.PROCESS, pid, {**process_props(pid), **prov})
            for pid in self._process_ids
        ]
        rels = [RelRecord(t, a, ak, b, bk, prov) for t, (a, ak), (b, bk) in self._refs.rels()]
        return GraphBatch(nodes, rels)

    def batch(self) -> GraphBatch:
        """All the records in memory at once (a store that writes a batch: Neo4j)."""
        return GraphBatch(list(self.nodes()), list(self.rels()))

    def _hs_codes(self) -> set[str]:
        return {code for (code,), _x in self.dataset.read("items", ("hs_code",)) if code}

    def _countries(self) -> set[str]:
        ds = self.dataset
        found = {c for (c,), _x in ds.read("suppliers", ("country",))}
        return found | {c for (c,), _x in ds.read("production", ("country",))}

    def _regions(self) -> set[str]:
        return {r for (r,), _x in self.dataset.read("suppliers", ("region",)) if r}

    def _processes(self) -> set[str]:
        return {
            process_id(name)
            for table in ("processes", "capabilities")
            for (name,), _x in self.dataset.read(table, ("process",))
        }


_ITEM_PROPS = (
    "name",
    "kind",
    "hs_code",
    "unit",
    "unit_value_eur",
    "description",
    "annual_volume",
    "crma",
)
_SUPPLIER_PROPS = ("name", "country", "region", "city", "lat", "lon", "siren", "naf")


@dataclass
class _References:
    """The reference nodes (countries, regions, HS codes) that rows point to, and their links."""

    hs_codes: set[str]
    countries: set[str]
    regions: set[str]

    def nodes(self, prov: dict[str, str]) -> Iterator[NodeRecord]:
        countries = set(self.countries)
        for code in sorted(self.regions):
            info = ref.region_info(code)
            if info is None:
                raise KeyError(code)
            countries.add(info.country)
            props = {**info.props(), **prov, "source": ref.REGION_SOURCE}
            yield NodeRecord.make(Label.REGION, code, props)
        for code in sorted(countries):
            props = {**ref.country_info(code).props(), **prov, "source": ref.COUNTRY_SOURCE}
            yield NodeRecord.make(Label.COUNTRY, code, props)
        seen: set[str] = set()
        for code in sorted(self.hs_codes):
            for hs in _hs_chain(code):
                if hs.code not in seen:
                    seen.add(hs.code)
                    props = {"description": hs.description, "level": hs.level}
                    yield NodeRecord.make(
                        Label.HSCODE, hs.code, {**props, **prov, "source": ref.HS_SOURCE}
                    )

    def rels(self) -> Iterator[tuple[Rel, tuple[Label, str], tuple[Label, str]]]:
        for code in sorted(self.regions):
            info = ref.region_info(code)
            assert info is not None
            yield Rel.PART_OF, (Label.REGION, code), (Label.COUNTRY, info.country)
        links = {
            (info.code, info.parent)
            for code in self.hs_codes
            for info in _hs_chain(code)
            if info.parent
        }
        for child, parent in sorted(links):
            yield Rel.SUBHEADING_OF, (Label.HSCODE, child), (Label.HSCODE, parent)
