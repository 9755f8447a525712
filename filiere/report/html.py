"""The report's HTML page: summary, tables, embedded views, provenance and thresholds.

The page itself has no script; each view is a self-contained page in the same folder,
embedded with an ``<iframe>`` and linked for full-screen use. Every text is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from filiere import wording
from filiere.i18n import _, get_language, ngettext
from filiere.names import country_name, region_name
from filiere.queries.models import AnalysisSettings, RoutesResult
from filiere.report.findings import Findings, Source
from filiere.report.opps import html_section as opps_section
from filiere.report.opps import recoveries
from filiere.report.xlsx import path_text

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2733;
  margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; line-height: 1.4; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 19px; margin-top: 32px;
  border-bottom: 2px solid #1f4e79; padding-bottom: 4px; } h3 { font-size: 16px; }
.meta { color: #4a5563; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid #d4dbe3; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #1f4e79; color: #fff; }
tr:nth-child(even) td { background: #f5f7fa; }
.risk { color: #c00000; font-weight: bold; }
.path { font-family: ui-monospace, monospace; font-size: 12px; }
iframe { width: 100%; height: 620px; border: 1px solid #d4dbe3; border-radius: 4px; }
.headline { background: #fff4d6; border: 1px solid #f0c36d; border-radius: 4px;
  padding: 8px 14px; } .headline li { margin: 4px 0; }
code { background: #eef2f6; padding: 1px 4px; border-radius: 3px; }
.finding { font-weight: 600; margin: 6px 0; }
.toc ol { columns: 2; font-size: 14px; } details { margin: 8px 0; }
figure.view { margin: 8px 0 16px; } figure.view figcaption { font-size: 13px; color: #4a5563; }
.print-figure { display: none; }
thead { display: table-header-group; }
@media print {
  @page { size: A4; margin: 12mm; }
  body { max-width: none; padding: 0; }
  th { background: #dfe7f1 !important; color: #000 !important; border-bottom: 2px solid #1f4e79;
    -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tr, img { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  figure.view iframe, figure.view .screen { display: none; }
  .print-figure { display: block; }
  .print-figure img { display: block; max-width: 100%; margin: 0 auto 3mm; }
}
"""


def esc(value: Any) -> str:
    """A value as escaped HTML text (``None`` as empty)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return html.escape(f"{value:.4g}")
    return html.escape(str(value))


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], *, raw: Sequence[int] = ()) -> str:
    """An HTML table; cells are escaped except the columns in ``raw`` (already HTML)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f"<td>{v if i in raw else esc(v)}</td>" for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    if not body:
        nothing = _("Nothing to show.")
        return f"<p><em>{esc(nothing)}</em></p>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _paths(paths: Sequence[Sequence[str]]) -> str:
    return "<br>".join(f'<span class="path">{esc(path_text(p))}</span>' for p in paths)


#: Fills a figure's print pictures with the tiles its view posts (only PNG data URLs, only
#: from its own frame): an iframe cannot flow across printed pages, its pictures can.
_FIGURE_JS = """(function () {
  var box = document.currentScript.previousElementSibling;
  var frame = box.previousElementSibling;
  window.addEventListener("message", function (e) {
    var d = e.data;
    if (e.source !== frame.contentWindow || !d || d.filiere !== "figure") { return; }
    box.textContent = "";
    (d.tiles || []).forEach(function (t) {
      if (typeof t.src !== "string" || t.src.indexOf("data:image/png;base64,") !== 0) { return; }
      var img = document.createElement("img");
      img.src = t.src;
      img.style.width = Math.min(Number(t.w) || 0, 700) + "px";
      img.alt = frame.title;
      box.appendChild(img);
    });
    box.setAttribute("data-ready", "1");
  });
})();"""


def _frame(file: str, title: str) -> str:
    """A view: an ``<iframe>`` on screen, its pictures (posted by the view) in print."""
    label = _("Open “{title}” full screen").format(title=title)
    return (
        f'<figure class="view"><p class="screen"><a href="{esc(file)}">'
        f"{esc(label)}</a></p>"
        f'<iframe src="{esc(file)}" title="{esc(title)}" loading="eager"></iframe>'
        f'<div class="print-figure"></div><script>{_FIGURE_JS}</script>'
        f"<figcaption>{esc(title)}</figcaption></figure>"
    )


def _say(text: str) -> str:
    """The one sentence that states a finding, before its table."""
    return f'<p class="finding">{esc(text)}</p>'


def _settings_table(settings: AnalysisSettings, region: str | None) -> str:
    meanings = {
        "home": _("Home country (ISO 3166-1 alpha-2)."),
        "hhi": _("Concentration (HHI) at or above which an item is concentrated."),
        "upstream_share": _(
            "Share of world production at or above which a material is concentrated upstream."
        ),
        "max_paths": _("BOM paths reported per dependency."),
    }
    rows: list[list[Any]] = [
        [name, getattr(settings, name), meanings.get(name, info.description or "")]
        for name, info in AnalysisSettings.model_fields.items()
    ]
    rows.append(
        [
            "region",
            region_name(region) or _("(none)"),
            _("Region of the routes' first tier (ISO 3166-2)."),
        ]
    )
    return table([_("threshold"), _("value"), _("meaning")], rows)


def title(f: Findings) -> str:
    """``Dépendances et voies de relocalisation : 7 produits``."""
    n = len(f.products)
    return _("Dependencies and relocation routes: {products}").format(
        products=ngettext("{n} product", "{n} products", n).format(n=n)
    )


def _toc(sections: Sequence[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="#{esc(a)}">{esc(t)}</a></li>' for a, t in sections)
    heading = _("Contents")
    return f'<nav class="toc"><h2 id="contents">{esc(heading)}</h2><ol>{items}</ol></nav>'


def _route_rows(r: RoutesResult) -> list[list[Any]]:
    return [
        [
            i + 1,
            wording.named(x.supplier_name, x.supplier),
            wording.route_place(x),
            wording.route_kind(x.kind),
            wording.route_via(x, r.item),
            wording.tier(x.tier, r.home_country),
            wording.pct(x.compatibility),
            "" if x.distance_km is None else f"{x.distance_km:.0f}",
        ]
        for i, x in enumerate(r.routes)
    ]


def render_report(
    f: Findings,
    views: dict[str, str],
    *,
    store_uri: str,
    workbook: str,
    commands: Sequence[str] = (),
) -> str:
    """The report page. ``views`` maps a view key (``deps:P``, ``routes:X``, ``shock``) to
    its file name in the report folder."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    s = f.settings
    out: list[str] = []
    sections = [("summary", _("Summary")), ("at-risk", _("At-risk dependencies"))]
    sections += [(f"deps-{p}", wording.named(f.name(p), p)) for p in f.products]
    sections += [
        ("routes", _("Local routes for the at-risk items")),
        ("shock", _("Shock scenario")),
        ("critical", _("Critical items")),
        ("provenance", _("Data provenance")),
        ("thresholds", _("Thresholds used")),
    ]
    if commands:
        sections.append(("next", _("Dig further")))
    out.append(f"<h1>{esc(title(f))}</h1>")
    out.append(
        '<p class="meta">'
        + esc(
            _(
                "Generated {when} by filiere from the store {store}. Home country: {home}. "
                "Workbook: {workbook} (one sheet per analysis). The interactive views are "
                "separate pages in this folder: forward the whole folder (or a zip of it), "
                "not this page alone."
            ).format(when=now, store=store_uri, home=country_name(s.home), workbook=workbook)
        )
        + f' <a href="{esc(workbook)}">{esc(workbook)}</a></p>'
    )
    out.append(_toc(sections))

    out.append(opps_section(f))  # opportunities and matches lead (filiere.report.opps)

    # -- summary
    heads = []
    if f.at_risk:
        heads.append(
            "<li><b>"
            + esc(
                ngettext(
                    "{n} at-risk dependency", "{n} at-risk dependencies", len(f.at_risk)
                ).format(n=len(f.at_risk))
            )
            + "</b>: "
            + "; ".join(
                f'<span class="risk">{esc(wording.named(a.name, a.item))}</span> '
                f"({esc(f.why(a.dependency))})"
                for a in f.at_risk
            )
            + ".</li>"
        )
    else:
        none = _("No at-risk dependency under these thresholds.")
        heads.append(f"<li>{esc(none)}</li>")
    for item in f.route_items:
        r = f.routes[item]
        best = r.routes[0]
        heads.append(
            "<li>"
            + esc(
                ngettext(
                    "Best route for {item}: {supplier} ({place}), {how}; {n} route in all.",
                    "Best route for {item}: {supplier} ({place}), {how}; {n} routes in all.",
                    len(r.routes),
                ).format(
                    item=wording.named(f.name(item), item),
                    supplier=wording.named(best.supplier_name, best.supplier),
                    place=wording.route_place(best),
                    how=wording.route_via(best, item),
                    n=len(r.routes),
                )
            )
            + "</li>"
        )
    if f.no_route:
        heads.append(f"<li>{esc(_no_route(f))}</li>")
    if f.shock is not None:
        heads.append(f"<li>{esc(shock_sentence(f))}</li>")
    out.append(f'<h2 id="summary">{esc(_("Summary"))}</h2>')
    out.append(f'<ul class="headline">{"".join(heads)}</ul>')

    # -- at-risk dependencies across products
    out.append(f'<h2 id="at-risk">{esc(_("At-risk dependencies"))}</h2>')
    out.append(
        _say(
            ngettext(
                "{n} item is at risk across the products analysed; each row says why.",
                "{n} items are at risk across the products analysed; each row says why.",
                len(f.at_risk),
            ).format(n=len(f.at_risk))
        )
    )
    out.append(
        table(
            [_("item"), _("kind"), _("why"), _("products"), _("BOM paths")],
            [
                [
                    wording.named(a.name, a.item),
                    wording.kind(a.kind),
                    f.why(a.dependency),
                    ", ".join(wording.named(f.name(p), p) for p in a.products),
                    _paths(a.dependency.paths),
                ]
                for a in f.at_risk
            ],
            raw=(4,),
        )
    )

    # -- per product
    for p in f.products:
        d = f.deps[p]
        risky = sum(x.at_risk for x in d.dependencies)
        out.append(
            f'<h2 id="deps-{esc(p)}">'
            + esc(_("Dependencies of {product}").format(product=wording.named(f.name(p), p)))
            + "</h2>"
        )
        out.append(
            _say(
                ngettext(
                    "{n} concentrated dependency, {k} of them at risk.",
                    "{n} concentrated dependencies, {k} of them at risk.",
                    len(d.dependencies),
                ).format(n=len(d.dependencies), k=risky)
            )
        )
        out.append(
            table(
                [_("risk"), _("item"), _("kind"), _("depth"), _("why"), _("paths")],
                [
                    [
                        f'<span class="risk">{esc(_("AT RISK"))}</span>'
                        if x.at_risk
                        else esc(_("concentrated")),
                        wording.named(x.name, x.item),
                        wording.kind(x.kind),
                        x.depth,
                        f.why(x),
                        _paths(x.paths),
                    ]
                    for x in d.dependencies
                ],
                raw=(0, 5),
            )
        )
        if d.gaps:
            gaps = ", ".join(
                wording.named(n, g) for n, g in zip(d.gap_names or d.gaps, d.gaps, strict=True)
            )
            out.append(
                "<p>"
                + esc(
                    _(
                        "Mapping gaps (no supplier, no component, no production data): {items}."
                    ).format(items=gaps)
                )
                + "</p>"
            )
        if f"deps:{p}" in views:
            out.append(_frame(views[f"deps:{p}"], _("Supply tree of {product}").format(product=p)))

    # -- routes
    out.append(f'<h2 id="routes">{esc(_("Local routes for the at-risk items"))}</h2>')
    if not f.routes:
        out.append(_say(_("No at-risk item, so no route was searched.")))
    if f.no_route:
        out.append(_say(_no_route(f)))
    others = [i for i, r in f.routes.items() if r.routes and i not in f.route_items]
    for item in [*f.route_items, *others]:
        r = f.routes[item]
        out.append(f"<h3>{esc(wording.named(f.name(item), item))}</h3>")
        warned = sum(1 for x in r.routes if x.substitute_at_risk)
        sentence = ngettext("{n} route {tiers}.", "{n} routes {tiers}.", len(r.routes)).format(
            n=len(r.routes), tiers=wording.tiers_text(r)
        )
        if warned:
            sentence += " " + ngettext(
                "{k} of them goes through a substitute that is itself at risk.",
                "{k} of them go through a substitute that is itself at risk.",
                warned,
            ).format(k=warned)
        out.append(_say(sentence))
        out.append(
            table(
                [
                    "#",
                    _("supplier"),
                    _("place"),
                    _("kind"),
                    _("route"),
                    _("tier"),
                    _("compat."),
                    _("km"),
                ],
                _route_rows(r),
            )
        )
        if f"routes:{item}" in views:
            out.append(_frame(views[f"routes:{item}"], _("Routes for {item}").format(item=item)))

    # -- shock
    out.append(f'<h2 id="shock">{esc(_("Shock scenario"))}</h2>')
    if f.shock is None:
        out.append(_say(_("No foreign country supplies an at-risk item: no shock was run.")))
    else:
        out.append(_say(shock_sentence(f)))
        out.append(
            table(
                [_("product"), _("effect"), _("cut items"), _("dented items (lost share)")],
                [
                    [
                        wording.named(x.product_name, x.product),
                        _("CUT") if x.cut else _("dented"),
                        ", ".join(
                            wording.named(n, i)
                            for n, i in zip(
                                x.cut_item_names or x.cut_items, x.cut_items, strict=True
                            )
                        ),
                        ", ".join(
                            f"{wording.named(y.name, y.item)} ({wording.pct(y.lost_share)})"
                            for y in x.partial
                        ),
                    ]
                    for x in f.shock.impacted_products
                ],
            )
        )
        out.append(
            table(
                [_("item cut at the source"), _("substitutes not cut")],
                [[wording.named(c.name, c.item), recoveries(f, c)] for c in f.shock.cut_items],
            )
        )
        if "shock" in views:
            out.append(_frame(views["shock"], _("Shock scenario")))

    # -- critical
    out.append(f'<h2 id="critical">{esc(_("Critical items"))}</h2>')
    out.append(_say(_("The components and materials shared by the most products come first.")))
    out.append(
        table(
            [_("item"), _("dependent products")],
            [[wording.named(c.name, c.item), c.dependent_products] for c in f.critical.items[:30]],
        )
    )
    if len(f.critical.items) > 30:
        more = len(f.critical.items) - 30
        out.append(
            "<p>"
            + esc(
                ngettext("{n} more in the workbook.", "{n} more in the workbook.", more).format(
                    n=more
                )
            )
            + "</p>"
        )

    # -- provenance and thresholds
    out.append(f'<h2 id="provenance">{esc(_("Data provenance"))}</h2>')
    out.append(_say(_("The findings rest on these sources, one line each.")))
    out.append(
        "<ul>"
        + "".join(
            "<li>"
            + esc(
                _("{source}: {n} facts used, loaded {when}").format(
                    source=x.source, n=x.count, when=_loaded(x.first_loaded, x.last_loaded)
                )
            )
            + "</li>"
            for x in summarised_sources(f.sources)
        )
        + "</ul>"
    )
    details = _("Details: facts per source and store content")
    out.append(f"<details><summary>{esc(details)}</summary>")
    out.append(
        table(
            [_("source"), _("nodes and links used"), _("first loaded"), _("last loaded")],
            [[x.source, x.count, x.first_loaded, x.last_loaded] for x in f.sources],
        )
    )
    out.append(
        "<p>"
        + esc(
            _("Store content: {counts}.").format(
                counts=", ".join(f"{k} {v}" for k, v in sorted(f.counts.items()))
            )
        )
        + "</p></details>"
    )
    out.append(f'<h2 id="thresholds">{esc(_("Thresholds used"))}</h2>')
    out.append(_settings_table(s, f.region))
    if commands:
        out.append(f'<h2 id="next">{esc(_("Dig further"))}</h2><ul>')
        out.extend(f"<li><code>{esc(c)}</code></li>" for c in commands)
        out.append("</ul>")
    body = "\n".join(out)
    return (
        f'<!DOCTYPE html>\n<html lang="{get_language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title(f))}</title>"
        f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def summarised_sources(sources: Sequence[Source]) -> list[Source]:
    """One line per source: the parts of a source (``Title [Aluminium, stage E]``) folded.

    >>> rows = [Source("EU [Al]", 2, "2024-01-02", "2024-01-02"),
    ...         Source("EU [Co]", 3, "2024-01-01", None)]
    >>> [(s.source, s.count, s.first_loaded, s.last_loaded) for s in summarised_sources(rows)]
    [('EU', 5, '2024-01-01', '2024-01-02')]
    """
    groups: dict[str, list[Source]] = {}
    for x in sources:
        groups.setdefault(x.source.split(" [", 1)[0], []).append(x)
    out = []
    for name, parts in groups.items():
        firsts = sorted(p.first_loaded for p in parts if p.first_loaded)
        lasts = sorted(p.last_loaded or p.first_loaded or "" for p in parts)
        out.append(
            Source(
                name,
                sum(p.count for p in parts),
                firsts[0] if firsts else None,
                lasts[-1] or None if lasts else None,
            )
        )
    return out


def _no_route(f: Findings) -> str:
    return _("No local route for {items}: {what}.").format(
        items=", ".join(wording.named(f.name(i), i) for i in f.no_route),
        what=wording.looked_for(f.routes[f.no_route[0]]),
    )


def _loaded(first: str | None, last: str | None) -> str:
    """The load date(s) of a source, as dates."""
    if not first:
        return _("(date unknown)")
    a, b = first[:10], (last or first)[:10]
    return a if a == b else _("{first} to {last}").format(first=a, last=b)


def shock_sentence(f: Findings) -> str:
    """One sentence: what the supply stop cuts and dents."""
    assert f.shock is not None
    cut = [wording.named(p.product_name, p.product) for p in f.shock.impacted_products if p.cut]
    dented = [
        wording.named(p.product_name, p.product) for p in f.shock.impacted_products if not p.cut
    ]
    return _("A supply stop in {countries} cuts {cut} and dents {dented}.").format(
        countries=wording.countries_text(f.shock.countries),
        cut=ngettext("{n} product", "{n} products", len(cut)).format(n=len(cut))
        + (" (" + ", ".join(cut) + ")" if cut else ""),
        dented=ngettext("{n} product", "{n} products", len(dented)).format(n=len(dented))
        + (" (" + ", ".join(dented) + ")" if dented else ""),
    )
