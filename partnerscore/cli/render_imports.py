"""Presentation of an import's report (`partnerscore import`), of the import log and of what an import
changed (`partnerscore imports`, `imports --changes ID`).

The report line says what the import added and what it changed, apart; the first changed rows of each
table follow it, each with its key and the columns that changed, before → after. JSON keeps `files` a list
and gives every change; CSV shows `files` as one comma-separated cell. The log table stacks the row counts
in one column and the time under the date, so that the import ID and every file name keep their full width
at 120 characters; only a long source path folds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.table import Table

from partnerscore.cli import render
from partnerscore.cli.options import Format
from partnerscore.ingest.changes import RowChange
from partnerscore.ingest.importer import ImportReport
from partnerscore.ingest.quarantine import ImportRecord
from partnerscore.ingest.tables import REQUIRED_TABLES

IMPORT_COLUMNS = ("import_id", "source", "imported_at", "files", "rows_read", "rows_added", "rows_changed",
                  "rows_rejected", "status")
CHANGE_COLUMNS = ("table", "key", "columns", "before", "after")


def imported(report: ImportReport, changes: Sequence[RowChange], fmt: Format) -> None:
    """An import's report: its line (stderr) and, as `fmt` asks, its changed rows.

    The table format lists the report's first changed rows of each table under the line (stderr, with
    the command that lists them all); JSON prints the whole report with every change in `changes` (all
    of them, read back from the store); CSV prints every change, one row each.
    """
    render.info(report_line(report))
    if fmt is Format.json:
        document = report.to_json()
        document["changes"] = {t: [c.to_json() for c in changes if c.table == t] for t in report.changes}
        render.write_json(document)
    elif fmt is Format.csv:
        render.write_rows(change_rows(changes), fmt, "changes", CHANGE_COLUMNS)
    else:
        for table, listed in report.changes.items():
            render.info("\n".join(f"  changed {c}" for c in listed))
            more = report.rows_changed[table] - len(listed)
            if more:
                render.info(f"  … and {more} more changed {table} rows: partnerscore imports --changes "
                            f"{report.import_id} --table {table} lists them all")


def report_line(report: ImportReport) -> str:
    """The one line that sums an import up: id, status, rows added and rows changed per table.

    An update that brought only some tables names the tables read and counts only those; the line of a
    complete data set lists every table's rows added, and the tables where rows changed.
    """
    partial = any(t not in report.tables for t in REQUIRED_TABLES)
    read = f"tables read: {', '.join(report.tables)} (the others are kept as stored); " if partial else ""
    shown = [t for t in report.rows_added if not partial or t in report.tables]
    added = ", ".join(f"{t} {report.rows_added[t]}" for t in shown)
    changed = ", ".join(f"{t} {report.rows_changed[t]}" for t in shown if report.rows_changed.get(t)) or "none"
    status = f"{report.status}, nothing changed" if report.changed_nothing and report.status != "failed" else \
        report.status
    return f"import {report.import_id}: {status}; {read}rows added: {added}; rows changed: {changed}"


def change_rows(changes: Sequence[RowChange]) -> list[dict]:
    """One flat row per change: key, columns, before and after as JSON text (CSV and table form)."""
    return [{"table": c.table, "key": json.dumps(c.key, ensure_ascii=False), "columns": ", ".join(c.columns),
             "before": json.dumps(c.before, ensure_ascii=False), "after": json.dumps(c.after, ensure_ascii=False)}
            for c in changes]


def changes_of(import_id: str, changes: Sequence[RowChange], fmt: Format) -> None:
    """The rows an import changed: JSON (key, before and after as objects), CSV, or a table."""
    if fmt is Format.json:
        render.write_json([c.to_json() for c in changes])
        return
    if fmt is Format.csv:
        render.write_rows(change_rows(changes), fmt, "changes", CHANGE_COLUMNS)
        return
    table = Table(title=f"{len(changes)} changed rows of import {import_id}", title_justify="left")
    for column, wrap in (("table", False), ("key", True), ("changed", True)):
        table.add_column(column, no_wrap=not wrap, overflow="fold")
    for c in changes:
        key = ", ".join(f"{k} {v}" for k, v in c.key.items())
        moved = "\n".join(f"{col}: {_show(c.before.get(col))} → {_show(c.after.get(col))}" for col in c.columns)
        table.add_row(c.table, key, moved)
    render.out.print(table)


def _show(value: str | None) -> str:
    return "(empty)" if value is None else value


def import_rows(records: Sequence[ImportRecord]) -> list[dict]:
    """One flat row per import: `files` as a comma-separated list (CSV form)."""
    return [{**vars(r), "files": ", ".join(r.files)} for r in records]


def imports(records: Sequence[ImportRecord], fmt: Format) -> None:
    """The import log as JSON (files a list, per-table counts), CSV, or a table."""
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
        changed = "?" if r.rows_changed is None else r.rows_changed  # logged before changes were counted
        table.add_row(r.import_id, r.imported_at.strftime("%Y-%m-%d\n%H:%M:%S"), r.source, ",\n".join(r.files),
                      f"{r.rows_read} read\n{r.rows_added} added\n{changed} changed\n{r.rows_rejected} rejected",
                      r.status)
    render.out.print(table)
