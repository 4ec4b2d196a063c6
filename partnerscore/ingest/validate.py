"""Validate a data set against the data contract and against the ids the store already holds.

Each check is one SQL query over a whole table, run by DuckDB, that returns only the bad cells
(`_row`, column, reason); Python then turns those few rows into `BadRow`s. A data set of millions of
usage rows is therefore checked column by column, never cell by cell in Python.

Tables are checked in contract order (partners, customers, subscriptions, associations, usage,
certifications), so that a reference is checked against the rows already found good: an id that only
appears in a rejected row is reported as such ("names a rejected row (subscriptions.csv:3)"), not as
unknown. So the problems listed are exactly the rows that `--skip-bad-rows` would leave out. The good
rows of each table are left in the temporary table `ps_good_<table>` for the importer;
`drop_work_tables` removes them.

A data set going into a store that holds no import yet must have every table the contract requires.
Once the store holds one, a data set may bring only some tables (an update, such as a `partners.csv`
adding the account structure): the tables present are checked, and their references resolve against
the store's rows as well as the data set's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from partnerscore.errors import BadRow
from partnerscore.ingest import checks, versions
from partnerscore.ingest.headers import near_miss
from partnerscore.ingest.readers import FILE, FROM, LINE, ROW, Dataset, RawTable
from partnerscore.ingest.tables import CONTRACT, MEASURES, REQUIRED_TABLES
from partnerscore.rules.names import cert_key, is_known_workload, workload_key

Progress = Callable[[str, int, int], None]

#: References checked: (table, column) -> (table, id column) it must name.
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("subscriptions", "tenant_id"): ("customers", "tenant_id"),
    ("associations", "partner_id"): ("partners", "partner_id"),
    ("associations", "indirect_provider_id"): ("partners", "partner_id"),
    ("associations", "tenant_id"): ("customers", "tenant_id"),
    ("associations", "subscription_id"): ("subscriptions", "subscription_id"),
    ("usage", "tenant_id"): ("customers", "tenant_id"),
    ("usage", "subscription_id"): ("subscriptions", "subscription_id"),
    ("certifications", "partner_id"): ("partners", "partner_id"),
}
#: References within one table, checked once its other problems are known: (table, column) -> id column.
SELF_REFERENCES: dict[tuple[str, str], str] = {("partners", "parent_partner_id"): "partner_id"}
UNKNOWN_WORKLOAD_FIX = "check the spelling against the workload catalogue (rules/workloads.yaml)"


@dataclass
class Validation:
    """What validation found: rejected cells, warnings, and how many rows of each table are good."""

    rejected: list[BadRow] = field(default_factory=list)
    warnings: list[BadRow] = field(default_factory=list)
    good_rows: dict[str, int] = field(default_factory=dict)


def validate(dataset: Dataset, con: duckdb.DuckDBPyConnection,
             progress: Progress | None = None) -> Validation:
    """Check every table of `dataset`; ids may also refer to rows already in the store `con`.

    Args:
        dataset: the tables as read by `readers.read_dataset`.
        con: a store connection (see `store.open_store`); it gains temporary work tables.
        progress: called as `progress("validate", tables_done, tables_total)`.

    Returns:
        The problems (each a `BadRow`), the unknown-workload warnings and the good-row counts.
    """
    result = Validation(rejected=missing_tables(dataset, con), warnings=list(dataset.warnings))
    files = {t: raw.file for t, raw in dataset.tables.items()}
    _register_names(dataset, con)
    for done, table in enumerate(CONTRACT, start=1):
        raw = dataset.tables.get(table)
        _register(con, table, raw)
        bad = _file_problems(raw) if raw else []
        rejected_file = any(b.row == 0 for b in bad)
        con.execute(f"CREATE OR REPLACE TEMP TABLE ps_bad_{table} (_row BIGINT, col VARCHAR, reason VARCHAR)")
        if raw and not rejected_file:
            bad += _row_problems(con, table, raw, files)
        keep = "WHERE false" if rejected_file else f"ANTI JOIN ps_bad_{table} USING ({ROW})"
        con.execute(f"CREATE OR REPLACE TEMP TABLE ps_good_{table} AS "
                    f"SELECT ps_raw_{table}.* FROM ps_raw_{table} {keep}")
        result.rejected += sorted(bad, key=lambda b: b.row)  # stable: keeps column order in a row
        result.good_rows[table] = con.execute(f"SELECT count(*) FROM ps_good_{table}").fetchall()[0][0]
        if raw:
            result.warnings += _unknown_workloads(con, table, raw)
        if progress:
            progress("validate", done, len(CONTRACT))
    return result


def missing_tables(dataset: Dataset, con: duckdb.DuckDBPyConnection) -> list[BadRow]:
    """One problem per required table `dataset` lacks, unless the store `con` already holds an import.

    A first import must bring everything the contract requires; later ones may update some tables only.
    """
    absent = [t for t in REQUIRED_TABLES if t not in dataset.tables]
    if not absent or con.execute("SELECT count(*) FROM imports WHERE status <> 'failed'").fetchall()[0][0]:
        return []
    required = ", ".join(REQUIRED_TABLES[:-1]) + f" and {REQUIRED_TABLES[-1]}"
    return [BadRow(f"{t}.csv", 0, None, f"the data set has no {t}.csv or {t}.parquet, which a first import "
                   f"needs (it needs {required})", "add the file: only a store that already holds an import "
                   "takes a folder of some tables only")
            for t in absent]


def drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the temporary tables and views validation left on `con`."""
    for table in CONTRACT:
        con.execute(f"DROP TABLE IF EXISTS ps_bad_{table}")
        con.execute(f"DROP TABLE IF EXISTS ps_good_{table}")
        con.unregister(f"ps_raw_{table}")
    for name in ("ps_workloads", "ps_certs"):
        con.unregister(name)


def _register(con: duckdb.DuckDBPyConnection, table: str, raw: RawTable | None) -> None:
    """Expose the table to SQL as `ps_raw_<table>`, every contract column present (null if absent)."""
    data = raw.data if raw else pa.table({ROW: pa.array([], pa.int64())})
    for column in CONTRACT[table]:
        if column.name not in data.column_names:
            data = data.append_column(column.name, pa.nulls(data.num_rows, pa.string()))
    if FILE not in data.column_names:  # read from one file: each row is where it was read
        file = pa.array([raw.file if raw else f"{table}.csv"] * data.num_rows, pa.string())
        data = data.append_column(FILE, file).append_column(LINE, data[ROW]).append_column(FROM, file)
    con.register(f"ps_raw_{table}", data)


def _register_names(dataset: Dataset, con: duckdb.DuckDBPyConnection) -> None:
    """Map each distinct workload and certification name to its key once, as lookup tables."""
    workloads: set[str] = set()
    for table in ("associations", "usage"):
        raw = dataset.tables.get(table)
        if raw and "workload" in raw.columns:
            workloads.update(v for v in raw.data["workload"].unique().to_pylist() if v is not None)
    names = sorted(workloads)
    con.register("ps_workloads", pa.table({
        "workload": pa.array(names, pa.string()),
        "workload_key": pa.array([workload_key(n) for n in names], pa.string()),
        "known": pa.array([is_known_workload(n) for n in names], pa.bool_()),
    }))
    raw = dataset.tables.get("certifications")
    certs = sorted(v for v in raw.data["certification"].unique().to_pylist() if v is not None) \
        if raw and "certification" in raw.columns else []
    con.register("ps_certs", pa.table({
        "certification": pa.array(certs, pa.string()),
        "cert_key": pa.array([cert_key(n) for n in certs], pa.string()),
    }))


def _file_problems(raw: RawTable) -> list[BadRow]:
    """Problems found while reading, plus one per required column the header lacks (if it was read)."""
    if any(p.row == 0 for p in raw.problems):
        return list(raw.problems)
    missing = [BadRow(raw.file, 0, c.name, "the required column is missing from the header", _add_column(raw, c.name))
               for c in CONTRACT[raw.table] if c.required and c.name not in raw.columns]
    measures = MEASURES.get(raw.table, ())
    if measures and not raw.columns & set(measures):
        missing.append(BadRow(raw.file, 0, None, f"has none of the measure columns {', '.join(measures)}, so its "
                              "rows carry no usage", "add the measure columns the file is meant to carry and "
                              "import again"))
    return [*raw.problems, *missing]


def _add_column(raw: RawTable, column: str) -> str:
    """What to do about a missing column: rename its near miss in the header, else add it."""
    known = {c.name for c in CONTRACT[raw.table]}
    guess = near_miss(column, [h for h in raw.header if h.lower() not in known])
    return f"the header has {guess}: rename it to {column} and import again" if guess else \
        "add the column and import again"


def _row_problems(con: duckdb.DuckDBPyConnection, table: str, raw: RawTable,
                  files: dict[str, str]) -> list[BadRow]:
    """Every cell-level problem of one table, in row order, then column order; kept in `ps_bad_<table>`."""
    queries = checks.cell_checks(table) + checks.row_checks(table)
    for (source, column), (target, id_column) in REFERENCES.items():
        if source == table:
            queries.append(checks.reference_check(table, column, target, id_column,
                                                  files.get(target, f"{target}.csv")))
    if table == "usage":
        queries.append(checks.usage_tenant_check())
    if table == "associations":
        queries += [versions.same_time_in_dataset(), versions.same_time_in_store()]
    sql = " UNION ALL ".join(f"({q})" for q in queries)
    con.execute(f"INSERT INTO ps_bad_{table} {sql}")
    for (source, column), id_column in SELF_REFERENCES.items():
        if source == table:  # against the rows of this table found good so far, and the store
            good = f"(SELECT * FROM ps_raw_{table} ANTI JOIN ps_bad_{table} USING ({ROW}))"
            con.execute(f"INSERT INTO ps_bad_{table} "
                        + checks.reference_check(table, column, table, id_column, raw.file, good))
    order = {c.name: i for i, c in enumerate(CONTRACT[table])}
    found = con.sql(f"SELECT b.*, r.{FILE}, r.{LINE}, r.{FROM} FROM ps_bad_{table} b "
                    f"JOIN ps_raw_{table} r USING ({ROW})").fetchall()
    found.sort(key=lambda r: (r[0], order.get(r[1], len(order)), r[2]))
    return [BadRow(file, line, raw.source_column(origin, column), reason)
            for _, column, reason, file, line, origin in found]


def _unknown_workloads(con: duckdb.DuckDBPyConnection, table: str, raw: RawTable) -> list[BadRow]:
    """One warning per workload the catalogue does not know (any spelling), at the first row naming it."""
    if table not in ("associations", "usage"):
        return []
    found = con.sql(f"""
        SELECT arg_min(r.workload, r.{ROW}), arg_min(r.{FILE}, r.{ROW}), arg_min(r.{LINE}, r.{ROW}),
               arg_min(r.{FROM}, r.{ROW}), count(*) FROM ps_raw_{table} r
        JOIN ps_workloads w USING (workload) WHERE NOT w.known
        GROUP BY w.workload_key ORDER BY min(r.{ROW})""").fetchall()
    warnings = []
    for name, file, row, origin, count in found:
        more = f" (and {count - 1} more {'row' if count == 2 else 'rows'})" if count > 1 else ""
        warnings.append(BadRow(file, row, raw.source_column(origin, "workload"),
                               f"unknown workload '{name}'{more}; it counts toward no "
                               "area-specific metric", UNKNOWN_WORKLOAD_FIX))
    return warnings
