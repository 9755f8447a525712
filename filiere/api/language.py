"""The language of each API request, from its ``Accept-Language`` header (French by default).

Problem details' ``title`` and ``detail`` are written in that language; JSON field names,
enum values and the data never change with it.

>>> best_language("en-GB,en;q=0.9,fr;q=0.8"), best_language("de, en;q=0.5"), best_language("")
('en', 'en', 'fr')
>>> best_language("fr;q=0, en;q=0")
'fr'
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from filiere.i18n import DEFAULT_LANGUAGE, LANGUAGES, language

#: A header longer than this is ignored (French then): nothing unbounded is parsed.
MAX_HEADER = 512


def best_language(header: str) -> str:
    """The supported language the header prefers most (ties: the first listed)."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    if len(header) > MAX_HEADER:
        return best
    for part in header.split(",")[:32]:
        tag, _sep, params = part.strip().partition(";")
        code = tag.strip().lower().replace("_", "-").split("-")[0]
        q = 1.0
        for p in params.split(";"):
            key, _eq, value = p.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if code in LANGUAGES and q > best_q:
            best, best_q = code, q
    return best


class LanguageMiddleware:
    """Run each HTTP request in the language its ``Accept-Language`` asks for."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = ""
        for name, value in scope.get("headers", []):
            if name == b"accept-language":
                header = value.decode("latin-1")
                break
        with language(best_language(header)):
            await self.app(scope, receive, send)
