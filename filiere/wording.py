"""The words shared by the terminal, the report and the workbook: labels, numbers, reasons.

Everything here goes through the language layer (:mod:`filiere.i18n`), so a reason
reads "pays unique : Chine (fournisseur Ningbo Magnets)" in French and "single country:
China (supplier Ningbo Magnets)" in English. The terms are those of docs/glossaire.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from babel.numbers import format_decimal, format_percent

from filiere.i18n import N_, _, get_language, ngettext, pgettext
from filiere.names import country_name, region_name
from filiere.queries.models import Dependency, Route, RoutesResult

_KINDS = {"product": N_("product"), "component": N_("component"), "material": N_("material")}
_ROUTE_KINDS = {
    "supplier": N_("other supplier"),
    "substitute": N_("substitute"),
    "capability": N_("capability"),
}
_STAGES = {"extraction": N_("extraction"), "processing": N_("processing")}
_CRMA = {"strategic": N_("strategic"), "critical": N_("critical")}


def pct(x: float | None) -> str:
    """A share as a percentage in the language in force (``68 %`` / ``68%``)."""
    return "" if x is None else format_percent(x, locale=get_language())


def decimal(x: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals and the language's decimal sign."""
    return "" if x is None else format_decimal(x, format="0." + "0" * digits, locale=get_language())


def kind(value: str) -> str:
    """An item kind in words (``composant``)."""
    return _(_KINDS[value]) if value in _KINDS else value


def crma(value: str | None) -> str:
    """An item's class in the EU Critical Raw Materials Act in words (``stratégique``)."""
    if value is None:
        return ""
    return _(_CRMA[value]) if value in _CRMA else value


def route_kind(value: str) -> str:
    """A route kind in words (``substitut``)."""
    return _(_ROUTE_KINDS[value]) if value in _ROUTE_KINDS else value


def stage(value: str | None) -> str:
    return _(_STAGES[value]) if value in _STAGES else (value or "")


def tier(value: int, home: str) -> str:
    """A route tier in words: ``1 région``, ``2 France``, ``3 UE``."""
    if value == 1:
        return _("1 region")
    if value == 2:
        return _("2 {country}").format(country=country_name(home))
    return _("3 EU")


def named(name: str | None, key: str) -> str:
    """``name (id)``, or the id alone when there is no other name."""
    return f"{name} ({key})" if name and name != key else key


def suppliers_text(d: Dependency) -> str:
    """The suppliers of a dependency by name."""
    names = d.supplier_names or d.suppliers
    return ", ".join(names)


def reasons(d: Dependency, source: str | None = None) -> list[str]:
    """Why an item is reported, in an analyst's words: one clause per reason (a badge each).

    ``source`` (``European Commission, 2023``) says where the upstream share comes from.
    """
    found: list[str] = []
    names = d.supplier_names or d.suppliers
    if d.single_country:
        found.append(
            ngettext(
                "single country: {country} (supplier {suppliers})",
                "single country: {country} (suppliers {suppliers})",
                len(names),
            ).format(country=country_name(d.country), suppliers=", ".join(names))
        )
    elif d.hhi is not None:
        found.append(_("concentration (HHI) {hhi}").format(hhi=decimal(d.hhi)))
    if d.single_source and not d.single_country:
        found.append(_("single source: {supplier}").format(supplier=", ".join(names)))
    elif d.single_source:
        found.append(_("single source"))
    if d.upstream_concentrated:
        text = _("upstream: {country}, {share} of world production")
        if d.upstream_stage:
            text = _("upstream: {country}, {share} of world production ({stage})")
        if d.upstream_stage and source:
            text = _("upstream: {country}, {share} of world production ({stage}; {source})")
        found.append(
            text.format(
                country=country_name(d.upstream_country),
                share=pct(d.upstream_share),
                stage=stage(d.upstream_stage),
                source=source,
            )
        )
    return found


def why(d: Dependency, source: str | None = None) -> str:
    """Why an item is reported, in an analyst's words (its :func:`reasons`, in one line).

    ``source`` (``European Commission, 2023``) says where the upstream share comes from.
    """
    return pgettext("list separator", "; ").join(reasons(d, source))


def route_via(r: Route, item: str) -> str:
    """How a route replaces the item, with the warning when its substitute is itself at risk."""
    if r.kind == "substitute":
        text = _("substitute: {name}").format(name=named(r.via_name, r.via))
        if r.substitute_at_risk:
            text += " " + substitute_warning()
        return text
    if r.kind == "capability":
        return _("has the processes needed")
    return _("already offers it")


def substitute_warning() -> str:
    return _("(WARNING: the substitute is itself at risk)")


def route_place(r: Route) -> str:
    parts = [r.city, region_name(r.region), country_name(r.country)]
    return ", ".join(dict.fromkeys(p for p in parts if p))


def tiers_text(result: RoutesResult) -> str:
    """``(1 Bourgogne-Franche-Comté, 2 France, 3 UE)``: where each tier of routes lies."""
    tiers = [country_name(result.home_country) or result.home_country, _("EU")]
    if result.region:
        tiers.insert(0, region_name(result.region) or result.region)
    first = 1 if result.region else 2
    return "(" + ", ".join(f"{i} {t}" for i, t in enumerate(tiers, first)) + ")"


def looked_for(result: RoutesResult) -> str:
    """What a route search looked for, for "no local route" messages."""
    where = [region_name(result.region)] if result.region else []
    where += [country_name(result.home_country), _("the EU")]
    return _(
        "no other supplier, no supplier of a substitute and no firm with the processes "
        "needed in {places}"
    ).format(places=", ".join(p for p in where if p))


def countries_text(codes: Sequence[str]) -> str:
    """Country names in the language in force (JSON names are always French)."""
    return ", ".join(country_name(c) or c for c in codes)
