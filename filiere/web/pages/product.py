"""Produit (``/produits/{id}``): the risk tree, the layered graph, the dependency table
(CSV and xlsx downloads, as ``filiere deps --format csv`` writes it) and the mapping gaps."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import Path, Request, Response
from openpyxl import Workbook
from starlette.concurrency import run_in_threadpool

from filiere import queries, wording
from filiere.api.deps import StoreDep
from filiere.cli.analysis_cmds import deps_csv_rows
from filiere.cli.output import print_rows
from filiere.graph.store import GraphStore
from filiere.queries.models import AnalysisSettings, Dependency, DepsResult
from filiere.report.xlsx import Column, write_titled_sheet
from filiere.spreadsheet import protect_workbook
from filiere.viz import deps_view
from filiere.viz.data import supply_tree
from filiere.web.auth import Viewer
from filiere.web.common import analysis_settings, view_response
from filiere.web.render import page_router, render
from filiere.web.tree import risk_tree

router = page_router()

ProductId = Annotated[str, Path(min_length=1, max_length=200)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page_data(store: GraphStore, product: str, settings: AnalysisSettings) -> dict[str, Any]:
    result = queries.deps(store, product, settings)
    tree = supply_tree(store, product)
    rows = [
        {
            "dep": d,
            "name": d.name or d.item,
            "kind": wording.kind(d.kind),
            "why": wording.why(d),
            "paths": [" > ".join(p) for p in d.paths],
        }
        for d in result.dependencies
    ]
    return {
        "result": result,
        "root": risk_tree(tree, result),
        "rows": rows,
        "at_risk": sum(d.at_risk for d in result.dependencies),
        "size": len(tree.items),
    }


@router.get("/produits/{product}")
async def product_page(
    request: Request, store: StoreDep, viewer: Viewer, product: ProductId
) -> Response:
    """The product's risk tree, dependency table and gaps."""
    settings = analysis_settings(request)
    data = await run_in_threadpool(_page_data, store, product, settings)
    return render(request, "product.html", {**data, "product": product})


@router.get("/produits/{product}/graphe")
async def product_graph(
    request: Request, store: StoreDep, viewer: Viewer, product: ProductId
) -> Response:
    """The layered supply-tree view (``filiere viz deps``), shown in the product page's frame."""
    settings = analysis_settings(request)
    view = await run_in_threadpool(deps_view, store, product, settings)
    return view_response(view.html())


def deps_csv(result: DepsResult) -> str:
    """The dependency table as ``filiere deps --format csv`` prints it."""
    out = io.StringIO()
    print_rows(deps_csv_rows(result), list(Dependency.model_fields), "csv", out=out)
    return out.getvalue()


def deps_xlsx(result: DepsResult) -> bytes:
    """The same rows and columns as the CSV, in a workbook (no cell can run as a formula)."""
    columns = list(Dependency.model_fields)
    rows = deps_csv_rows(result)
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    write_titled_sheet(
        wb,
        "deps",
        [Column(c) for c in columns],
        [[_flat(r.get(c)) for c in columns] for r in rows],
    )
    protect_workbook(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _flat(value: Any) -> Any:
    if isinstance(value, dict | list):
        return str(value)
    return value


@router.get("/produits/{product}/dependances.{fmt}")
async def product_download(
    request: Request,
    store: StoreDep,
    viewer: Viewer,
    product: ProductId,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")],
) -> Response:
    """The dependency table as CSV or xlsx (the file name says the product)."""
    settings = analysis_settings(request)
    result = await run_in_threadpool(queries.deps, store, product, settings)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in product)[:80]
    disposition = f'attachment; filename="deps-{safe}.{fmt}"'
    if fmt == "csv":
        return Response(
            deps_csv(result).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": disposition},
        )
    data = await run_in_threadpool(deps_xlsx, result)
    return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})
