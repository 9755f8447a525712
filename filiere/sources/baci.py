"""CEPII BACI trade flows -> the Commission's strategic-dependency criteria per HS6 product.

BACI (``BACI_HS17_Y2021_V202301.csv``: columns ``t, i, j, k, v, q`` -- year, exporter,
importer, HS6 product, value in thousand USD, quantity in tonnes) is streamed; exporter
and importer codes are BACI's numeric codes, mapped to ISO alpha-2 by its country table
(``country_codes_V202201.csv``). For a chosen importer M (``FR``, or ``EU27`` taken as
one), per HS6 product k, with values v summed over the file:

- extra-EU imports  X = Σ v(i→j) for j in M and i outside the EU-27;
- total imports     T = Σ v(i→j) for j in M and i outside M (for the EU-27: its
  members' imports from anywhere, intra-EU trade included);
- exports           E = Σ v(i→j) for i in M and j outside the EU-27 (``extra-eu``, the
  default) or outside M (``world``);
- criterion 1 (concentration): HHI = Σ_i (X_i / X)² over extra-EU exporters i > 0.4;
- criterion 2 (import reliance): X / T > 0.5;
- criterion 3 (substitutability): X / E > 1 (true when E = 0 and X > 0);
- the product is *dependent* when the three hold (SWD(2021) 352, Annex 1).

The facts are stored on the product's ``HSCode`` node (``trade_*`` properties, see
``docs/data-sources.md``); products without extra-EU imports get none.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from filiere.errors import DatasetIssue
from filiere.graph import reference as ref
from filiere.graph.records import GraphBatch, NodeRecord, RelRecord
from filiere.graph.schema import EU27, Label, Rel
from filiere.graph.store import GraphStore
from filiere.ingest import LoadReport
from filiere.sources.common import (
    Bars,
    ImportReport,
    SourceError,
    missing_columns,
    open_csv,
    raise_issues,
)

SOURCE = "CEPII BACI"
CODES_GLOB = "country_codes_V*.csv"
REQUIRED = ("t", "i", "j", "k", "v")
MAX_ISSUES = 1000
#: Extra-EU suppliers kept per product (by value).
TOP_SUPPLIERS = 10
_HS6 = re.compile(r"^\d{5,6}$")

Exports = Literal["extra-eu", "world"]


@dataclass(frozen=True)
class TradeSettings:
    """The thresholds of the three criteria and the scope of the importer's exports."""

    hhi: float = 0.4
    share: float = 0.5
    ratio: float = 1.0
    exports: Exports = "extra-eu"


def importer_members(importer: str) -> frozenset[str]:
    """ISO codes of an importer: one country, or the 27 member states for ``EU27``.

    >>> sorted(importer_members("fr")), len(importer_members("EU27"))
    (['FR'], 27)
    """
    code = importer.strip().upper().replace("-", "")
    if code in ("EU", "EU27"):
        return EU27
    iso = ref.country_code(code) if len(code) in (2, 3) else None
    if iso is None or iso not in EU27:
        raise SourceError(
            f"importer must be an EU member state (FR, DE...) or EU27, not {importer!r}: "
            "the criteria are about extra-EU imports"
        )
    return frozenset([iso])


def importer_name(importer: str) -> str:
    """The importer as stored: ``EU27`` or an ISO alpha-2 code."""
    members = importer_members(importer)
    return "EU27" if members == EU27 else next(iter(members))


@dataclass
class ProductTrade:
    """The three criteria of one HS6 product for one importer."""

    code: str
    extra_eu_imports: float
    total_imports: float
    exports: float
    suppliers: list[tuple[str, float]]  # extra-EU exporters, value share, largest first
    hhi: float

    @property
    def extra_eu_share(self) -> float:
        return self.extra_eu_imports / self.total_imports if self.total_imports else 0.0

    @property
    def ratio(self) -> float | None:
        """Extra-EU imports / exports; ``None`` when the importer exports none."""
        return self.extra_eu_imports / self.exports if self.exports > 0 else None

    def criteria(self, s: TradeSettings) -> tuple[bool, bool, bool]:
        ratio = self.ratio
        return (
            self.hhi > s.hhi,
            self.extra_eu_share > s.share,
            ratio is None or ratio > s.ratio,
        )

    def dependent(self, s: TradeSettings) -> bool:
        return all(self.criteria(s))


@dataclass
class TradeResult:
    """What one BACI file says about one importer."""

    importer: str
    year: int | None
    file: str
    products: dict[str, ProductTrade] = field(default_factory=dict)
    rows: int = 0
    warnings: list[str] = field(default_factory=list)


def read_country_codes(path: Path) -> dict[str, str]:
    """BACI numeric code (e.g. ``251``) -> ISO alpha-2, from ``iso_2digit_alpha`` or else
    ``iso_3digit_alpha`` (codes with neither, such as ``Other Asia, nes``, are left out)."""
    header, rows = open_csv(path, small=True)
    raise_issues(missing_columns(path.name, header, ("country_code", "iso_2digit_alpha")))
    codes: dict[str, str] = {}
    for row in rows:
        num = row.values.get("country_code", "").strip()
        iso = row.values.get("iso_2digit_alpha", "").strip().upper()
        if not (len(iso) == 2 and iso.isalpha()):
            iso = ref.country_code(row.values.get("iso_3digit_alpha", "").strip()) or ""
        if num.isdigit() and iso:
            codes[str(int(num))] = iso
    return codes


def iso_numeric(code: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of an ISO numeric code (BACI codes mostly are).

    >>> iso_numeric("380"), iso_numeric("490")
    ('IT', None)
    """
    import pycountry

    found = pycountry.countries.get(numeric=code.zfill(3))
    return None if found is None else str(found.alpha_2)


def find_codes(flows: Path, codes: Path | None) -> Path:
    if codes is not None:
        return codes
    found = sorted(flows.parent.glob(CODES_GLOB))
    if not found:
        raise SourceError(
            f"{flows.parent}: no {CODES_GLOB} beside the flows; give the country code table"
        )
    return found[-1]


def compute(
    flows: str | Path,
    importer: str = "FR",
    *,
    codes: str | Path | None = None,
    settings: TradeSettings = TradeSettings(),
    progress: Callable[[int], None] | None = None,
) -> TradeResult:
    """Stream the flows and compute the criteria per HS6 product for ``importer``."""
    path = Path(flows)
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    iso = read_country_codes(find_codes(path, Path(codes) if codes else None))
    members = importer_members(importer)
    result = TradeResult(importer_name(importer), None, path.name)
    header, rows = open_csv(path)
    raise_issues(missing_columns(path.name, header, REQUIRED))
    by_supplier: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    total: dict[str, float] = defaultdict(float)
    exports: dict[str, float] = defaultdict(float)
    issues: list[DatasetIssue] = []
    unknown: dict[str, int] = defaultdict(int)
    years: set[int] = set()
    more = 0
    for row in rows:
        result.rows += 1
        if progress is not None and result.rows % 65536 == 0:
            progress(result.rows)
        v = row.values
        problem, values = _parse(v)
        if row.too_many:
            problem = "more values than the header has columns"
        if problem:
            if len(issues) < MAX_ISSUES:
                issues.append(DatasetIssue(path.name, row.line, problem))
            else:
                more += 1
            continue
        year, exporter_code, importer_code, k, value = values
        years.add(year)
        exporter = iso.get(exporter_code) or _unknown(exporter_code, iso, unknown)
        partner = iso.get(importer_code) or _unknown(importer_code, iso, unknown)
        for code in (exporter_code, importer_code):
            if code in unknown:
                unknown[code] += 1
        if partner in members and exporter not in members:
            total[k] += value
            if exporter not in EU27:
                by_supplier[k][exporter] += value
        elif (
            exporter in members
            and partner not in members
            and (settings.exports == "world" or partner not in EU27)
        ):
            exports[k] += value
        if members == EU27 and partner in EU27 and exporter in EU27 and exporter != partner:
            total[k] += value  # intra-EU imports count in the EU's total imports
    if more:
        issues.append(DatasetIssue(path.name, None, f"... and {more} more problem(s)"))
    raise_issues(issues)
    if len(years) > 1:
        raise SourceError(f"{path.name}: flows of several years ({sorted(years)}); give one year")
    result.year = next(iter(years), None)
    for code, count in sorted(unknown.items()):
        name = iso[code]
        how = (
            f"read as the ISO numeric code of {name}"
            if not name.startswith("BACI:")
            else (f"kept as partner {name!r}")
        )
        result.warnings.append(
            f"BACI country code {code} is not in the country table (or has no ISO code): "
            f"{count} flow(s), {how}"
        )
    for k, sup in by_supplier.items():
        x = math.fsum(sup.values())
        if x <= 0:
            continue
        ranked = sorted(sup.items(), key=lambda kv: (-kv[1], kv[0]))
        shares = [(c, val / x) for c, val in ranked]
        hhi = math.fsum(s * s for _, s in shares)
        result.products[k] = ProductTrade(k, x, total[k], exports.get(k, 0.0), shares, hhi)
    return result


def _unknown(code: str, iso: dict[str, str], unknown: dict[str, int]) -> str:
    """A code the table does not map: its ISO numeric meaning, else ``BACI:<code>``."""
    iso[code] = iso_numeric(code) or f"BACI:{code}"
    unknown[code] = 0
    return iso[code]


def _parse(v: dict[str, str]) -> tuple[str | None, Any]:
    t, i, j, k, val = (v.get(c, "").strip().strip('"') for c in REQUIRED)
    if not t.isdigit() or len(t) != 4:
        return f"t must be a year, got {t!r}", None
    if not i.isdigit() or not j.isdigit():
        return f"i and j must be BACI country codes, got {i!r} and {j!r}", None
    if not _HS6.match(k):
        return f"k must be an HS6 product code, got {k!r}", None
    try:
        value = float(val)
    except ValueError:
        return f"v must be a value in thousand USD, got {val!r}", None
    if not math.isfinite(value) or value < 0:
        return f"v must be a value >= 0, got {val!r}", None
    return None, (int(t), str(int(i)), str(int(j)), k.zfill(6), value)


# -- storing ----------------------------------------------------------------------------------

#: The trade properties written on HSCode nodes (reset on codes of an earlier import).
TRADE_PROPS = (
    "trade_importer",
    "trade_year",
    "trade_source",
    "trade_extra_eu_imports",
    "trade_total_imports",
    "trade_exports",
    "trade_exports_scope",
    "trade_hhi",
    "trade_extra_eu_share",
    "trade_criterion_hhi",
    "trade_criterion_share",
    "trade_criterion_ratio",
    "trade_dependent",
    "trade_top_supplier",
    "trade_top_share",
    "trade_suppliers",
    "trade_supplier_shares",
)


def trade_props(
    p: ProductTrade, result: TradeResult, settings: TradeSettings, source: str
) -> dict[str, Any]:
    """The ``trade_*`` properties of one product's HSCode node."""
    c1, c2, c3 = p.criteria(settings)
    top = p.suppliers[:TOP_SUPPLIERS]
    return {
        "trade_importer": result.importer,
        "trade_year": result.year,
        "trade_source": source,
        "trade_extra_eu_imports": round(p.extra_eu_imports, 3),
        "trade_total_imports": round(p.total_imports, 3),
        "trade_exports": round(p.exports, 3),
        "trade_exports_scope": settings.exports,
        "trade_hhi": round(p.hhi, 6),
        "trade_extra_eu_share": round(p.extra_eu_share, 6),
        "trade_criterion_hhi": c1,
        "trade_criterion_share": c2,
        "trade_criterion_ratio": c3,
        "trade_dependent": c1 and c2 and c3,
        "trade_top_supplier": top[0][0],
        "trade_top_share": round(top[0][1], 6),
        "trade_suppliers": [c for c, _ in top],
        "trade_supplier_shares": [round(s, 6) for _, s in top],
    }


def _reset_props(result: TradeResult, settings: TradeSettings, source: str) -> dict[str, Any]:
    """What an HS code of an earlier import that this one does not cover now holds."""
    return {
        "trade_importer": result.importer,
        "trade_year": result.year,
        "trade_source": source,
        "trade_extra_eu_imports": 0.0,
        "trade_total_imports": 0.0,
        "trade_exports": 0.0,
        "trade_exports_scope": settings.exports,
        "trade_hhi": 0.0,
        "trade_extra_eu_share": 0.0,
        "trade_criterion_hhi": False,
        "trade_criterion_share": False,
        "trade_criterion_ratio": False,
        "trade_dependent": False,
        "trade_top_supplier": "",
        "trade_top_share": 0.0,
        "trade_suppliers": [""],
        "trade_supplier_shares": [0.0],
    }


def trade_holders(store: GraphStore) -> set[str]:
    """HS codes of the store that hold trade facts."""
    return store.reader.trade_holders()


def build_trade_batch(
    result: TradeResult,
    settings: TradeSettings,
    source: str,
    stale: set[str],
    loaded_at: str | None = None,
) -> GraphBatch:
    """HSCode nodes (with their chain of headings) carrying the trade facts."""
    when = loaded_at or datetime.now(UTC).isoformat(timespec="seconds")
    nodes: dict[str, NodeRecord] = {}
    rels: dict[tuple[str, str], RelRecord] = {}
    hs_prov = {"source": ref.HS_SOURCE, "loaded_at": when}

    def chain(code: str) -> dict[str, Any]:
        infos = ref.hs_chain(code)
        for info in infos[1:]:
            if info.code not in nodes:
                nodes[info.code] = NodeRecord.make(
                    Label.HSCODE,
                    info.code,
                    {"description": info.description, "level": info.level, **hs_prov},
                )
        for info in infos:
            if info.parent:
                rels[(info.code, info.parent)] = RelRecord(
                    Rel.SUBHEADING_OF, Label.HSCODE, info.code, Label.HSCODE, info.parent, hs_prov
                )
        if infos and infos[0].code == code:
            return {"description": infos[0].description, "level": infos[0].level}
        return {"level": 6}

    for code, p in sorted(result.products.items()):
        props = {**chain(code), **trade_props(p, result, settings, source)}
        nodes[code] = NodeRecord.make(
            Label.HSCODE, code, {**props, "source": source, "loaded_at": when}
        )
    for code in sorted(stale - set(result.products)):
        props = {**chain(code), **_reset_props(result, settings, source)}
        nodes[code] = NodeRecord.make(
            Label.HSCODE, code, {**props, "source": source, "loaded_at": when}
        )
    return GraphBatch(list(nodes.values()), list(rels.values()))


def import_baci(
    flows: str | Path,
    store: GraphStore,
    *,
    importer: str = "FR",
    codes: str | Path | None = None,
    settings: TradeSettings = TradeSettings(),
    check_only: bool = False,
    progress: bool = True,
) -> ImportReport:
    """Compute the criteria from a BACI file and store them on HSCode nodes (one write)."""
    with Bars(progress) as bars:
        # BACI rows are about 40 bytes: the bar's total is an estimate of the rows.
        size = Path(flows).stat().st_size if Path(flows).is_file() else 0
        task = bars.task(f"reading {Path(flows).name}", max(size // 40, 1))
        result = compute(flows, importer, codes=codes, settings=settings, progress=task)
    source = f"{SOURCE} {result.year}, {result.file}"
    dependent = sum(p.dependent(settings) for p in result.products.values())
    report = ImportReport(source, None, list(result.warnings))
    report.counts = {"flows": result.rows, "products": len(result.products), "dependent": dependent}
    report.notes.append(
        f"importer {result.importer}, year {result.year}: {len(result.products)} HS6 product(s) "
        f"with extra-EU imports, {dependent} dependent (HHI > {settings.hhi}, extra-EU share > "
        f"{settings.share}, imports/exports > {settings.ratio}, exports {settings.exports})"
    )
    load = LoadReport(source, store.uri, store.kind, {"hs_codes": len(result.products)})
    if not check_only:
        batch = build_trade_batch(result, settings, source, trade_holders(store))
        load.summary = store.write(batch)
    report.load = load
    return report
