"""Import a data set into the local store, all or nothing.

`import_dataset` reads a data-set folder, validates it against the contract and the store, and writes
the good rows to the canonical tables in ONE transaction, together with its line in the import log
(`imports`) and its rejected rows (`quarantine`). Any exception inside the transaction rolls everything
back, so a crash mid-import leaves the store as it was.

When rows are bad and `skip_bad_rows` is false, the canonical tables are left unchanged and
`ImportFailed` is raised with every problem. So that the user can still read what was wrong, a second,
separate transaction then records the failed import: an `imports` row with status `failed` and its
problems in `quarantine`. Nothing else is written.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from partnerscore.errors import BadRow, DatasetError, ImportFailed
from partnerscore.ingest import write
from partnerscore.ingest.changes import RowChange, read_changes
from partnerscore.ingest.partner_center import read_downloads
from partnerscore.ingest.quarantine import record_import
from partnerscore.ingest.readers import Dataset, read_dataset
from partnerscore.ingest.store import Store, connected
from partnerscore.ingest.tables import CONTRACT, MEASURES
from partnerscore.ingest.validate import Validation, drop_work_tables, validate

#: `progress(step, done, total)`: step is "read", "validate" or "write"; done/total count tables.
Progress = Callable[[str, int, int], None]

#: What a folder holds -> the reader that makes a data set of it: the contract's own tables, or the
#: Partner Center Insights downloads (translated into the contract's tables, see partner_center.py).
SOURCES: dict[str, Callable[..., Dataset]] = {"contract": read_dataset, "partner-center": read_downloads}


#: How many changed rows of each table the report itself lists (all are in the store: `list_changes`).
CHANGES_LISTED = 20


@dataclass
class ImportReport:
    """What one import read, added, changed and rejected.

    `status` is `ok` (nothing rejected), `partial` (bad rows skipped and quarantined) or `failed`
    (nothing imported). `rows_added` counts rows whose key the store did not hold (new partners, usage
    facts, associations); `rows_changed` counts stored rows the import replaced with other content, and
    new versions of stored associations. A re-import of the same data set reports 0 and 0 for every
    table. `changes` lists the first `CHANGES_LISTED` changed rows of each table, with the columns that
    changed; `list_changes(db, import_id)` reads them all. `tables` are the contract tables the data
    set held, in contract order: an update of a store may bring only some (the others stay as stored).
    """

    import_id: str
    source: str
    imported_at: datetime
    files: list[str]
    rows_read: dict[str, int]
    tables: list[str] = field(default_factory=lambda: list(CONTRACT))
    rows_added: dict[str, int] = field(default_factory=dict)
    rows_changed: dict[str, int] = field(default_factory=dict)
    changes: dict[str, list[RowChange]] = field(default_factory=dict)
    rejected: list[BadRow] = field(default_factory=list)
    warnings: list[BadRow] = field(default_factory=list)
    status: str = "ok"
    rows_rejected: int = 0

    @property
    def changed_nothing(self) -> bool:
        """Whether the import left every stored row as it was (a re-import of the same data, say)."""
        return not any(self.rows_added.values()) and not any(self.rows_changed.values())

    def to_json(self) -> dict:
        """The report as the JSON the command line and the web app give (`changes` as listed here)."""
        return {"import_id": self.import_id, "status": self.status, "imported_at": self.imported_at.isoformat(),
                "source": self.source, "files": self.files, "tables": self.tables, "rows_read": self.rows_read,
                "rows_added": self.rows_added, "rows_changed": self.rows_changed,
                "rows_rejected": self.rows_rejected, "changed_nothing": self.changed_nothing,
                "changes": {t: [c.to_json() for c in rows] for t, rows in self.changes.items()},
                "rejected": [_bad_json(b) for b in self.rejected], "warnings": [_bad_json(b) for b in self.warnings]}


def _bad_json(bad: BadRow) -> dict:
    return {"file": bad.file, "row": bad.row, "column": bad.column, "reason": bad.reason, "message": str(bad)}


def import_dataset(path: Path | str, db: Store, *, skip_bad_rows: bool = False,
                   progress: Progress | None = None, now: datetime | None = None,
                   source: str = "contract") -> ImportReport:
    """Import the data-set folder `path` into the store `db`.

    Args:
        path: a folder holding `<table>.csv` or `<table>.parquet` per contract table (into a store
            that already holds an import, only some tables: an update), or (with
            `source="partner-center"`) Partner Center Insights download files.
        db: the store's file path (created if missing) or an open connection not inside a transaction.
        skip_bad_rows: import the good rows and quarantine the bad ones, instead of failing.
        progress: optional callback `progress(step, done, total)` for a progress bar.
        now: the import time (UTC, naive) stored as `imported_at`; defaults to the clock.
        source: what `path` holds: `contract` (the data contract's tables) or `partner-center`.

    Returns:
        The report: rows read, added and rejected per table, warnings, and the import id.

    Raises:
        DatasetError: `path` is not a folder, or a Partner Center file is not a known download.
        ImportFailed: some rows are bad and `skip_bad_rows` is false, or a first import lacks a required
            table; nothing was imported.
    """
    now = _utc_naive(now)
    dataset = read_source(path, source, progress)
    report = ImportReport(
        import_id=f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}", source=str(Path(path).resolve()),
        imported_at=now, files=dataset.files, rows_read=_rows_read(dataset), tables=list(dataset.tables))
    with connected(db) as con:
        con.begin()
        try:
            validation = validate(dataset, con, progress)
            report.rejected, report.warnings = validation.rejected, validation.warnings
            report.rows_rejected = sum(report.rows_read.values()) - sum(validation.good_rows.values())
            failed = bool(report.rejected) and not skip_bad_rows
            if failed:
                con.rollback()
            else:
                report.rows_added, report.rows_changed = _write(con, report, dataset, progress)
                report.changes = {t: read_changes(con, report.import_id, t, limit=CHANGES_LISTED)
                                  for t, n in report.rows_changed.items() if n}
                report.status = "partial" if report.rejected else "ok"
                record_import(con, report, dataset)
                drop_work_tables(con)
                con.commit()
        except BaseException:
            _abort(con)
            raise
        if failed:
            drop_work_tables(con)
            report.status = "failed"
            report.rows_added, report.rows_changed = dict.fromkeys(CONTRACT, 0), dict.fromkeys(CONTRACT, 0)
            _record_failure(con, report, dataset)
            raise ImportFailed(report.rejected, report.import_id, report)
    return report


def check_dataset(path: Path | str, db: Store | None = None, source: str = "contract") -> Validation:
    """Validate the data-set folder `path` without importing it.

    Args:
        path: the data-set folder.
        db: an existing store whose ids the data set may refer to; None checks the data set alone.
        source: what `path` holds: `contract` or `partner-center` (see `import_dataset`).

    Returns:
        The problems an import would reject, and the unknown-workload warnings.
    """
    dataset = read_source(path, source)
    with connected(db if db is not None else ":memory:", create=False) as con:
        con.begin()
        try:
            return validate(dataset, con)
        finally:
            con.rollback()
            drop_work_tables(con)


def read_source(path: Path | str, source: str, progress: Progress | None = None) -> Dataset:
    """Read the folder `path` as a data set, with the reader of `source` (a key of `SOURCES`)."""
    if source not in SOURCES:
        raise DatasetError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    return SOURCES[source](path, progress)


def _utc_naive(now: datetime | None) -> datetime:
    """The import time as naive UTC, the way the TIMESTAMP columns store it."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


def _rows_read(dataset: Dataset) -> dict[str, int]:
    """Rows read per table, counting lines that could not be parsed."""
    read = dict.fromkeys(CONTRACT, 0)
    for table, raw in dataset.tables.items():
        read[table] = raw.data.num_rows + sum(1 for p in raw.problems if p.row > 0)
    return read


def _write(con: duckdb.DuckDBPyConnection, report: ImportReport, dataset: Dataset,
           progress: Progress | None) -> tuple[dict[str, int], dict[str, int]]:
    """Write every table's good rows, in contract order; return rows added and rows changed per table.

    A measure column the data set does not carry (a usage file without `revenue_usd`, a DynamicsUsage
    download without the seats report's revenue) keeps the stored values of the rows it replaces.
    """
    added, changed = {}, {}
    write.assign_keys(con)
    for done, table in enumerate(CONTRACT, start=1):
        raw = dataset.tables.get(table)
        kept = set(MEASURES.get(table, ())) - raw.carried_measures if raw else set()
        if table == "associations":
            added[table], changed[table] = write.append_versions(con, report.import_id, report.imported_at)
        else:
            added[table], changed[table] = write.upsert(con, table, report.import_id, kept)
        if progress:
            progress("write", done, len(CONTRACT))
    return added, changed


def _abort(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the import's transaction (if still open) and drop its work tables."""
    try:
        con.rollback()
    except duckdb.TransactionException:  # a failed COMMIT has already rolled back
        pass
    drop_work_tables(con)


def _record_failure(con: duckdb.DuckDBPyConnection, report: ImportReport, dataset: Dataset) -> None:
    """Record a failed import and its problems, in a transaction of its own."""
    con.begin()
    try:
        record_import(con, report, dataset)
        con.commit()
    except BaseException:
        con.rollback()
        raise
