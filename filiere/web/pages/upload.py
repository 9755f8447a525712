"""Import (``/import``, editor role): upload a workbook, a zip of CSVs or a JSON file,
read and checked by the same code as ``POST /datasets``; a refused dataset lists every
``fichier:ligne`` error and the store is left as it was."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Any

from fastapi import File, Form, Request, Response, UploadFile

from filiere.api.deps import StoreDep
from filiere.api.guard import run_held
from filiere.api.routers.datasets import _ingest
from filiere.errors import DatasetError
from filiere.i18n import ngettext
from filiere.web import IMPORT_PATH
from filiere.web.auth import MAX_TOKEN, Editor, check_csrf
from filiere.web.render import page_router, render

router = page_router()

#: Issues listed on the page (the count says how many more there are).
SHOWN_ISSUES = 200


@router.get(IMPORT_PATH)
async def import_page(request: Request, viewer: Editor) -> Response:
    """The upload form."""
    return render(request, "import.html", {"report": None, "issues": [], "total": 0})


@router.post(IMPORT_PATH)
async def import_dataset(
    request: Request,
    store: StoreDep,
    viewer: Editor,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
    source: Annotated[str, Form(max_length=200)] = "",
    check: Annotated[bool, Form()] = False,
) -> Response:
    """Check and load the uploaded dataset, all or nothing."""
    check_csrf(viewer.csrf, csrf)
    filename = PurePosixPath(file.filename or "upload").name or "upload"
    data = await file.read()
    name = source.strip() or PurePosixPath(filename).stem or "upload"
    context: dict[str, Any] = {"report": None, "issues": [], "total": 0, "filename": filename}
    try:
        report = await run_held(request.scope, _ingest, store, filename, data, name, False, check)
    except DatasetError as e:
        issues = sorted(e.issues)
        context |= {"issues": issues[:SHOWN_ISSUES], "total": len(issues)}
        context["headline"] = ngettext(
            "dataset refused: {n} error; nothing was written",
            "dataset refused: {n} errors; nothing was written",
            len(issues),
        ).format(n=len(issues))
        return render(request, "import.html", context, status=422)
    context["report"] = report
    return render(request, "import.html", context)
