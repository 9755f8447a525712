"""EU critical raw materials study 2023: world supply shares by material, stage and country.

Reads ``fact_GlobalSupplyShares_t.csv`` (columns ``Material, Stage, Country, Share, t``)
as published with the study's data (see ``docs/data-sources.md``), and optionally the
CRM Act 2024/1252 annex lists (``crma_2024_1252_annex_lists.csv``) and the study's
material groupings (``dimension_ScreenedMatGroupings.csv``) found beside it.

- ``Stage``: ``E`` is extraction, ``P`` processing.
- ``Share``: ``97%`` is 0.97; ``<0.1%`` is read as its upper bound 0.001 (kept as
  published in ``share_published``); ``0.0%`` rows are skipped (a share is > 0).
  Where the rounded shares of one material and stage add up to more than 1 + the
  validation tolerance, they are scaled down to sum to 1 and a warning says so.
- ``Country``: English names mapped to ISO codes; a name that does not map is
  reported (a warning, or an error with ``strict``) and its rows are left out.
- Materials: matched to the store's materials by name (case and accents ignored), or
  through an explicit ``NAME=ITEM_ID`` mapping, else created as ``crm:<name>``.
- ``year`` is the study's edition, 2023: the file gives no reference period.
- ``crma``: every matched material gets its CRM Act listing (``strategic`` taking
  precedence over ``critical``), from the lists beside the shares or, by default, from
  the copy shipped in ``filiere/data/crma/`` (source cited in its README).

>>> parse_share("97%"), parse_share("<0.1%"), parse_share("0.0%"), parse_share("abc")
(0.97, 0.001, 0.0, None)
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filiere.errors import DatasetIssue
from filiere.graph import reference as ref
from filiere.graph.schema import Label
from filiere.graph.store import GraphStore
from filiere.ingest import RawTable
from filiere.ingest.validate import SHARE_TOLERANCE
from filiere.sources.common import (
    ImportReport,
    MaterialIndex,
    SourceError,
    SourceTables,
    missing_columns,
    new_table,
    number_text,
    open_csv,
    parse_mapping,
    raise_issues,
    slug,
    source_country,
)

SHARES_FILE = "fact_GlobalSupplyShares_t.csv"
LISTS_FILE = "crma_2024_1252_annex_lists.csv"
#: The CRM Act 2024/1252 annex lists shipped with filiere (see its README.md).
BUILTIN_LISTS = Path(__file__).resolve().parents[1] / "data" / "crma" / "crma_2024_1252.csv"
GROUPS_FILE = "dimension_ScreenedMatGroupings.csv"
STUDY_YEAR = 2023
SOURCE = "EU CRM study 2023 (JRC)"
ID_PREFIX = "crm:"

STAGES = {"E": "extraction", "P": "processing"}
REQUIRED = ("Material", "Stage", "Country", "Share")

#: CRM Act list names that name a study material differently.
LIST_ALIASES = {
    "aluminium / bauxite / alumina": ("aluminium",),
    "baryte": ("barytes",),
    "boron": ("borate",),
    "phosphorus": ("phosphorous",),
}
#: CRM Act list entries that are groups of the study's materials.
LIST_GROUPS = {
    "heavy rare earth elements": "HREE",
    "light rare earth elements": "LREE",
    "platinum group metals": "PGM",
}
#: The study's groups (``dimension_ScreenedMatGroupings.csv``, column ``perm_XREE_PGM``),
#: used when that file is not beside the shares.
DEFAULT_GROUPS = {
    "HREE": [
        *("dysprosium", "erbium", "europium", "gadolinium", "holmium"),
        *("lutetium", "terbium", "thulium", "ytterbium", "yttrium"),
    ],
    "LREE": ["cerium", "lanthanum", "neodymium", "praseodymium", "samarium"],
    "PGM": ["iridium", "palladium", "platinum", "rhodium", "ruthenium"],
}


def parse_share(text: str) -> float | None:
    """A published share as a fraction; ``<x%`` is read as ``x%``; ``None`` when malformed."""
    t = text.strip().replace(",", ".")
    if t.startswith("<"):
        t = t[1:].strip()
    if not t.endswith("%"):
        return None
    try:
        value = float(t[:-1].strip()) / 100
    except ValueError:
        return None
    if not math.isfinite(value) or not 0 <= value <= 1:
        return None
    return round(value, 10)


@dataclass
class _Share:
    line: int
    material: str
    stage: str
    country: str
    share: float
    published: str
    t: str


def _files(
    path: Path, lists: Path | None, groups: Path | None
) -> tuple[Path, Path | None, Path | None]:
    folder = path if path.is_dir() else path.parent
    shares = path / SHARES_FILE if path.is_dir() else path
    if not shares.is_file():
        raise SourceError(f"{shares}: no such file (the study's {SHARES_FILE})")
    if lists is None and (folder / LISTS_FILE).is_file():
        lists = folder / LISTS_FILE
    if groups is None and (folder / GROUPS_FILE).is_file():
        groups = folder / GROUPS_FILE
    return shares, lists, groups


def read_eu_crm(
    path: str | Path,
    store: GraphStore | None = None,
    *,
    lists: str | Path | None = None,
    groups: str | Path | None = None,
    mapping: dict[str, str] | list[str] | None = None,
    strict: bool = False,
    year: int = STUDY_YEAR,
) -> SourceTables:
    """Read the study's files at ``path`` (its folder or the shares file) into tables.

    Raises :class:`~filiere.errors.DatasetError` listing every malformed row.
    """
    shares_path, lists_path, groups_path = _files(
        Path(path), Path(lists) if lists else None, Path(groups) if groups else None
    )
    file = shares_path.name
    source = f"{SOURCE}, {file}"
    out = SourceTables(source, {})
    issues: list[DatasetIssue] = []
    header, rows = open_csv(shares_path)
    issues += missing_columns(file, header, REQUIRED)
    raise_issues(issues)
    shares: list[_Share] = []
    unmapped: dict[str, list[int]] = defaultdict(list)
    zero = 0
    for row in rows:
        v = row.values
        if row.too_many:
            issues.append(DatasetIssue(file, row.line, "more values than the header has columns"))
            continue
        material, stage, country = v.get("Material", ""), v.get("Stage", ""), v.get("Country", "")
        problems = []
        if not material:
            problems.append("empty Material")
        if stage.upper() not in STAGES:
            problems.append(f"unknown stage {stage!r} (expected E or P)")
        share = parse_share(v.get("Share", ""))
        if share is None:
            problems.append(
                f"share must be a percentage such as 97% or <0.1%, got {v.get('Share', '')!r}"
            )
        code = source_country(country) if country else None
        if not country:
            problems.append("empty Country")
        elif code is None:
            if strict:
                problems.append(f"unknown country {country!r}")
            else:
                unmapped[country].append(row.line)
        issues += [DatasetIssue(file, row.line, p) for p in problems]
        if problems or code is None or share is None:
            continue
        if share == 0:
            zero += 1
            continue
        shares.append(
            _Share(
                row.line, material, STAGES[stage.upper()], code, share, v["Share"], v.get("t", "")
            )
        )
    raise_issues(issues)
    for name, lines in sorted(unmapped.items()):
        where = ", ".join(f"{file}:{ln}" for ln in lines[:5])
        more = f" and {len(lines) - 5} more" if len(lines) > 5 else ""
        out.warnings.append(
            f"unknown country {name!r}: {len(lines)} row(s) left out ({where}{more})"
        )
    if zero:
        out.notes.append(f"{zero} row(s) with a published share of 0.0% left out")
    shares = _merge_duplicates(shares, file, out)
    _scale_excess(shares, out)
    group_of = _read_groups(groups_path)
    names = {s.material for s in shares}
    crma = _read_lists(lists_path, names, group_of, out) if lists_path else None
    listing = crma if crma is not None else _read_lists(BUILTIN_LISTS, names, group_of, None)
    ids = _material_ids(names, store, mapping, out)
    out.tables["items"] = _items_table(file, shares, ids, group_of, crma, listing, store)
    production = new_table(
        "production",
        file,
        ["material", "country", "share", "stage", "year", "share_published", "crm_t"],
    )
    for s in shares:
        production.rows.append(
            (
                s.line,
                {
                    "material": ids[s.material],
                    "country": s.country,
                    "share": number_text(s.share),
                    "stage": s.stage,
                    "year": str(year),
                    "share_published": s.published,
                    "crm_t": s.t,
                },
            )
        )
    out.tables["production"] = production
    out.notes.append(
        f"{len(shares)} share(s) of {len(ids)} material(s), year {year} (the study's edition)"
    )
    return out


def _merge_duplicates(shares: list[_Share], file: str, out: SourceTables) -> list[_Share]:
    """Two names of one country (``Turkyie`` and ``Türkiye``) for one material: add them up."""
    merged: dict[tuple[str, str, str], _Share] = {}
    for s in shares:
        key = (ref.normalize_name(s.material), s.stage, s.country)
        first = merged.get(key)
        if first is None:
            merged[key] = s
            continue
        out.warnings.append(
            f"{file}:{s.line}: {s.material} ({s.stage}) has a second row for {s.country} "
            f"(first at line {first.line}); their shares are added up"
        )
        first.share = round(first.share + s.share, 10)
        first.published = f"{first.published} + {s.published}"
    return list(merged.values())


def _scale_excess(shares: list[_Share], out: SourceTables) -> None:
    groups: dict[tuple[str, str], list[_Share]] = defaultdict(list)
    for s in shares:
        groups[(ref.normalize_name(s.material), s.stage)].append(s)
    for rows in groups.values():
        total = math.fsum(s.share for s in rows)
        if total <= 1 + SHARE_TOLERANCE:
            continue
        for s in rows:
            s.share = round(s.share / total, 10)
        out.warnings.append(
            f"the published shares of {rows[0].material} ({rows[0].stage}) add up to "
            f"{total:.1%} (rounding, '<0.1%' rows): scaled down to sum to 100%"
        )


def _read_groups(path: Path | None) -> dict[str, str]:
    """Material (normalised) -> the study's group (HREE, LREE, PGM, ...)."""
    group_of = {m: g for g, members in DEFAULT_GROUPS.items() for m in members}
    if path is None:
        return group_of
    header, rows = open_csv(path)
    raise_issues(missing_columns(path.name, header, ("screened_material", "perm_XREE_PGM")))
    for row in rows:
        name, group = row.values.get("screened_material", ""), row.values.get("perm_XREE_PGM", "")
        if name and group and ref.normalize_name(group) != ref.normalize_name(name):
            group_of[ref.normalize_name(name)] = group
    return group_of


@dataclass(frozen=True)
class _Listing:
    strategic: bool
    critical: bool
    strategic_scope: str | None


def _yes(text: str) -> tuple[bool, str | None]:
    t = text.strip()
    yes = t.lower().startswith("yes")
    scope = t[t.find("(") + 1 : t.rfind(")")].strip() if yes and "(" in t and ")" in t else None
    return yes, scope


def _read_lists(
    path: Path, materials: set[str], group_of: dict[str, str], out: SourceTables | None
) -> dict[str, _Listing]:
    """Study material (normalised) -> its CRM Act listing."""
    header, rows = open_csv(path)
    cols = ("material", "strategic_annex_I", "critical_annex_II")
    raise_issues(missing_columns(path.name, header, cols))
    by_norm = {ref.normalize_name(m): m for m in materials}
    listing: dict[str, _Listing] = {}
    issues: list[DatasetIssue] = []
    for row in rows:
        name = row.values.get("material", "")
        strategic, scope = _yes(row.values.get("strategic_annex_I", ""))
        critical, _ = _yes(row.values.get("critical_annex_II", ""))
        for col in cols[1:]:
            value = row.values.get(col, "").lower()
            if not (value.startswith("yes") or value == "no"):
                issues.append(DatasetIssue(path.name, row.line, f"{col} must be yes or no"))
        norm = ref.normalize_name(name)
        targets: list[str]
        if norm in LIST_GROUPS:
            targets = [m for m in by_norm if group_of.get(m) == LIST_GROUPS[norm]]
        else:
            targets = [t for t in (norm, *LIST_ALIASES.get(norm, ())) if t in by_norm]
        if not targets and out is not None:
            out.notes.append(f"{path.name}:{row.line}: {name!r} has no supply shares in the study")
        for t in targets:
            listing[t] = _Listing(strategic, critical, scope)
    raise_issues(issues)
    if out is None:
        return listing
    out.notes.append(
        f"CRM Act lists: {sum(x.strategic for x in listing.values())} strategic and "
        f"{sum(x.critical for x in listing.values())} critical material(s) matched"
    )
    return listing


def _material_ids(
    names: set[str],
    store: GraphStore | None,
    mapping: dict[str, str] | list[str] | None,
    out: SourceTables,
) -> dict[str, str]:
    explicit = parse_mapping(mapping or [])
    index = MaterialIndex.from_store(store)
    ids: dict[str, str] = {}
    matched = 0
    for name in sorted(names):
        norm = ref.normalize_name(name)
        if norm in explicit:
            ids[name] = explicit[norm]
            matched += 1
            continue
        hit = index.find(name)
        if hit is not None:
            ids[name] = hit[0]
            matched += 1
            continue
        other = index.others.get(norm)
        if other is not None:
            out.warnings.append(
                f"{name!r} matches item {other[0]!r}, a {other[1]}, not a material: "
                f"created {ID_PREFIX}{slug(name)} instead"
            )
        ids[name] = f"{ID_PREFIX}{slug(name)}"
    out.notes.append(
        f"{matched} material(s) matched to existing items, {len(names) - matched} created"
    )
    return ids


def _items_table(
    file: str,
    shares: list[_Share],
    ids: dict[str, str],
    group_of: dict[str, str],
    crma: dict[str, _Listing] | None,
    listing_of: dict[str, _Listing],
    store: GraphStore | None,
) -> RawTable:
    columns = ["id", "name", "kind", "crm_group", "crma", "crma_strategic", "crma_critical"]
    columns.append("crma_scope")
    table = new_table("items", file, columns)
    first_line: dict[str, int] = {}
    for s in shares:
        first_line.setdefault(s.material, s.line)
    existing = store.get_nodes(Label.ITEM, set(ids.values())) if store is not None else {}
    for name, item_id in sorted(ids.items()):
        norm = ref.normalize_name(name)
        row: dict[str, str] = {"id": item_id, "kind": "material"}
        known = existing.get(item_id)
        row["name"] = str(known.get("name")) if known and known.get("name") else name
        if known is not None and known.get("kind") not in (None, "material"):
            continue  # validation reports the production rows of a non-material
        if norm in group_of:
            row["crm_group"] = group_of[norm]
        found = listing_of.get(norm)
        if found is not None and (found.strategic or found.critical):
            row["crma"] = "strategic" if found.strategic else "critical"
        if crma is not None:
            listing = crma.get(norm, _Listing(False, False, None))
            row["crma_strategic"] = "yes" if listing.strategic else "no"
            row["crma_critical"] = "yes" if listing.critical else "no"
            if listing.strategic_scope:
                row["crma_scope"] = listing.strategic_scope
        if known is not None and len(row) == 3:
            continue  # nothing to add to an existing material
        table.rows.append((first_line[name], row))
    return table


def import_eu_crm(
    path: str | Path,
    store: GraphStore,
    *,
    check_only: bool = False,
    progress: bool = True,
    **options: Any,
) -> ImportReport:
    """Read the study's files and merge them into ``store`` (all or nothing)."""
    tables = read_eu_crm(path, store, **options)
    return tables.load_into(store, check_only=check_only, progress=progress)
