"""The workspace's navigation bar: the pages a person may open, in order."""

from __future__ import annotations

from dataclasses import dataclass

from filiere.api.security import Role
from filiere.i18n import N_, _
from filiere.web.sessions import Session


@dataclass(frozen=True)
class NavEntry:
    path: str
    label: str  # a message id, translated when shown
    role: Role = Role.ANALYST


#: The pages of the navigation bar (French labels in the catalogs: Accueil, Recherche...).
NAV = (
    NavEntry("/", N_("Home")),
    NavEntry("/recherche", N_("Search")),
    NavEntry("/relocalisation", N_("Relocation")),
    NavEntry("/carte", N_("Map")),
    NavEntry("/choc", N_("Shock")),
    NavEntry("/requetes", N_("Cypher")),
    NavEntry("/import", N_("Import"), Role.EDITOR),
    NavEntry("/cles", N_("API keys"), Role.ADMIN),
)


def entries(viewer: Session | None) -> list[tuple[str, str]]:
    """``(path, label)`` of the entries ``viewer`` may open (none when signed out)."""
    if viewer is None:
        return []
    return [(e.path, _(e.label)) for e in NAV if viewer.role.allows(e.role)]
