"""Quarterly seizure statistics: ``POST /submissions`` (a file, multipart), the submission log, the export."""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from iprisk.accounts import Grant
from iprisk.errors import InvalidInput, InvalidValue, IpriskError
from iprisk.node import Node
from iprisk.node.submissions import submit_file
from iprisk.web.auth import get_node, require

router = APIRouter(tags=["submissions"])
NodeDep = Annotated[Node, Depends(get_node)]

_UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".json", ".parquet")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_CHUNK = 1 << 20


class SubmissionOut(BaseModel):
    status: str
    submission_id: int
    version: int
    rows: int
    content_hash: str
    admin: str
    quarter: str
    source: str
    submitted_at: datetime
    superseded_id: int | None


class LogRow(BaseModel):
    submission_id: int
    reporting_admin: str
    quarter: str
    version: int
    status: str
    rows: int
    content_hash: str
    submitted_by: str | None
    submitted_at: datetime | None
    superseded_at: datetime | None
    source: str | None


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


def _upload_name(upload: UploadFile) -> str:
    """The client's file name as a safe base name (problem rows name it); refused if not a data file."""
    name = _SAFE_NAME.sub("_", Path(upload.filename or "upload.csv").name).lstrip(".") or "upload.csv"
    if not name.lower().endswith(_UPLOAD_SUFFIXES):
        raise InvalidValue(f"file {name!r}: expected one of {', '.join(_UPLOAD_SUFFIXES)}")
    return name


@router.post(
    "/submissions", response_model=SubmissionOut, status_code=201, summary="Submit quarterly statistics"
)
def submit(
    grant: Annotated[Grant, require("submissions.create")],
    node: NodeDep,
    file: Annotated[UploadFile, File(description="Seizure statistics: CSV, XLSX, JSON or Parquet.")],
    admin: Annotated[str | None, Form(max_length=8, description="Reporting administration.")] = None,
    quarter: Annotated[str | None, Form(max_length=8, description="Quarter, YYYYQn.")] = None,
    mapping: Annotated[str | None, Form(max_length=64, description="A shipped column mapping.")] = None,
) -> SubmissionOut:
    """Validated with the same rules as ``iprisk submit``: 422 with every problem row, nothing stored."""
    from iprisk.formats.mapping import shipped_mappings

    if mapping is not None and mapping not in shipped_mappings():
        raise InvalidValue(f"mapping {mapping!r}: one of {', '.join(shipped_mappings()) or 'none'}")
    name = _upload_name(file)
    with tempfile.TemporaryDirectory(prefix="iprisk-upload-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            while chunk := file.file.read(_CHUNK):
                out.write(chunk)
        try:
            result = submit_file(
                node, path, user=grant.principal.name, admin=admin, quarter=quarter, mapping=mapping,
                check_admin=grant.check_administration,
            )  # fmt: skip
        except IpriskError as exc:
            raise _as_uploaded(exc, str(path), name) from None
    return SubmissionOut(**{k: getattr(result, k) for k in SubmissionOut.model_fields})


def _as_uploaded(exc: IpriskError, temporary: str, name: str) -> IpriskError:
    """The error naming the client's file, not the server's temporary copy (no internal path leaks)."""
    exc.args = tuple(a.replace(temporary, name) if isinstance(a, str) else a for a in exc.args)
    if isinstance(exc, InvalidInput):
        exc.source = name
        exc.problems = [replace(p, file=name) if p.file == temporary else p for p in exc.problems]
    return exc


def _clean(value: Any) -> Any:
    """pandas' missing values (NaN, NaT) as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return None if str(value) == "NaT" else value


@router.get("/submissions", response_model=list[LogRow], summary="The submission log, every version")
def submission_log(
    grant: Annotated[Grant, require("submissions.read")],
    node: NodeDep,
    admin: Annotated[str | None, Query(max_length=8)] = None,
    quarter: Annotated[str | None, Query(max_length=8)] = None,
) -> list[LogRow]:
    from iprisk.warehouse import Warehouse

    with Warehouse.open(node.settings.warehouse) as wh:
        frame = wh.submissions(admin=admin, quarter=quarter)
    return [LogRow(**{str(k): _clean(v) for k, v in rec.items()}) for rec in frame.to_dict(orient="records")]


@router.get(
    "/submissions/export", summary="The current seizure lines, as a file", response_class=FileResponse
)
def export(
    grant: Annotated[Grant, require("submissions.export")],
    node: NodeDep,
    background: BackgroundTasks,
    format: Annotated[ExportFormat, Query(description="File format.")] = ExportFormat.csv,
    admin: Annotated[str | None, Query(max_length=8)] = None,
    quarter: Annotated[str | None, Query(max_length=8)] = None,
    as_of: Annotated[str | None, Query(max_length=40, description="ISO 8601 instant.")] = None,
) -> FileResponse:
    """The same file as ``iprisk export seizures``: the current version of every matching submission."""
    from iprisk.warehouse import Warehouse, export_seizures, parse_timestamp

    if as_of is not None:
        try:
            parse_timestamp(as_of)
        except ValueError as exc:
            raise InvalidValue(f"as_of: {exc}") from None
    folder = Path(tempfile.mkdtemp(prefix="iprisk-export-"))
    path = folder / f"seizures.{format.value}"
    try:
        with Warehouse.open(node.settings.warehouse) as wh:
            export_seizures(wh, path, admin=admin, quarter=quarter, as_of=as_of)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    background.add_task(shutil.rmtree, folder, ignore_errors=True)  # once the file is sent
    return FileResponse(path, filename=path.name)
