"""Query and path parameters shared by the routers, with their limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from filiere.api.problems import Problem

#: Responses of routes that look one node up.
NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "No such node."}
}

Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=512,
        pattern="^[A-Za-z0-9_-]*$",
        description="`next_cursor` of the previous page; omit for the first.",
    ),
]
CountryCode = Annotated[
    str | None,
    Query(pattern="^[A-Za-z]{2}$", description="Country, ISO 3166-1 alpha-2 (FR, DE, CN...)."),
]
RegionCode = Annotated[
    str | None,
    Query(min_length=3, max_length=16, description="Region, ISO 3166-2 (FR-BFC, FR-ARA...)."),
]
ItemId = Annotated[str, Path(min_length=1, max_length=200, description="An item id.")]
SupplierId = Annotated[str, Path(min_length=1, max_length=200, description="A supplier id.")]
RegionPath = Annotated[
    str, Path(min_length=1, max_length=16, description="A region code (ISO 3166-2).")
]
