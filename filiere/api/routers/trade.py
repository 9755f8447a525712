"""``/trade-deps``: HS6 products on which an importer depends (EC SWD(2021) 352 method).

The answer is the model ``filiere trade-deps --format json`` prints, field for field;
the facts come from ``filiere import baci``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from filiere.api.deps import AnalystKey, StoreDep
from filiere.api.problems import ApiProblem, Problem
from filiere.sources.baci import TradeSettings, importer_members
from filiere.sources.common import SourceError
from filiere.sources.trade import TradeDepsResult, trade_deps

router = APIRouter(tags=["analyses"])


@router.get(
    "/trade-deps",
    summary="Strategic trade dependencies of an importer",
    responses={404: {"model": Problem, "description": "No trade facts for this importer."}},
)
def get_trade_deps(
    store: StoreDep,
    _key: AnalystKey,
    importer: Annotated[
        str,
        Query(
            min_length=2,
            max_length=4,
            pattern="^[A-Za-z0-9-]+$",
            description="FR (an ISO alpha-2 code) or EU27.",
        ),
    ] = "FR",
    hhi: Annotated[float, Query(ge=0, le=1, description="Criterion 1: HHI above this.")] = 0.4,
    share: Annotated[
        float, Query(ge=0, le=1, description="Criterion 2: extra-EU share above this.")
    ] = 0.5,
    ratio: Annotated[
        float, Query(ge=0, description="Criterion 3: extra-EU imports / exports above this.")
    ] = 1.0,
    all: Annotated[bool, Query(description="Every product, not only dependent ones.")] = False,
    limit: Annotated[int, Query(ge=1, le=10000, description="At most this many products.")] = 500,
) -> TradeDepsResult:
    """Products ranked dependent first, then by extra-EU import value."""
    try:
        importer_members(importer)
    except SourceError as e:
        raise ApiProblem(422, "invalid-request", str(e)) from None
    try:
        return trade_deps(
            store,
            importer,
            settings=TradeSettings(hhi, share, ratio),
            dependent_only=not all,
            limit=limit,
        )
    except SourceError as e:
        raise ApiProblem(404, "not-found", str(e)) from None
