"""The language layer: every human-facing text goes through :func:`_` or :func:`ngettext`.

Texts are written in English in the code (the gettext message ids); the catalogs in
``filiere/locale/<lang>/LC_MESSAGES/filiere.po`` (compiled to ``.mo`` beside them)
translate them. French is the default, since the users are French; English is one flag
away (``--lang en`` or ``FILIERE_LANG=en``). The language is held in a context variable,
so each API request or CLI command can choose its own without touching the others.

JSON field names and enum values are a contract and never go through this layer.

>>> with language("en"):
...     ngettext("{n} product", "{n} products", 2).format(n=2)
'2 products'
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from filiere.errors import ConfigError

DOMAIN = "filiere"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

_current: ContextVar[str | None] = ContextVar("filiere_language", default=None)


def normalize_language(lang: str | None) -> str:
    """``fr`` or ``en`` from a setting such as ``fr_FR.UTF-8``, ``EN`` or ``en-GB``.

    >>> normalize_language("fr_FR.UTF-8"), normalize_language("en-GB"), normalize_language(None)
    ('fr', 'en', 'fr')
    """
    if not lang:
        return DEFAULT_LANGUAGE
    code = lang.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    if code not in LANGUAGES:
        raise ConfigError(f"unknown language {lang!r} (use one of: {', '.join(LANGUAGES)})")
    return code


def get_language() -> str:
    """The language in force: the one set in this context, else ``FILIERE_LANG``, else French."""
    lang = _current.get()
    if lang is not None:
        return lang
    return normalize_language(os.environ.get("FILIERE_LANG"))


def set_language(lang: str | None) -> None:
    """Choose the language for the rest of this context (a CLI run, a request)."""
    _current.set(normalize_language(lang) if lang else None)


@contextmanager
def language(lang: str) -> Iterator[str]:
    """Run a block in ``lang``, then restore the language that was in force."""
    token = _current.set(normalize_language(lang))
    try:
        yield get_language()
    finally:
        _current.reset(token)


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (identity where a catalog is missing)."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` (English source text) in the language in force."""
    return translations(get_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, by the plural rule of the language in force."""
    return translations(get_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in a context, for a short text that reads differently in two places."""
    return translations(get_language()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (module-level constants)."""
    return message
