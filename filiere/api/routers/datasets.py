"""``POST /datasets``: upload a dataset (xlsx, zip of CSVs, JSON or one CSV) for ingestion.

The same reading and validation as ``filiere load``: a refused dataset is a 422
problem whose ``errors`` list every ``{file, line, message}``, and nothing is written.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import BaseModel, Field

from filiere.api.deps import EditorKey, StoreDep
from filiere.api.guard import run_held
from filiere.api.problems import ApiProblem, Problem
from filiere.api.security import Role
from filiere.graph.store import GraphStore
from filiere.i18n import _
from filiere.ingest.load import LoadReport, load_tables
from filiere.ingest.readers import read_upload

PATH = "/datasets"

router = APIRouter(tags=["datasets"])


class DatasetReport(BaseModel):
    """What an upload did: rows read per table, and nodes/relationships written."""

    source: str = Field(description="The provenance written on every node and relationship.")
    store_kind: str
    checked_only: bool = Field(description="True when the dataset was only validated.")
    replaced: bool
    rows: dict[str, int]
    created: dict[str, int] = Field(description="Created nodes by label, rels by type.")
    updated: dict[str, int] = Field(description="Updated nodes by label, rels by type.")


def _report(r: LoadReport) -> DatasetReport:
    return DatasetReport(
        source=r.source,
        store_kind=r.store_kind,
        checked_only=r.checked_only,
        replaced=r.replaced,
        rows=dict(r.rows),
        created=dict(r.summary.created) if r.summary else {},
        updated=dict(r.summary.updated) if r.summary else {},
    )


def _ingest(
    store: GraphStore, filename: str, data: bytes, source: str, replace: bool, check: bool
) -> LoadReport:
    tables = read_upload(filename, data)
    # Requests reading the served store never see a graph half-updated (see for_upload).
    target = store.for_upload()
    try:
        return load_tables(
            tables, target, source=source, replace=replace, check_only=check, progress=False
        )
    finally:
        if target is not store:
            target.close()


@router.post(
    PATH,
    status_code=201,
    summary="Upload a dataset",
    responses={
        200: {"model": DatasetReport, "description": "Checked only: nothing was written."},
        413: {"model": Problem, "description": "The file is too large."},
    },
)
async def upload_dataset(
    request: Request,
    store: StoreDep,
    key: EditorKey,
    response: Response,
    file: Annotated[UploadFile, File(description="The dataset: .xlsx, .zip of CSVs, .json, .csv.")],
    source: Annotated[
        str | None,
        Form(min_length=1, max_length=200, description="Provenance name (default: file stem)."),
    ] = None,
    check: Annotated[bool, Form(description="Validate only, write nothing.")] = False,
    replace: Annotated[
        bool, Form(description="Empty the store first, in the same write (admin role).")
    ] = False,
) -> DatasetReport:
    """Validate a dataset and load it into the store, all or nothing.

    A refused dataset answers 422 with every `{file, line, message}` in `errors`.
    """
    if replace and not check and not key.role.allows(Role.ADMIN):
        raise ApiProblem(403, "forbidden", _("replacing the whole store needs the admin role"))
    filename = PurePosixPath(file.filename or "upload").name or "upload"
    data = await file.read()
    name = source or PurePosixPath(filename).stem or "upload"
    report = await run_held(request.scope, _ingest, store, filename, data, name, replace, check)
    if report.checked_only:
        response.status_code = 200
    return _report(report)
