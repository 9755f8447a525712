"""``filiere deps|routes|shock|critical|bom``: the analyses; ``queries`` and ``cypher``: Cypher.

Tables are for reading, ``--format json`` prints the documented result model exactly,
``--format csv`` prints one flat row per line of the table.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import click
from pydantic import ValidationError

from filiere import queries, wording
from filiere.cli.context import AppContext, pass_app
from filiere.cli.localized import argument, command, option
from filiere.cli.output import cell, console, format_option, print_json, print_rows
from filiere.i18n import _, ngettext, pgettext
from filiere.names import country_name
from filiere.queries.models import (
    AnalysisSettings,
    BomResult,
    CriticalResult,
    Dependency,
    DepsResult,
    RoutesResult,
    ShockResult,
)
from filiere.queries.recovery import recovery_text, recovery_warning, substitutes_at_risk


def settings_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The thresholds shared by the analyses, given to ``fn`` as one ``settings`` argument."""

    @functools.wraps(fn)
    def with_settings(
        *args: Any, home: str | None, hhi: float, upstream_share: float, max_paths: int, **kw: Any
    ) -> Any:
        app = click.get_current_context().find_object(AppContext)
        if app is None:
            raise RuntimeError("an analysis command ran outside the filiere group")
        return fn(*args, settings=make_settings(app, home, hhi, upstream_share, max_paths), **kw)

    options = [
        option(
            "--home",
            default=None,
            help="Home country (ISO alpha-2). Default: FILIERE_HOME_COUNTRY or FR.",
        ),
        option("--hhi", type=float, default=0.4, show_default=True, help="HHI threshold."),
        option(
            "--upstream-share",
            type=float,
            default=0.65,
            show_default=True,
            help="World production share above which a material is upstream-concentrated.",
        ),
        option(
            "--max-paths",
            type=int,
            default=5,
            show_default=True,
            help="BOM paths reported per dependency.",
        ),
    ]
    decorated: Callable[..., Any] = with_settings
    for add_option in reversed(options):
        decorated = add_option(decorated)
    return decorated


#: ``--country``, repeatable: the countries of a shock scenario.
shocked_countries_option = option(
    "--country",
    "countries",
    multiple=True,
    required=True,
    help="Shocked country (ISO code or name); repeat for several.",
)


def make_settings(
    app: AppContext, home: str | None, hhi: float, upstream_share: float, max_paths: int
) -> AnalysisSettings:
    try:
        return AnalysisSettings(
            home=home or app.settings.home_country,
            hhi=hhi,
            upstream_share=upstream_share,
            max_paths=max_paths,
        )
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())
        raise click.BadParameter(problems) from None


#: Columns kept at their natural width (short words, numbers); the others share the rest.
NARROW = frozenset({"risk", "kind", "depth", "tier", "km", "compat", "status", "n", "quantity"})
#: Relative widths of the wide columns (the reasons and paths get the most room).
RATIOS = {"item": 3, "why": 3, "path": 3, "partial": 3, "via": 3, "answers": 4}


def print_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> None:
    """A rich table that fits the terminal: every column wraps rather than disappearing.

    ``columns`` are ``(key, header)`` pairs; BOM paths wrap on their `` > `` separators.
    """
    from rich.table import Table

    table = Table(show_lines=False, expand=True)
    for key, header in columns:
        narrow = key in NARROW
        table.add_column(
            header,
            overflow="fold",
            min_width=None if narrow else 8,
            ratio=None if narrow else RATIOS.get(key, 2),
        )
    for row in rows:
        table.add_row(*(cell(row.get(key)) for key, _h in columns))
    console().print(table)


def echo(text: str) -> None:
    """A line of text, wrapped to the terminal's width."""
    console().print(text, markup=False, highlight=False, soft_wrap=False)


def path_text(path: list[str]) -> str:
    return " > ".join(path)


# -- deps ------------------------------------------------------------------------------------


def deps_rows(result: DepsResult) -> list[dict[str, Any]]:
    """Table rows: names beside the ids, the reason in words, suppliers with their country."""
    rows = []
    for d in result.dependencies:
        more = len(d.paths) - 1
        rows.append(
            {
                "risk": _("AT RISK") if d.at_risk else "",
                "item": wording.named(d.name, d.item),
                "kind": wording.kind(d.kind),
                "depth": d.depth,
                "why": wording.why(d),
                "path": (path_text(d.paths[0]) if d.paths else "")
                + (
                    " " + ngettext("(+{n} more)", "(+{n} more)", more).format(n=more)
                    if more > 0
                    else ""
                ),
            }
        )
    return rows


def deps_columns() -> list[tuple[str, str]]:
    return [
        ("risk", _("risk")),
        ("item", _("item")),
        ("kind", _("kind")),
        ("depth", pgettext("short", "depth")),
        ("why", _("why")),
        ("path", pgettext("short", "BOM path")),
    ]


def deps_csv_rows(result: DepsResult) -> list[dict[str, Any]]:
    return [
        {
            **d.model_dump(exclude={"suppliers", "paths", "supplier_names"}),
            "suppliers": " ".join(d.suppliers),
            "paths": " | ".join(path_text(p) for p in d.paths),
            "supplier_names": " | ".join(d.supplier_names),
        }
        for d in result.dependencies
    ]


@command()
@argument("product")
@settings_options
@format_option
@pass_app
def deps(
    app: AppContext,
    product: str,
    settings: AnalysisSettings,
    fmt: str,
) -> None:
    """Concentrated dependencies of PRODUCT: which parts and materials come from one country
    or a few, or from a concentrated world production, and through which BOM path."""
    result = queries.deps(app.store, product, settings)
    if fmt == "json":
        print_json(result)
        return
    if fmt == "csv":
        columns = list(Dependency.model_fields)
        print_rows(deps_csv_rows(result), columns, fmt)
        return
    at_risk = sum(d.at_risk for d in result.dependencies)
    n = len(result.dependencies)
    echo(
        ngettext(
            "{product}: {n} concentrated dependency, {at_risk} at risk",
            "{product}: {n} concentrated dependencies, {at_risk} at risk",
            n,
        ).format(product=wording.named(result.product_name, result.product), n=n, at_risk=at_risk)
        + " "
        + _("(home country {home}, HHI >= {hhi}, upstream >= {share})").format(
            home=country_name(result.home_country),
            hhi=wording.decimal(settings.hhi),
            share=wording.pct(settings.upstream_share),
        )
    )
    if result.dependencies:
        print_table(deps_rows(result), deps_columns())
    if result.gaps:
        echo(
            _("unmapped (no supplier, no BOM, no production): {items}").format(
                items=", ".join(
                    wording.named(n, g)
                    for n, g in zip(result.gap_names or result.gaps, result.gaps, strict=True)
                )
            )
        )


# -- routes ----------------------------------------------------------------------------------


@command()
@argument("item")
@option("--region", default=None, help="Target region (ISO 3166-2, e.g. FR-BFC): tier 1.")
@settings_options
@format_option
@pass_app
def routes(
    app: AppContext,
    item: str,
    region: str | None,
    settings: AnalysisSettings,
    fmt: str,
) -> None:
    """Local substitution routes for ITEM: suppliers that offer it, suppliers of its
    substitutes and suppliers with the processes it needs, in the region, the home
    country, then the EU."""
    result = queries.routes(app.store, item, region, settings)
    if fmt == "json":
        print_json(result)
        return
    rows = routes_rows(result)
    if fmt == "csv":
        print_rows([r.model_dump() for r in result.routes], list(ROUTE_FIELDS), fmt)
        return
    echo(routes_heading(result))
    if rows:
        print_table(rows, routes_columns())
    else:
        echo(_("No local route: {what}.").format(what=wording.looked_for(result)))


def routes_heading(result: RoutesResult) -> str:
    """``Aimant (C-MAG): 3 routes (1 Bourgogne-Franche-Comté, 2 France, 3 EU)``."""
    n = len(result.routes)
    return ngettext("{item}: {n} route {tiers}", "{item}: {n} routes {tiers}", n).format(
        item=wording.named(result.item_name, result.item), n=n, tiers=wording.tiers_text(result)
    )


def routes_columns() -> list[tuple[str, str]]:
    return [
        ("tier", _("tier")),
        ("supplier", _("supplier")),
        ("place", _("place")),
        ("via", _("route")),
        ("compat", _("compat.")),
        ("km", _("km")),
    ]


ROUTE_FIELDS = (
    "supplier",
    "kind",
    "via",
    "tier",
    "country",
    "region",
    "compatibility",
    "substitute_at_risk",
    "distance_km",
)


def routes_rows(result: RoutesResult) -> list[dict[str, Any]]:
    return [
        {
            "tier": r.tier,
            "supplier": wording.named(r.supplier_name, r.supplier),
            "place": wording.route_place(r),
            "via": wording.route_via(r, result.item),
            "compat": wording.pct(r.compatibility),
            "km": "" if r.distance_km is None else f"{r.distance_km:.0f}",
        }
        for r in result.routes
    ]


# -- shock -----------------------------------------------------------------------------------


@command()
@shocked_countries_option
@option(
    "--cut",
    "fraction",
    type=click.FloatRange(0, 1, min_open=True),
    default=1.0,
    show_default=True,
    help="Fraction of these countries' supply that stops (below 1: a partial stop).",
)
@option("--upstream", is_flag=True, help="Stop their mines and refineries too (world production).")
@settings_options
@format_option
@pass_app
def shock(
    app: AppContext,
    countries: tuple[str, ...],
    fraction: float,
    upstream: bool,
    settings: AnalysisSettings,
    fmt: str,
) -> None:
    """What a supply stop in some countries cuts: products cut or partly hit, and the
    items cut at source with the substitutes that could replace them."""
    result = queries.shock(app.store, list(countries), settings, cut=fraction, upstream=upstream)
    if fmt == "json":
        print_json(result)
        return
    risky = substitutes_at_risk(app.store, result, settings)
    if fmt == "csv":
        print_rows(shock_csv_rows(result, risky), SHOCK_CSV, fmt)
        return
    if result.cut < 1 or result.upstream:
        echo(scenario_text(result))
    for line in shock_lines(result):
        echo(line)
    if result.impacted_products:
        rows = [
            {
                "product": wording.named(p.product_name, p.product),
                "status": _("CUT") if p.cut else _("dented"),
                "cut": ", ".join(
                    wording.named(n, i)
                    for n, i in zip(p.cut_item_names or p.cut_items, p.cut_items, strict=True)
                ),
                "partial": ", ".join(
                    f"{wording.named(x.name, x.item)} ({wording.pct(x.lost_share)})"
                    for x in p.partial
                ),
            }
            for p in result.impacted_products
        ]
        print_table(
            rows,
            [
                ("product", _("product")),
                ("status", _("effect")),
                ("cut", _("cut at the source")),
                ("partial", _("partly lost")),
            ],
        )
    if result.cut_items:
        rows = [
            {
                "item": wording.named(c.name, c.item),
                "via": ", ".join(
                    recovery_text(r, r.item in risky, wording.named(names.get(r.item), r.item))
                    for names in [
                        dict(zip(c.recoverable_via, c.recoverable_via_names, strict=False))
                    ]
                    for r in c.recoverable_exposure
                ),
            }
            for c in result.cut_items
        ]
        print_table(
            rows, [("item", _("item cut at the source")), ("via", _("substitutes not cut"))]
        )


def shock_lines(result: ShockResult) -> list[str]:
    """The shock's headline in words."""
    names = wording.countries_text(result.countries)
    hit = len(result.impacted_products)
    cut = sum(p.cut for p in result.impacted_products)
    items = len(result.cut_items)
    return [
        _("Supply stop in {countries}: {hit}, {cut}; {items}").format(
            countries=names,
            hit=ngettext("{n} product hit", "{n} products hit", hit).format(n=hit),
            cut=ngettext("{n} cut", "{n} cut", cut).format(n=cut),
            items=ngettext(
                "{n} item cut at the source", "{n} items cut at the source", items
            ).format(n=items),
        )
    ]


def scenario_text(result: ShockResult) -> str:
    """The scenario in words: how much stops, and whether mines and refineries stop too."""
    share = f"{result.cut:.0%}"
    if result.upstream:
        return _("scenario: {share} of the supply and of the world production stops").format(
            share=share
        )
    return _("scenario: {share} of the supply stops").format(share=share)


SHOCK_CSV = [
    "section",
    "product",
    "cut",
    "item",
    "lost_share",
    "recoverable_via",
    "recovery_warnings",
]


def shock_csv_rows(result: ShockResult, risky: set[str] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in result.impacted_products:
        for item in p.cut_items:
            rows.append(
                {
                    "section": "product",
                    "product": p.product,
                    "cut": p.cut,
                    "item": item,
                    "lost_share": 1.0,
                }
            )
        for x in p.partial:
            rows.append(
                {
                    "section": "product",
                    "product": p.product,
                    "cut": p.cut,
                    "item": x.item,
                    "lost_share": x.lost_share,
                }
            )
    for c in result.cut_items:
        warnings = [
            recovery_text(r, r.item in (risky or ()))
            for r in c.recoverable_exposure
            if recovery_warning(r, r.item in (risky or ())) is not None
        ]
        rows.append(
            {
                "section": "cut_item",
                "item": c.item,
                "recoverable_via": " ".join(c.recoverable_via),
                "recovery_warnings": "; ".join(warnings),
            }
        )
    return rows


# -- critical, bom ---------------------------------------------------------------------------


@command()
@option("--top", type=int, default=None, help="Show only the first N items (table).")
@format_option
@pass_app
def critical(app: AppContext, top: int | None, fmt: str) -> None:
    """Components and materials by number of products that depend on them."""
    result: CriticalResult = queries.critical(app.store)
    if fmt == "json":
        print_json(result)
        return
    items = result.items[:top] if top is not None else result.items
    if fmt == "csv":
        print_rows([i.model_dump() for i in items], ["item", "dependent_products", "name"], fmt)
        return
    rows = [{"item": i.item, "name": i.name, "n": i.dependent_products} for i in items]
    print_table(rows, [("item", _("item")), ("name", _("name")), ("n", _("products"))])


@command()
@argument("product")
@format_option
@pass_app
def bom(app: AppContext, product: str, fmt: str) -> None:
    """Bill of materials explosion of PRODUCT: every part and material with its total quantity."""
    result: BomResult = queries.bom(app.store, product)
    if fmt == "json":
        print_json(result)
        return
    if fmt == "csv":
        print_rows(
            [x.model_dump() for x in result.lines],
            ["item", "kind", "depth", "quantity", "name"],
            fmt,
        )
        return
    n = len(result.lines)
    click.echo(
        ngettext("{product}: {n} item", "{product}: {n} items", n).format(
            product=wording.named(result.product_name, result.product), n=n
        )
    )
    rows = [
        {
            "depth": x.depth,
            "item": "  " * (x.depth - 1) + wording.named(x.name, x.item),
            "kind": wording.kind(x.kind),
            "quantity": wording.decimal(x.quantity, 0)
            if x.quantity == int(x.quantity)
            else f"{x.quantity:g}",
        }
        for x in result.lines
    ]
    print_table(
        rows,
        [
            ("depth", _("depth")),
            ("item", _("item")),
            ("kind", _("kind")),
            ("quantity", _("quantity")),
        ],
    )


# -- Cypher ----------------------------------------------------------------------------------


@command(name="queries")
@format_option
def list_queries(fmt: str) -> None:
    """List the Cypher library: name, what it answers, parameters (run with `filiere cypher`)."""
    from filiere.queries.library import library

    found = library()
    if fmt == "json":
        print_json(
            [{"name": q.name, "description": q.description, "params": q.params} for q in found]
        )
        return
    rows = [
        {"name": q.name, "answers": q.summary, "parameters": ", ".join(f"${p}" for p in q.params)}
        for q in found
    ]
    if fmt == "csv":
        print_rows(rows, ["name", "answers", "parameters"], fmt)
    else:
        print_table(
            rows,
            [("name", _("name")), ("answers", _("answers")), ("parameters", _("parameters"))],
        )


def parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``key=value`` gives a string, ``key:=json`` a JSON value (number, list, null...).

    >>> parse_params(("item=AIM", "maxPaths:=5", "countries:=[\\"CN\\"]"))
    {'item': 'AIM', 'maxPaths': 5, 'countries': ['CN']}
    """
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise click.BadParameter(
                _("{pair}: expected key=value or key:=json").format(pair=repr(pair)),
                param_hint="--param",
            )
        if key.endswith(":"):
            key = key[:-1]
            try:
                value: Any = json.loads(raw)
            except ValueError:
                raise click.BadParameter(
                    _("{pair}: the value after := must be JSON").format(pair=repr(pair)),
                    param_hint="--param",
                ) from None
        else:
            value = raw
        key = key.strip()
        if not key.isidentifier():
            raise click.BadParameter(
                _("{key} is not a parameter name").format(key=repr(key)), param_hint="--param"
            )
        params[key] = value
    return params


@command()
@argument("query")
@option(
    "--param",
    "-p",
    "pairs",
    multiple=True,
    help='Query parameter: key=value (a string) or key:=json (5, true, ["CN"]...).',
)
@option("--timeout", type=float, default=30, show_default=True, help="Seconds.")
@option("--limit", type=int, default=1000, show_default=True, help="Maximum rows.")
@format_option
@pass_app
def cypher(
    app: AppContext, query: str, pairs: tuple[str, ...], timeout: float, limit: int, fmt: str
) -> None:
    """Run QUERY (a name from `filiere queries`, or Cypher text) read-only on Neo4j."""
    from filiere.queries.cypher_runner import run_readonly
    from filiere.queries.library import exists, load

    params = parse_params(pairs)
    text = load(query).text if exists(query) else query
    if exists(query):
        missing = sorted(set(load(query).params) - set(params))
        if missing:
            raise click.UsageError(
                _("query {query} needs {params}").format(
                    query=repr(query), params=", ".join(f"--param {m}=..." for m in missing)
                )
            )
    result = run_readonly(app.store, text, params, timeout_s=timeout, limit=limit)
    if fmt == "json":
        print_json(result)
        return
    rows = [{c: _cell(r[c]) for c in result.columns} for r in result.rows]
    print_rows(rows, result.columns, fmt)
    if result.truncated and fmt == "table":
        console().print(
            _("(first {n} rows only; raise --limit to see more)").format(n=limit), markup=False
        )


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        return json.dumps(value, ensure_ascii=False)
    return value


COMMANDS = [deps, routes, shock, critical, bom, list_queries, cypher]
