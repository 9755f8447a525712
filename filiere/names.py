"""Names of countries and regions for their ISO codes, in French or English.

Country names come from pycountry and its gettext translations of ISO 3166-1 (so
``CD`` is ``République démocratique du Congo`` in French); region names are the ISO
3166-2 names (``FR-BFC`` is ``Bourgogne-Franche-Comté``), which are the regions' own.

>>> country_name("CD", "fr"), country_name("CN", "en"), country_name("XX", "fr")
('République démocratique du Congo', 'China', 'XX')
>>> region_name("FR-BFC"), region_name(None)
('Bourgogne-Franche-Comté', None)
"""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry

from filiere.i18n import get_language

#: Shorter everyday English names where ISO's are inverted or official.
_ENGLISH = {"CD": "DR Congo", "KR": "South Korea", "RU": "Russia", "TW": "Taiwan"}


@lru_cache(maxsize=4)
def _iso3166(lang: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, [lang], fallback=True)


@lru_cache(maxsize=1024)
def _country(code: str, lang: str) -> str:
    found = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if found is None:
        return code
    if lang == "en":
        return _ENGLISH.get(found.alpha_2) or getattr(found, "common_name", None) or found.name
    return _iso3166(lang).gettext(found.name)


def country_name(code: str | None, lang: str | None = None) -> str | None:
    """The name of an ISO alpha-2 country code (the code itself when unknown)."""
    if not code:
        return None
    return _country(code, lang or get_language())


def region_name(code: str | None) -> str | None:
    """The ISO 3166-2 name of a region code (the code itself when unknown)."""
    if not code:
        return None
    from filiere.graph.reference import region_info

    info = region_info(code)
    return info.name if info is not None else code


def place(country: str | None, region: str | None = None, city: str | None = None) -> str:
    """``city, region, country`` in words, leaving out what is unknown or repeated.

    >>> place("FR", "FR-BFC", "Le Creusot")
    'Le Creusot, Bourgogne-Franche-Comté, France'
    """
    parts = [city, region_name(region), country_name(country)]
    return ", ".join(dict.fromkeys(p for p in parts if p))
