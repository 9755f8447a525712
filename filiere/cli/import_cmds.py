"""``filiere import SOURCE PATH`` (real public sources) and ``filiere trade-deps``.

Each source is read in its published format and merged into the store with the same
validation, ``FILE:LINE`` errors and provenance as ``filiere ingest``; see
``docs/data-sources.md``.
"""

from __future__ import annotations

from pathlib import Path

import click

from filiere.cli.context import AppContext, pass_app
from filiere.cli.localized import argument, command, group, option
from filiere.cli.output import console, format_option, print_json, print_rows, summary_table
from filiere.i18n import _, ngettext
from filiere.sources.baci import TradeSettings, import_baci
from filiere.sources.common import ImportReport
from filiere.sources.eu_crm import import_eu_crm
from filiere.sources.sirene import DEFAULT_CHUNK, import_sirene
from filiere.sources.trade import trade_deps
from filiere.sources.usgs import import_usgs

_check = option("--check", is_flag=True, help="Read and validate only; write nothing.")
_no_progress = option("--no-progress", is_flag=True, help="Do not show progress bars.")
_path = argument("path", type=click.Path(exists=True, path_type=Path))


def _print_report(report: ImportReport, fmt: str = "table") -> None:
    if fmt == "json":
        print_json(report.as_dict())
        return
    out = console()
    for w in report.warnings:
        out.print(_("warning: {message}").format(message=w), markup=False)
    for n in report.notes:
        out.print(n, markup=False)
    load = report.load
    if load is None or load.summary is None:
        where = (
            " " + _("(checked against {store})").format(store=load.store)
            if load is not None
            else ""
        )
        out.print(_("source OK, nothing written") + where, markup=False)
        return
    out.print(summary_table(load.summary, _("written from {source}").format(source=report.source)))
    out.print(
        _("merged into {store} ({kind} store)").format(store=load.store, kind=load.store_kind),
        markup=False,
    )


@group(name="import")
def import_() -> None:
    """Import a real public source in its published format (see docs/data-sources.md)."""


_json_summary = option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="Summary format.",
)


@import_.command("eu-crm")
@_path
@option("--lists", type=click.Path(exists=True, path_type=Path), help="CRM Act lists CSV.")
@option(
    "--map",
    "mapping",
    multiple=True,
    metavar="NAME=ITEM_ID",
    help="Match a study material to an item id (repeatable).",
)
@option("--strict", is_flag=True, help="Unknown country names are errors, not warnings.")
@_check
@_no_progress
@_json_summary
@pass_app
def eu_crm(
    app: AppContext,
    path: Path,
    lists: Path | None,
    mapping: tuple[str, ...],
    strict: bool,
    check: bool,
    no_progress: bool,
    fmt: str,
) -> None:
    """World supply shares of the EU CRM study 2023 (folder or fact_GlobalSupplyShares_t.csv)."""
    report = import_eu_crm(
        path,
        app.store,
        lists=lists,
        mapping=list(mapping),
        strict=strict,
        check_only=check,
        progress=not no_progress,
    )
    _print_report(report, fmt)


@import_.command("usgs")
@_path
@option("--year", type=int, help="Production year (default: the latest actual one).")
@_check
@_no_progress
@_json_summary
@pass_app
def usgs(
    app: AppContext, path: Path, year: int | None, check: bool, no_progress: bool, fmt: str
) -> None:
    """World production by country of the USGS Mineral Commodity Summaries (CSV)."""
    report = import_usgs(path, app.store, year=year, check_only=check, progress=not no_progress)
    _print_report(report, fmt)


def _trade_options(f: click.decorators.FC) -> click.decorators.FC:
    for opt in reversed(
        [
            option(
                "--hhi",
                type=click.FloatRange(0, 1),
                default=0.4,
                show_default=True,
                help="Criterion 1: HHI of extra-EU suppliers above this.",
            ),
            option(
                "--share",
                type=click.FloatRange(0, 1),
                default=0.5,
                show_default=True,
                help="Criterion 2: extra-EU share of imports above this.",
            ),
            option(
                "--ratio",
                type=click.FloatRange(0),
                default=1.0,
                show_default=True,
                help="Criterion 3: extra-EU imports / exports above this.",
            ),
        ]
    ):
        f = opt(f)
    return f


@import_.command("baci")
@_path
@option(
    "--codes",
    type=click.Path(exists=True, path_type=Path),
    help="BACI country code table (default: country_codes_V*.csv beside PATH).",
)
@option("--importer", default="FR", show_default=True, help="FR, another EU member, or EU27.")
@_trade_options
@option(
    "--exports",
    type=click.Choice(("extra-eu", "world")),
    default="extra-eu",
    show_default=True,
    help="Exports that criterion 3 compares with.",
)
@_check
@_no_progress
@_json_summary
@pass_app
def baci(
    app: AppContext,
    path: Path,
    codes: Path | None,
    importer: str,
    hhi: float,
    share: float,
    ratio: float,
    exports: str,
    check: bool,
    no_progress: bool,
    fmt: str,
) -> None:
    """Bilateral trade flows of CEPII BACI -> strategic dependencies on HS code nodes."""
    settings = TradeSettings(hhi, share, ratio, "world" if exports == "world" else "extra-eu")
    report = import_baci(
        path,
        app.store,
        importer=importer,
        codes=codes,
        settings=settings,
        check_only=check,
        progress=not no_progress,
    )
    _print_report(report, fmt)


@import_.command("sirene")
@_path
@option(
    "--units",
    type=click.Path(exists=True, path_type=Path),
    help="Legal-unit stock (StockUniteLegale) for denominationUniteLegale.",
)
@option(
    "--region",
    "regions",
    multiple=True,
    metavar="FR-XXX",
    help="Keep this region (ISO 3166-2; repeatable).",
)
@option(
    "--departement",
    "departements",
    multiple=True,
    metavar="NN",
    help="Keep this département (INSEE code; repeatable).",
)
@option(
    "--naf",
    multiple=True,
    metavar="CODE",
    help="Keep this NAF code or prefix, e.g. 25.62B or 25.6 (repeatable).",
)
@option(
    "--naf-table",
    type=click.Path(exists=True, path_type=Path),
    help="NAF -> process table (default: filiere/data/naf_processes.csv).",
)
@option(
    "--all-activities", is_flag=True, help="Also keep establishments whose NAF code has no process."
)
@option(
    "--chunk",
    type=click.IntRange(1),
    default=DEFAULT_CHUNK,
    show_default=True,
    help="Suppliers per atomic write.",
)
@_check
@_no_progress
@_json_summary
@pass_app
def sirene(
    app: AppContext,
    path: Path,
    units: Path | None,
    regions: tuple[str, ...],
    departements: tuple[str, ...],
    naf: tuple[str, ...],
    naf_table: Path | None,
    all_activities: bool,
    chunk: int,
    check: bool,
    no_progress: bool,
    fmt: str,
) -> None:
    """Active establishments of the INSEE SIRENE stock -> suppliers with capabilities."""
    report = import_sirene(
        path,
        app.store,
        regions=regions,
        departements=departements,
        naf=naf,
        naf_table=naf_table,
        units=units,
        all_activities=all_activities,
        chunk_size=chunk,
        check_only=check,
        progress=not no_progress,
    )
    _print_report(report, fmt)


TRADE_COLUMNS = [
    "hs_code",
    "dependent",
    "hhi",
    "extra_eu_share",
    "import_export_ratio",
    "extra_eu_imports",
    "top_supplier",
    "top_supplier_share",
]


@command("trade-deps")
@option("--importer", default="FR", show_default=True, help="FR, another EU member, or EU27.")
@_trade_options
@option("--all", "show_all", is_flag=True, help="List every product, not only dependent ones.")
@option("--limit", type=click.IntRange(1), help="Show at most this many products.")
@format_option
@pass_app
def trade_deps_cmd(
    app: AppContext,
    importer: str,
    hhi: float,
    share: float,
    ratio: float,
    show_all: bool,
    limit: int | None,
    fmt: str,
) -> None:
    """HS6 products on which the importer depends strategically (EC SWD(2021) 352 method)."""
    result = trade_deps(
        app.store,
        importer,
        settings=TradeSettings(hhi, share, ratio),
        dependent_only=not show_all,
        limit=limit,
    )
    if fmt == "json":
        print_json(result)
        return
    rows = [
        {**p.model_dump(), "extra_eu_imports": round(p.extra_eu_imports)} for p in result.products
    ]
    columns = TRADE_COLUMNS if fmt == "table" else [*TRADE_COLUMNS, "description", "year"]
    title = ngettext(
        "trade dependencies of {importer} ({year}), {n} product",
        "trade dependencies of {importer} ({year}), {n} products",
        len(rows),
    ).format(importer=result.importer, year=result.year, n=len(rows))
    headers = {
        "hs_code": _("HS code"),
        "dependent": _("dependent"),
        "hhi": _("HHI"),
        "extra_eu_share": _("extra-EU share"),
        "import_export_ratio": _("imports / exports"),
        "extra_eu_imports": _("extra-EU imports"),
        "top_supplier": _("top supplier"),
        "top_supplier_share": _("top supplier share"),
    }
    print_rows(rows, columns, fmt, title=title, headers=headers)


COMMANDS = [import_, trade_deps_cmd]
