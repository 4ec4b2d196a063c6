"""The import log, the quarantine and the changes: what each import read, added, changed and rejected.

Every import, good or failed, leaves one row in `imports`. Each problem it found leaves one row in
`quarantine` with its file, row, column and reason, and the row's cells as JSON (`raw`), and each stored
row it changed one row in `import_changes` (changes.py), so a user can read what was rejected or changed
and why long after the command's output is gone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from partnerscore.errors import BadRow
from partnerscore.ingest import changes
from partnerscore.ingest.changes import RowChange
from partnerscore.ingest.readers import ROW, Dataset
from partnerscore.ingest.store import Store, connected

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from partnerscore.ingest.importer import ImportReport


@dataclass(frozen=True)
class ImportRecord:
    """One line of the import log.

    `rows_added` counts new rows and `rows_changed` stored rows replaced or given a new version; both
    per table in `counts` (`{"usage": {"read": 170, "added": 0, "changed": 2}, …}`). An import made
    before partnerscore told the two apart has `rows_changed` None (its `rows_added` counts both) and
    no `counts`.
    """

    import_id: str
    source: str
    imported_at: datetime
    files: list[str]
    rows_read: int
    rows_added: int
    rows_changed: int | None
    rows_rejected: int
    status: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def list_imports(db: Store) -> list[ImportRecord]:
    """Every import recorded in the store, oldest first.

    Args:
        db: the store's file path, or an open connection.
    """
    with connected(db, create=False) as con:
        rows = con.sql("SELECT import_id, source, imported_at, files, rows_read, rows_added, rows_changed, "
                       "rows_rejected, status, counts FROM imports ORDER BY imported_at, rowid").fetchall()
    return [ImportRecord(i, s, at, json.loads(f), r, a, c, x, st, json.loads(n) if n else {})
            for i, s, at, f, r, a, c, x, st, n in rows]


def list_changes(db: Store, import_id: str, table: str | None = None, *, limit: int | None = None,
                 offset: int = 0) -> list[RowChange]:
    """The stored rows the import `import_id` changed, tables in contract order and rows in key order.

    Args:
        db: the store's file path, or an open connection.
        import_id: an id from `list_imports` or an `ImportReport`.
        table: only this table's changes.
        limit: at most this many (None: all from `offset` on).
        offset: skip this many first.

    Returns:
        Each change with its key and, before and after, the columns that changed.
    """
    with connected(db, create=False) as con:
        return changes.read_changes(con, import_id, table, limit=limit, offset=offset)


def list_quarantine(db: Store, import_id: str | None = None, *, limit: int | None = None,
                    offset: int = 0) -> list[BadRow]:
    """The problems that imports rejected: those of `import_id`, or of every import when None.

    Only the page asked for is read from the store, so an import that rejected millions of rows can be
    listed a page at a time.

    Args:
        db: the store's file path, or an open connection.
        import_id: an id from `list_imports` or an `ImportReport`.
        limit: at most this many (None: all from `offset` on).
        offset: skip this many first.

    Returns:
        The problems in import order, each import's by file and row (and, within a row, in the order
        validation found them: column by column).
    """
    return [bad for _, bad in quarantined(db, import_id, limit=limit, offset=offset)]


def quarantined(db: Store, import_id: str | None = None, *, limit: int | None = None,
                offset: int = 0) -> list[tuple[str, BadRow]]:
    """`list_quarantine`, each problem with the id of the import that rejected it."""
    where, params = ("WHERE q.import_id = ?", [import_id]) if import_id else ("", [])
    page = f" LIMIT {int(limit)}" if limit is not None else ""
    with connected(db, create=False) as con:
        rows = con.execute(f"""
            SELECT q.import_id, q.file, q.row, q.column_name, q.reason FROM quarantine q
            LEFT JOIN imports i USING (import_id) {where}
            ORDER BY i.imported_at, i.rowid, q.file, q.row, q.rowid{page} OFFSET {int(offset)}""",
                           params).fetchall()
    return [(i, BadRow(file, row, column, reason)) for i, file, row, column, reason in rows]


def count_quarantine(db: Store, import_id: str | None = None) -> int:
    """How many problems the import `import_id` (or every import, when None) rejected."""
    where, params = ("WHERE import_id = ?", [import_id]) if import_id else ("", [])
    with connected(db, create=False) as con:
        return con.execute(f"SELECT count(*) FROM quarantine {where}", params).fetchall()[0][0]


def count_changes(db: Store, import_id: str, table: str | None = None) -> int:
    """How many stored rows the import `import_id` changed (in `table`, or in every table)."""
    with connected(db, create=False) as con:
        return changes.count_changes(con, import_id, table)


def record_import(con: duckdb.DuckDBPyConnection, report: ImportReport, dataset: Dataset) -> None:
    """Write the report's `imports` row and one `quarantine` row per rejected problem, in bulk."""
    rejected = report.rejected
    counts = {t: {"read": report.rows_read.get(t, 0), "added": report.rows_added.get(t, 0),
                  "changed": report.rows_changed.get(t, 0)} for t in report.tables}
    con.execute("INSERT INTO imports (import_id, source, imported_at, files, rows_read, rows_added, rows_changed, "
                "rows_rejected, status, counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                    report.import_id, report.source, report.imported_at, json.dumps(report.files),
                    sum(report.rows_read.values()), sum(report.rows_added.values()),
                    sum(report.rows_changed.values()), report.rows_rejected, report.status, json.dumps(counts)])
    raws = _raw_cells(dataset, rejected)
    quarantine = pa.table({
        "import_id": pa.array([report.import_id] * len(rejected), pa.string()),
        "file": pa.array([b.file for b in rejected], pa.string()),
        "row": pa.array([b.row for b in rejected], pa.int64()),
        "column_name": pa.array([b.column for b in rejected], pa.string()),
        "reason": pa.array([b.reason for b in rejected], pa.string()),
        "raw": pa.array([raws.get((b.file, b.row)) for b in rejected], pa.string()),
    })
    con.register("ps_quarantine", quarantine)
    try:
        con.execute("INSERT INTO quarantine SELECT * FROM ps_quarantine")
    finally:
        con.unregister("ps_quarantine")


def _raw_cells(dataset: Dataset, rejected: list[BadRow]) -> dict[tuple[str, int], str]:
    """The cells of each rejected row as a JSON object, keyed by (file, row); only bad rows are read."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for bad in rejected:
        if bad.row > 0:
            wanted[bad.file].add(bad.row)
    cells = {}
    files = [(raw.file, raw.data) for raw in dataset.tables.values()] + list(dataset.sources.items())
    for file, data in files:
        if file not in wanted:
            continue
        rows = data.filter(pc.is_in(data[ROW], pa.array(sorted(wanted[file]), pa.int64())))
        for record in rows.to_pylist():
            number = record.pop(ROW)
            cells[file, number] = json.dumps(record, ensure_ascii=False)
    return cells
