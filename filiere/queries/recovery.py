"""How a shock's recoveries are worded for people: never a plain recovery when it is exposed.

A cut item's substitute that the same shock hits (exposure > 0), or that is itself at
risk (an item of its bill of materials is at risk), is a weak recovery: the terminal,
the report and the workbook say so in words (docs/analyses.md, section 3). The JSON
keeps the facts (``recoverable_exposure``) as a contract.
"""

from __future__ import annotations

from filiere.errors import FiliereError
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.queries.models import AnalysisSettings, RecoveryExposure, ShockResult
from filiere.wording import pct as percent


def substitutes_at_risk(
    store: GraphStore, result: ShockResult, settings: AnalysisSettings
) -> set[str]:
    """The substitutes of ``result``'s recoveries with an at-risk item in their BOM."""
    from filiere import queries

    risky = set()
    for y in sorted({r.item for c in result.cut_items for r in c.recoverable_exposure}):
        try:
            found = queries.deps(store, y, settings.model_copy(update={"max_paths": 1}))
        except FiliereError:
            continue
        if any(d.at_risk for d in found.dependencies):
            risky.add(y)
    return risky


def recovery_warning(r: RecoveryExposure, at_risk: bool) -> str | None:
    """The warning a recovery through ``r`` carries, or ``None`` for a sound recovery."""
    pct = percent(r.exposure)
    if r.exposure > 0 and at_risk:
        return _("this shock hits it too (up to {pct} lost) and it is itself at risk").format(
            pct=pct
        )
    if r.exposure > 0:
        return _("this shock hits it too (up to {pct} lost)").format(pct=pct)
    if at_risk:
        return _("itself at risk")
    return None


def recovery_text(r: RecoveryExposure, at_risk: bool, label: str | None = None) -> str:
    """``A2`` for a sound recovery, ``A2 (warning: ...)`` otherwise.

    >>> from filiere.i18n import language
    >>> with language("en"):
    ...     recovery_text(RecoveryExposure(item="A2", exposure=0.5), False)
    'A2 (warning: this shock hits it too (up to 50% lost))'
    """
    warning = recovery_warning(r, at_risk)
    item = label or r.item
    if warning is None:
        return item
    return _("{item} (warning: {warning})").format(item=item, warning=warning)
