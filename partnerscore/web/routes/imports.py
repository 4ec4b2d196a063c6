"""Import a data set (CSV or Parquet files, or one zip of them) with the CLI's validation and quarantine.

Only an admin imports. A bad data set is refused whole (422, every bad row in `details.bad_rows`) and
nothing is written to the ledger; the failed import and its rows stay readable in the import log. A file
named after no table of the contract is refused too (422 `unknown_file`). What an import rejected and
what it changed are read back a page at a time (`limit` up to MAX_PAGE, `offset`).
"""

from __future__ import annotations

import tempfile
import zipfile
from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, BinaryIO

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from partnerscore.ingest.headers import unknown_files
from partnerscore.ingest.tables import CONTRACT
from partnerscore.web import schemas as s, views
from partnerscore.web.data import DataService
from partnerscore.web.deps import AdminUser, DbDep
from partnerscore.limits import IMPORT_PAGE, IMPORT_PAGE_DEFAULT, PAGE_OFFSET
from partnerscore.web.errors import ApiError, bad_row
from partnerscore.web.routes import ERRORS

router = APIRouter(prefix="/api", tags=["imports"], responses=ERRORS)

TABLE_SUFFIXES = (".csv", ".parquet")
MAX_UPLOAD_BYTES = 1 << 30
MAX_UNPACKED_BYTES = 4 << 30
PAGE, MAX_PAGE, MAX_OFFSET = IMPORT_PAGE_DEFAULT, IMPORT_PAGE.high, PAGE_OFFSET.high  # `partnerscore.limits`

#: The contract's tables, as a query parameter's choices.
TableName = StrEnum("TableName", {table: table for table in CONTRACT})


def _name(filename: str | None) -> str:
    """The bare file name of an upload or zip member (no folders, whichever separator)."""
    return PureWindowsPath(PurePosixPath(filename or "").name).name


def _copy(source: BinaryIO, target: Path, budget: list[int]) -> None:
    with target.open("wb") as out:
        while chunk := source.read(1 << 20):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise ApiError(413, f"the data set unpacks to more than {MAX_UNPACKED_BYTES >> 30} GiB")
            out.write(chunk)


def stage(uploads: list[tuple[str, BinaryIO]], folder: Path) -> list[str]:
    """Write the uploaded tables (zips unpacked, folders flattened) into `folder`; returns the file names."""
    written: list[str] = []
    budget = [MAX_UNPACKED_BYTES]

    def put(name: str, source: BinaryIO) -> None:
        if name.lower() in (w.lower() for w in written):
            raise ApiError(400, f"{name} is given twice; send each table once")
        _copy(source, folder / name, budget)
        written.append(name)

    for filename, source in uploads:
        name = _name(filename)
        if name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(source) as archive:
                    for member in archive.infolist():
                        inner = _name(member.filename)
                        if member.is_dir() or inner.startswith(".") or "__MACOSX" in member.filename:
                            continue
                        if inner.lower().endswith(TABLE_SUFFIXES):
                            with archive.open(member) as data:
                                put(inner, data)
            except zipfile.BadZipFile as exc:
                raise ApiError(400, f"{name} is not a readable zip file: {exc}") from exc
        elif name.lower().endswith(TABLE_SUFFIXES):
            put(name, source)
        else:
            raise ApiError(415, f"{name or 'a file'} is not a .csv, .parquet or .zip file; "
                           "upload the data contract's tables (e.g. customers.csv) or a zip of them")
    if not written:
        raise ApiError(400, "the upload holds no .csv or .parquet file")
    return written


def refuse_unknown_files(names: list[str]) -> None:
    """422 naming every uploaded data file that is no table of the contract: an upload is all meant to be
    imported, so a file the import would not read is a mistake (the command line only warns)."""
    unknown = unknown_files(names)
    if not unknown:
        return
    tables = ", ".join(CONTRACT)
    messages = [f"{name} is not a table of the data contract: did you mean {guess}?" if guess else
                f"{name} is not a table of the data contract ({tables}); rename it after its table or leave it out"
                for name, guess in unknown.items()]
    raise ApiError(422, "; ".join(messages) + "; nothing was imported", code="unknown_file",
                   details={"files": [{"file": name, "did_you_mean": guess} for name, guess in unknown.items()]})


def import_uploads(db: DataService, uploads: list[tuple[str, BinaryIO]], skip_bad_rows: bool):
    """Stage the uploads in a temporary folder and import it (raises ImportFailed on bad rows)."""
    with tempfile.TemporaryDirectory(prefix="partnerscore-upload-") as tmp:
        folder = Path(tmp) / "upload"
        folder.mkdir()
        refuse_unknown_files(stage(uploads, folder))
        return db.import_folder(folder, skip_bad_rows)


def check_size(request: Request) -> None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_UPLOAD_BYTES:
        raise ApiError(413, f"the upload is larger than {MAX_UPLOAD_BYTES >> 30} GiB")


@router.post("/imports", response_model=s.ImportPublic, status_code=201)
async def create_import(
    request: Request, user: AdminUser, db: DbDep,
    files: Annotated[list[UploadFile], File(description="The data set's CSV/Parquet files, or one zip.")],
    skip_bad_rows: Annotated[bool, Form(description="Import the good rows and quarantine the bad.")] = False,
):
    """Import a data set (admin only). Bad rows give 422 with each `file:row column: reason`."""
    check_size(request)
    uploads = [(f.filename, f.file) for f in files]
    report = await run_in_threadpool(import_uploads, db, uploads, skip_bad_rows)
    return views.import_report(report)


@router.get("/imports", response_model=s.ImportsPublic)
async def list_imports(user: AdminUser, db: DbDep):
    """The import log, oldest first (admin only)."""
    records = await run_in_threadpool(db.imports)
    return {"data": [vars(r) for r in records], "count": len(records)}


async def _known_import(db: DataService, import_id: str) -> None:
    records = await run_in_threadpool(db.imports)
    if import_id not in {r.import_id for r in records}:
        raise ApiError(404, f"no import {import_id}; GET /api/imports lists them")


@router.get("/imports/{import_id}/quarantine", response_model=s.QuarantinePublic)
async def read_quarantine(
    import_id: str, user: AdminUser, db: DbDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Rows per page, at most {MAX_PAGE}.")] = PAGE,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
):
    """One page of the rows an import rejected, by file and row, each with its column and reason (admin
    only); `count` is the number of rows in all pages."""
    await _known_import(db, import_id)
    rows, count = await run_in_threadpool(db.quarantine, import_id, limit, offset)
    return {"import_id": import_id, "data": [bad_row(b) for b in rows], "count": count, "limit": limit,
            "offset": offset}


@router.get("/imports/{import_id}/changes", response_model=s.ChangesPublic)
async def read_changes(
    import_id: str, user: AdminUser, db: DbDep,
    table: Annotated[TableName | None, Query(description="Only this table's changed rows.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Rows per page, at most {MAX_PAGE}.")] = PAGE,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
):
    """One page of the stored rows an import changed, table by table in key order, each with the columns
    that changed, before and after (admin only); `count` is the number of rows in all pages."""
    await _known_import(db, import_id)
    name = table.value if table else None
    rows, count = await run_in_threadpool(db.changes, import_id, name, limit, offset)
    return {"import_id": import_id, "data": [c.to_json() for c in rows], "count": count, "limit": limit,
            "offset": offset}
