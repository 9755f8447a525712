"""Turn a validated :class:`~filiere.graph.model.Dataset` into graph records.

Countries, regions and HS codes become nodes of their own, filled from the built-in
reference data. Every node and relationship carries ``source`` and ``loaded_at``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from filiere.graph import reference as ref
from filiere.graph.model import Dataset
from filiere.graph.processes import canonical_process, process_info
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import Label, Rel


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


def build_batch(
    dataset: Dataset, *, source: str | None = None, loaded_at: str | None = None
) -> GraphBatch:
    """The nodes and relationships that ``dataset`` writes, with provenance.

    >>> from filiere.graph.model import Dataset, Item
    >>> b = build_batch(Dataset(items=[Item(id="M", name="Cobalt", kind="material")]))
    >>> [(n.label.value, n.key, [x.value for x in n.extra_labels]) for n in b.nodes]
    [('Item', 'M', ['Material'])]
    """
    when = loaded_at or datetime.now(UTC).isoformat(timespec="seconds")
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
