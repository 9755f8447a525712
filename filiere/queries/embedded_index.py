"""The embedded store's analysis index: interned ids and CSR adjacency arrays.

Built in one pass over the store's tables (:class:`filiere.graph.embedded.Tables`), never
through a networkx graph: items, suppliers and processes are numbered in key order (so
ordering by id is ordering by key, and every tie rule of the analyses stays as it was),
the small vocabularies (kinds, countries, regions, stages) are interned, and each
adjacency is a CSR pair of arrays (``indptr``, ``indices``) with its property columns
beside. Lists come in the tables' key order: the children of an item by child key, the
suppliers of an item by supplier key, production rows by country then (stage, year).

The arrays are what :mod:`filiere.queries.index_cache` saves beside the store; the
Python objects that the analyses want (facts, risks, masters of a process) are made
lazily, per item, and cached.
"""

from __future__ import annotations

import functools
import heapq
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from filiere import i18n
from filiere.errors import NotFoundError
from filiere.graph.embedded import Tables
from filiere.graph.schema import EU27, Label, Rel
from filiere.queries import common
from filiere.queries.common import CountryGroup, ItemFacts, ProductionGroup, Risk
from filiere.queries.models import AnalysisSettings

Ints = npt.NDArray[np.int32]
Offsets = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

#: "No value" in an id column (a vocabulary id or a year).
NONE = -1
#: The year column's "no year" (years may be any int, so not :data:`NONE`).
NO_YEAR = np.iinfo(np.int64).min


@dataclass(frozen=True, slots=True)
class SupplierInfo:
    country: str
    region: str | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True, slots=True)
class Csr:
    """Rows of ids: row ``i`` is ``indices[indptr[i]:indptr[i + 1]]``."""

    indptr: Offsets
    indices: Ints

    def span(self, i: int) -> tuple[int, int]:
        return int(self.indptr[i]), int(self.indptr[i + 1])

    def row(self, i: int) -> list[int]:
        a, b = self.span(i)
        return self.indices[a:b].tolist()  # type: ignore[no-any-return]

    def owners(self) -> Ints:
        """The row of every entry (``indices``' owners), as an array aligned with it."""
        n = len(self.indptr) - 1
        return np.repeat(np.arange(n, dtype=np.int32), np.diff(self.indptr))


def grouped(owner: Ints, n: int) -> tuple[Offsets, npt.NDArray[np.intp]]:
    """CSR offsets of entries grouped by ``owner`` (``n`` rows), and the permutation that
    groups them; stable, so each row keeps the entries' order."""
    order = np.argsort(owner, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=indptr[1:])
    return indptr, order


def _float(x: object) -> float:
    return math.nan if x is None else float(x)  # type: ignore[arg-type]


class Vocab:
    """Interned strings: ids in first-seen order."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words: list[str] = list(words)
        self.ids: dict[str, int] = {w: i for i, w in enumerate(self.words)}

    def id(self, word: str) -> int:
        found = self.ids.get(word)
        if found is None:
            found = self.ids[word] = len(self.words)
            self.words.append(word)
        return found

    def opt(self, word: object) -> int:
        return NONE if word is None else self.id(str(word))


class Keys:
    """Keys numbered in key order, and the way back (made on first use: a whole-graph
    analysis such as ``critical`` never looks a key up, and at 10^7 relationships the
    dicts of the items' and suppliers' keys cost seconds to make)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    @functools.cached_property
    def ids(self) -> dict[str, int]:
        return {k: i for i, k in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class Index:
    """The adjacency and the per-node columns of one store version.

    Ids: ``items``, ``suppliers`` and ``processes`` number their keys; vocabulary ids
    (``vocab``) name kinds, countries, regions, stages and CRMA statuses.
    """

    items: Keys
    suppliers: Keys
    processes: Keys
    vocab: Vocab
    regions: dict[str, tuple[float | None, float | None]]
    arrays: dict[str, npt.NDArray[Any]]
    _facts: dict[int, ItemFacts] = field(default_factory=dict)
    _risks: dict[tuple[AnalysisSettings, int], Risk] = field(default_factory=dict)
    _masters: dict[int, frozenset[int]] = field(default_factory=dict)
    _tiers: dict[tuple[str | None, str], list[int]] = field(default_factory=dict)
    _csr: dict[str, Csr] = field(default_factory=dict)

    # -- arrays by name ----------------------------------------------------------------------

    def csr(self, name: str) -> Csr:
        found = self._csr.get(name)
        if found is None:
            found = self._csr[name] = Csr(self.arrays[name + "_ptr"], self.arrays[name])
        return found

    @property
    def children(self) -> Csr:
        return self.csr("children")

    @property
    def parents(self) -> Csr:
        return self.csr("parents")

    # -- ids and keys ------------------------------------------------------------------------

    def item_id(self, item: str) -> int | None:
        return self.items.ids.get(item)

    def check_item(self, item: str) -> int:
        found = self.items.ids.get(item)
        if found is None:
            raise NotFoundError(i18n._("unknown item {item}").format(item=repr(item)))
        return found

    def keys(self, ids: Iterable[int]) -> list[str]:
        k = self.items.keys
        return [k[i] for i in ids]

    def products(self) -> list[str]:
        """Product keys, sorted."""
        return self.keys(np.flatnonzero(self.arrays["item_product"]).tolist())

    def kind(self, i: int) -> str:
        return self.vocab.words[int(self.arrays["item_kind"][i])]

    def annual_volume(self, i: int) -> float | None:
        v = float(self.arrays["item_volume"][i])
        return None if math.isnan(v) else v

    def item_value(self, i: int) -> common.ItemValue:
        v = float(self.arrays["item_value"][i])
        crma = int(self.arrays["item_crma"][i])
        return common.ItemValue(
            None if math.isnan(v) else v,
            common.crma_value(None if crma == NONE else self.vocab.words[crma]),
        )

    def supplier(self, s: int) -> SupplierInfo:
        a, w = self.arrays, self.vocab.words
        region = int(a["sup_region"][s])
        lat, lon = float(a["sup_lat"][s]), float(a["sup_lon"][s])
        return SupplierInfo(
            w[int(a["sup_country"][s])],
            None if region == NONE else w[region],
            None if math.isnan(lat) else lat,
            None if math.isnan(lon) else lon,
        )

    # -- adjacency as keys -------------------------------------------------------------------

    def children_of(self, i: int) -> list[tuple[int, float]]:
        return self._row_with("children", "children_qty", i)

    def child_keys(self, i: int) -> list[str]:
        return self.keys(self.children.row(i))

    def supplies_of(self, i: int) -> list[tuple[str, float | None]]:
        """The item's suppliers (key order) and the share of each (``None``: not given)."""
        a, b = self.csr("supplies").span(i)
        sk = self.suppliers.keys
        return [
            (sk[s], None if math.isnan(x) else x)
            for s, x in zip(
                self.arrays["supplies"][a:b].tolist(),
                self.arrays["supplies_share"][a:b].tolist(),
                strict=True,
            )
        ]

    def supplier_ids(self, name: str, i: int) -> list[int]:
        """The suppliers of row ``i`` of ``supplies``, ``offers`` or ``makes``."""
        return self.csr(name).row(i)

    def supplier_keys(self, name: str, i: int) -> list[str]:
        """:meth:`supplier_ids` as keys."""
        sk = self.suppliers.keys
        return [sk[s] for s in self.csr(name).row(i)]

    def info(self, supplier: str) -> SupplierInfo:
        """The facts of the supplier keyed ``supplier``."""
        return self.supplier(self.suppliers.ids[supplier])

    def substitutes_of(self, i: int) -> list[tuple[int, float]]:
        return self._row_with("substitutes", "substitutes_compat", i)

    def _row_with(self, name: str, column: str, i: int) -> list[tuple[int, float]]:
        """Row ``i`` of the CSR table ``name``, each id with its value in ``column``."""
        a, b = self.csr(name).span(i)
        ids, values = self.arrays[name][a:b].tolist(), self.arrays[column][a:b].tolist()
        return list(zip(ids, values, strict=True))

    def requires_of(self, i: int) -> frozenset[int]:
        return frozenset(self.csr("requires").row(i))

    def masters_of(self, p: int) -> frozenset[int]:
        """The suppliers mastering process ``p`` (made once per process)."""
        found = self._masters.get(p)
        if found is None:
            found = self._masters[p] = frozenset(self.csr("masters").row(p))
        return found

    def tiers(self, region: str | None, home: str) -> list[int]:
        """Each supplier's route tier for a target ``region`` and a ``home`` country: 1 in
        the region, 2 elsewhere at home, 3 elsewhere in the EU, 0 none (a few kept)."""
        found = self._tiers.get((region, home))
        if found is None:
            a, ids = self.arrays, self.vocab.ids
            eu = np.array([w in EU27 for w in self.vocab.words] + [False], dtype=np.bool_)
            country = a["sup_country"]
            r = ids.get(region, -2) if region else -2
            tier = np.where(
                a["sup_region"] == r,
                1,
                np.where(country == ids.get(home, -2), 2, np.where(eu[country], 3, 0)),
            )
            if len(self._tiers) >= 8:
                self._tiers.clear()
            found = self._tiers[(region, home)] = tier.tolist()
        return found

    def production_of(self, i: int) -> list[tuple[str, str, float, int | None]]:
        """(stage, country, share, year) rows, by country then (stage, year)."""
        a, b = self.csr("production").span(i)
        w, arr = self.vocab.words, self.arrays
        return [
            (w[st], w[c], share, None if year == NO_YEAR else year)
            for c, st, share, year in zip(
                arr["production"][a:b].tolist(),
                arr["production_stage"][a:b].tolist(),
                arr["production_share"][a:b].tolist(),
                arr["production_year"][a:b].tolist(),
                strict=True,
            )
        ]

    # -- per item ----------------------------------------------------------------------------

    def facts(self, i: int) -> ItemFacts:
        found = self._facts.get(i)
        if found is not None:
            return found
        arr, words = self.arrays, self.vocab.words
        ptr = arr["supplies_ptr"]
        a, b = int(ptr[i]), int(ptr[i + 1])
        ids = arr["supplies"][a:b]
        groups: dict[str, list[float | None]] = {}
        for c, x in zip(
            arr["sup_country"][ids].tolist(), arr["supplies_share"][a:b].tolist(), strict=True
        ):
            groups.setdefault(words[c], []).append(None if x != x else x)  # NaN: no share
        countries = tuple(
            CountryGroup(
                c,
                len(shares),
                sum(1 for x in shares if x is not None),
                sum(x for x in shares if x is not None),
            )
            for c, shares in groups.items()
        )
        rows = (
            self.production_of(i) if arr["production_ptr"][i + 1] > arr["production_ptr"][i] else []
        )
        years = [y for *_, y in rows if y is not None]
        latest = max(years) if years else None
        prod: dict[tuple[str, str], float] = {}
        for stage, c, share, year in rows:
            if year is None or year == latest:
                prod[(stage, c)] = prod.get((stage, c), 0.0) + share
        keys = self.suppliers.keys
        found = ItemFacts(
            item=self.items.keys[i],
            kind=self.kind(i),
            suppliers=tuple([keys[s] for s in ids.tolist()]),  # key order: sorted
            countries=countries,
            production=tuple(ProductionGroup(st, c, v) for (st, c), v in prod.items()),
        )
        self._facts[i] = found
        return found

    def risk(self, i: int, settings: AnalysisSettings) -> Risk:
        key = (settings, i)
        found = self._risks.get(key)
        if found is None:
            found = self._risks[key] = common.assess(self.facts(i), settings)
        return found

    # -- traversals (on ids: id order is key order) --------------------------------------------

    def closure(self, root: int) -> tuple[dict[int, int], dict[int, list[int]]]:
        """Breadth-first: every item reachable from ``root`` with its shortest depth, and
        the BOM children of each (read once here, for the traversals that follow)."""
        depth = {root: 0}
        kids: dict[int, list[int]] = {}
        frontier = [root]
        indptr, indices = self.arrays["children_ptr"], self.arrays["children"]
        d = 0
        while frontier:
            d += 1
            nxt = []
            for v in frontier:
                cs = kids[v] = indices[indptr[v] : indptr[v + 1]].tolist()
                for c in cs:
                    if c not in depth:
                        depth[c] = d
                        nxt.append(c)
            frontier = nxt
        return depth, kids

    def closure_depths(self, root: int) -> dict[int, int]:
        """Every item reachable from ``root`` with its shortest depth, breadth-first."""
        return self.closure(root)[0]

    def reaches(self, root: int, pred: Callable[[int], bool]) -> bool:
        """Whether some item of closure(root) satisfies ``pred`` (depth-first, stops early)."""
        seen = {root}
        stack = [root]
        children = self.children
        while stack:
            v = stack.pop()
            if pred(v):
                return True
            for c in children.row(v):
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        return False

    def ancestors(self, items: Iterable[int]) -> set[int]:
        """``items`` and every item whose BOM holds one of them."""
        seen = set(items)
        stack = list(seen)
        parents = self.parents
        while stack:
            v = stack.pop()
            for p in parents.row(v):
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    def check_acyclic(self, root: int, kids: dict[int, list[int]]) -> list[str]:
        """A topological order of closure(root) (``kids``: :meth:`closure`'s);
        :class:`BomCycleError` on a cycle."""
        k = self.items.keys
        children = {k[v]: [k[c] for c in cs] for v, cs in kids.items()}
        return common.topological_order(k[root], children)

    def best_paths(
        self, root: int, targets: set[int], k: int, kids: dict[int, list[int]]
    ) -> dict[int, list[tuple[int, ...]]]:
        """Best-first search: paths leave the heap shortest first, then by ids; k per item
        (``kids``: the children of closure(root), from :meth:`closure`)."""
        found: dict[int, list[tuple[int, ...]]] = {}
        heap: list[tuple[int, tuple[int, ...]]] = [(1, (root,))]
        while heap:
            n, path = heapq.heappop(heap)
            v = path[-1]
            got = found.setdefault(v, [])
            if len(got) >= k:
                continue
            got.append(path)
            for c in kids[v]:
                if len(found.get(c, ())) < k:
                    heapq.heappush(heap, (n + 1, (*path, c)))
        return {t: found.get(t, []) for t in targets}


# -- building ----------------------------------------------------------------------------------

ITEM, SUPPLIER, PROCESS, REGION = (
    str(x) for x in (Label.ITEM, Label.SUPPLIER, Label.PROCESS, Label.REGION)
)

#: The CSR tables: name -> (rows numbered by, entries numbered by, property columns).
CSR_TABLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "children": ("items", "items", ("qty",)),
    "parents": ("items", "items", ()),
    "supplies": ("items", "suppliers", ("share",)),
    "offers": ("items", "suppliers", ()),
    "makes": ("items", "suppliers", ()),
    "substitutes": ("items", "items", ("compat",)),
    "requires": ("items", "processes", ()),
    "masters": ("processes", "suppliers", ()),
    "production": ("items", "vocab", ("stage", "share", "year")),
}
#: The per-node columns: name -> (numbered by, vocabulary ids or not).
COLUMNS: dict[str, tuple[str, bool]] = {
    "item_kind": ("items", True),
    "item_product": ("items", False),
    "item_value": ("items", False),
    "item_crma": ("items", True),
    "item_volume": ("items", False),
    "sup_country": ("suppliers", True),
    "sup_region": ("suppliers", True),
    "sup_lat": ("suppliers", False),
    "sup_lon": ("suppliers", False),
}


def _ints(values: Iterable[int]) -> Ints:
    return np.fromiter(values, dtype=np.int32)


def build(tables: Tables) -> Index:
    """The index of ``tables`` (each read once, in key order)."""
    vocab = Vocab()
    loads = json.loads
    arrays: dict[str, npt.NDArray[Any]] = {}

    item_keys: list[str] = []
    kind, product, value, crma, volume = [], [], [], [], []
    for key, extra, props_json in tables.nodes(ITEM):
        props = loads(props_json)
        item_keys.append(key)
        kind.append(vocab.id(str(props.get("kind", ""))))
        is_product = str(Label.PRODUCT) in extra.split(":")
        product.append(is_product)
        value.append(_float(props.get("unit_value_eur")))
        crma.append(vocab.opt(props.get("crma")))
        volume.append(_float(props.get("annual_volume")) if is_product else math.nan)
    items = Keys(item_keys)
    arrays["item_kind"] = np.array(kind, dtype=np.int32)
    arrays["item_product"] = np.array(product, dtype=np.bool_)
    arrays["item_value"] = np.array(value, dtype=np.float64)
    arrays["item_crma"] = np.array(crma, dtype=np.int32)
    arrays["item_volume"] = np.array(volume, dtype=np.float64)

    sup_keys: list[str] = []
    country, region, lat, lon = [], [], [], []
    for key, _extra, props_json in tables.nodes(SUPPLIER):
        props = loads(props_json)
        sup_keys.append(key)
        country.append(vocab.id(str(props.get("country", ""))))
        region.append(vocab.opt(props.get("region")))
        lat.append(_float(props.get("lat")))
        lon.append(_float(props.get("lon")))
    suppliers = Keys(sup_keys)
    arrays["sup_country"] = np.array(country, dtype=np.int32)
    arrays["sup_region"] = np.array(region, dtype=np.int32)
    arrays["sup_lat"] = np.array(lat, dtype=np.float64)
    arrays["sup_lon"] = np.array(lon, dtype=np.float64)

    processes = Keys([key for key, _extra, _props in tables.nodes(PROCESS)])
    regions: dict[str, tuple[float | None, float | None]] = {}
    for key, _extra, props_json in tables.nodes(REGION):
        props = loads(props_json)
        regions[key] = (props.get("lat"), props.get("lng"))

    it, sp, pr = items.ids, suppliers.ids, processes.ids

    def edges(
        rtype: Rel, start: dict[str, int], end: dict[str, int], prop: str | None, default: float
    ) -> tuple[Ints, Ints, Floats]:
        a, b, w = [], [], []
        for s, e, props_json in tables.rels(str(rtype)):
            i, j = start.get(s), end.get(e)
            if i is None or j is None:
                continue
            a.append(i)
            b.append(j)
            if prop is not None:
                x = loads(props_json).get(prop)
                w.append(default if x is None else float(x))
        return _ints(a), _ints(b), np.array(w, dtype=np.float64)

    def put(name: str, owner: Ints, other: Ints, n: int, **columns: npt.NDArray[Any]) -> None:
        indptr, order = grouped(owner, n)
        arrays[name + "_ptr"] = indptr
        arrays[name] = other[order]
        for suffix, col in columns.items():
            arrays[f"{name}_{suffix}"] = col[order]

    n_items = len(items)
    a, b, q = edges(Rel.CONTAINS, it, it, "quantity", 1.0)
    put("children", a, b, n_items, qty=q)
    put("parents", b, a, n_items)
    a, b, share = edges(Rel.SUPPLIES, sp, it, "share", math.nan)
    put("supplies", b, a, n_items, share=share)
    a, b, _ = edges(Rel.OFFERS, sp, it, None, 0.0)
    put("offers", b, a, n_items)
    a, b, _ = edges(Rel.MAKES, sp, it, None, 0.0)
    put("makes", b, a, n_items)
    a, b, compat = edges(Rel.SUBSTITUTES, it, it, "compatibility", 1.0)
    put("substitutes", b, a, n_items, compat=compat)
    a, b, _ = edges(Rel.REQUIRES, it, pr, None, 0.0)
    put("requires", a, b, n_items)
    a, b, _ = edges(Rel.MASTERS, sp, pr, None, 0.0)
    put("masters", b, a, len(processes))

    owner, c_ids, stages, shares, years = [], [], [], [], []
    for s, e, props_json in tables.rels(str(Rel.PRODUCES)):
        i = it.get(e)
        if i is None:
            continue
        props = loads(props_json)
        year = props.get("year")
        owner.append(i)
        c_ids.append(vocab.id(s))
        stages.append(vocab.id(str(props.get("stage"))))
        shares.append(float(props["share"]))
        years.append(NO_YEAR if year is None else int(year))
    put(
        "production",
        _ints(owner),
        _ints(c_ids),
        n_items,
        stage=_ints(stages),
        share=np.array(shares, dtype=np.float64),
        year=np.array(years, dtype=np.int64),
    )
    return Index(items, suppliers, processes, vocab, regions, arrays)
