"""What several pages share: the analyses' thresholds and the framed graph views."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from filiere.queries.models import AnalysisSettings

#: The views inline their scripts and forbid every fetch themselves (a CSP meta tag);
#: these headers keep them out of other sites' frames.
VIEW_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}


def analysis_settings(request: Request) -> AnalysisSettings:
    """The default thresholds, with the server's home country (as the CLI and the API)."""
    return AnalysisSettings(home=request.app.state.settings.home_country)


def view_response(html: str) -> HTMLResponse:
    """A graph view (``filiere.viz``), shown in a page's frame."""
    return HTMLResponse(html, headers=VIEW_HEADERS)
