"""Presentation of an import's report line (`partnerscore import`) and of the import log (`partnerscore imports`).

JSON keeps `files` a list; CSV shows it as one comma-separated cell, the table as a comma-separated
list one file a line. The table stacks the three row counts in one column and the time under the date,
so that the import ID and every file name keep their full width at 120 characters; only a long source
path folds.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from partnerscore.cli import render
from partnerscore.cli.options import Format
from partnerscore.ingest.importer import ImportReport
from partnerscore.ingest.quarantine import ImportRecord
from partnerscore.ingest.tables import REQUIRED_TABLES

IMPORT_COLUMNS = ("import_id", "source", "imported_at", "files", "rows_read", "rows_added", "rows_rejected", "status")


def imported(report: ImportReport) -> None:
    """The one report line of an import (stderr): its id, status and rows added per table.

    An update that brought only some tables names the tables read and counts only those; the line
    of a complete data set lists every table.
    """
    partial = any(t not in report.tables for t in REQUIRED_TABLES)
    read = f"tables read: {', '.join(report.tables)} (the others are kept as stored); " if partial else ""
    added = ", ".join(f"{t} {n}" for t, n in report.rows_added.items() if not partial or t in report.tables)
    render.info(f"import {report.import_id}: {report.status}; {read}rows added: {added}")


def import_rows(records: Sequence[ImportRecord]) -> list[dict]:
    """One flat row per import: `files` as a comma-separated list (CSV form)."""
    return [{**vars(r), "files": ", ".join(r.files)} for r in records]


def imports(records: Sequence[ImportRecord], fmt: Format) -> None:
    """The import log as JSON (files a list), CSV, or a table."""
    if fmt is Format.json:
        render.write_json([vars(r) for r in records])
        return
    if fmt is Format.csv:
        render.write_rows(import_rows(records), fmt, "imports", IMPORT_COLUMNS)
        return
    table = Table(title="imports", title_justify="left")
    table.add_column("import", no_wrap=True)
    table.add_column("imported at", no_wrap=True)
    table.add_column("source", overflow="fold")
    table.add_column("files", no_wrap=True)
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for r in records:
        table.add_row(r.import_id, r.imported_at.strftime("%Y-%m-%d\n%H:%M:%S"), r.source, ",\n".join(r.files),
                      f"{r.rows_read} read\n{r.rows_added} added\n{r.rows_rejected} rejected", r.status)
    render.out.print(table)
