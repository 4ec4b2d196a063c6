"""Read a folder of Partner Center Insights downloads as a data set of the data contract's tables.

`read_downloads` recognises each file (see `partner_center_schema`), reads it as text like any data-set
file, and translates the rows into the contract's partners, customers, subscriptions, associations,
usage and certifications with DuckDB. Each translated row keeps the file and row of the download row
it came from (`_file`, `_line`), and each table knows which download header each of its columns came
from, so validation, the quarantine and every error name the original download, row and column. The
importer then validates and writes the translated tables like any other data set.

How the rows translate (docs/partner-center.md has the full table):
- the contract's partner is the location Partner ID (`MPNId`); the global (PGA) ID is not stored;
- `PartnerAttributionType` gives the association type; an association spans the months it appears in,
  and ends with the last month it appears in when that is before the download's last month;
- usage facts come only from rows whose duplicate-row flag is 0, so a fact repeated for several
  locations under one global ID counts once; identical facts repeated for several attributions merge;
- Office usage names no subscription: it goes to one subscription per tenant, `<tenant>:m365`.
Rows that cannot be translated (a Partner ID that is not one, an unknown attribution type) are rejected
like any bad row. A file that is no known download, or lacks a required column, stops the import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from partnerscore.errors import BadRow, DatasetError
from partnerscore.ingest.checks import type_cases
from partnerscore.ingest.partner_center_schema import (
    DownloadSchema,
    Schema,
    load_schema,
    recognise,
)
from partnerscore.ingest.partner_center_sql import (
    MEASURES,
    MONTH_FORMATS,
    TRANSLATIONS,
    USAGE_ROWS,
    normal_sql,
)
from partnerscore.ingest.readers import (
    FILE,
    FORMATS,
    FROM,
    LINE,
    ROW,
    Dataset,
    RawTable,
    read_table,
)
from partnerscore.ingest.tables import CONTRACT

#: Every role a download column can carry (partner_center.yaml `columns`).
ROLES = ("pga_id", "partner_id", "partner_name", "customer_name", "tenant_id", "tenant_name", "segment",
         "country", "month", "subscription_id", "subscription_start", "subscription_end", "workload",
         "product", "attribution", "sales_channel", "duplicate", "revenue_usd", "reseller_id",
         "reseller_name", "admin_type", "acr_usd", "paid_units", "active_units", "training_id",
         "certification", "training_type", "person_id", "earned_on", "expires_on")

#: Per contract table, the role each column is translated from (for naming the download's header).
#: The `reseller` variant is a row made from an indirect provider's row that names its reseller.
COLUMN_ROLES: dict[str, dict[str, str]] = {
    "partners": {"partner_id": "partner_id", "name": "partner_name"},
    "customers": {"tenant_id": "tenant_id", "name": "customer_name", "country": "country", "segment": "segment"},
    "subscriptions": {"subscription_id": "subscription_id", "tenant_id": "tenant_id", "program": "sales_channel",
                      "cloud": "product", "start_date": "subscription_start", "end_date": "subscription_end"},
    "associations": {"partner_id": "partner_id", "type": "attribution", "tenant_id": "tenant_id",
                     "subscription_id": "subscription_id", "workload": "workload", "rbac_role": "admin_type",
                     "start_date": "month", "end_date": "month"},
    "usage": {"month": "month", "tenant_id": "tenant_id", "subscription_id": "subscription_id",
              "workload": "workload", "acr_usd": "acr_usd", "paid_units": "paid_units",
              "active_units": "active_units", "revenue_usd": "revenue_usd"},
    "certifications": {"partner_id": "partner_id", "person_id": "person_id", "certification": "certification",
                       "earned_on": "earned_on", "expires_on": "expires_on"},
}
RESELLER_ROLES = {"partners": {"partner_id": "reseller_id", "name": "reseller_name"},
                  "associations": {"partner_id": "reseller_id", "indirect_provider_id": "partner_id"}}


class PartnerCenterError(DatasetError):
    """A file of the folder is not a Partner Center download partnerscore knows, or lacks columns."""


@dataclass
class Download:
    """One recognised download: its file, dataset, the header carrying each role, and its text rows."""

    file: str
    schema: DownloadSchema
    headers: dict[str, str]
    raw: RawTable

    def header(self, role: str) -> str | None:
        """The role's column as the published schema spells it (the file's own spelling, any case)."""
        lower = self.headers.get(role)
        return next((s for s in self.schema.columns[role] if s.lower() == lower), lower)


def read_downloads(path: Path | str, progress: Callable[[str, int, int], None] | None = None) -> Dataset:
    """Read the Partner Center downloads in the folder `path` as the contract's tables.

    Args:
        path: a folder of `.csv` or `.parquet` files, each one Insights download.
        progress: called as `progress("read", files_done, files_total)`.

    Returns:
        A data set whose tables are the translated rows; `sources` holds the downloads as read.

    Raises:
        DatasetError: `path` is not a folder or holds no download.
        PartnerCenterError: a file is unreadable, matches no known download, or lacks a column.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder; give the folder that holds the Partner Center downloads")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower().lstrip(".") in FORMATS)
    if not files:
        raise DatasetError(f"{folder} holds no .csv or .parquet file; save the Partner Center downloads there")
    schema = load_schema()
    downloads, reasons = [], []
    known = set().union(*(d.spellings for d in schema.datasets.values()))
    for done, file in enumerate(files, start=1):
        raw = read_table(file.stem, file, known)
        if any(p.row == 0 for p in raw.problems):
            reasons += [str(p) for p in raw.problems if p.row == 0]
        else:
            found, reason = recognise(file.name, raw.header, schema)
            if reason:
                reasons.append(reason)
            else:
                downloads.append(Download(file.name, found, found.headers_in(raw.columns), raw))
        if progress:
            progress("read", done, len(files))
    if reasons:
        raise PartnerCenterError("\n".join([*reasons, "nothing was imported"]))
    with duckdb.connect() as con:
        tables, problems = _translate(con, downloads, schema)
    problems += [p for d in downloads for p in d.raw.problems]
    tables["partners"].problems = sorted(problems, key=lambda b: (b.file, b.row))
    return Dataset(folder, tables, sources={d.file: d.raw.data for d in downloads})


def _translate(con: duckdb.DuckDBPyConnection, downloads: list[Download],
               schema: Schema) -> tuple[dict[str, RawTable], list[BadRow]]:
    """The contract's tables made from `downloads`, and the download rows that could not be translated."""
    _register_rows(con, downloads, schema)
    problems = _untranslatable(con, downloads, schema)
    con.execute(f"CREATE TEMP TABLE pc_ok AS SELECT * FROM pc_norm ANTI JOIN pc_problems USING ({FILE}, {LINE})")
    tables = {}
    for table, sql in TRANSLATIONS.items():
        data = con.sql(f"SELECT * FROM ({sql}) ORDER BY {FILE}, {LINE}").to_arrow_table()  # download order
        columns = {c.name: data[c.name] if c.name in data.column_names else pa.nulls(data.num_rows, pa.string())
                   for c in CONTRACT[table]}
        text = pa.table({name: col.cast(pa.string()) for name, col in columns.items()})
        text = text.append_column(ROW, pa.array(range(1, data.num_rows + 1), pa.int64()))
        for hidden in (FILE, LINE, FROM):
            text = text.append_column(hidden, data[hidden])
        tables[table] = RawTable(table, f"Partner Center {table}", text, headers=_headers(table, downloads))
    present = {d.schema.name for d in downloads}
    tables["usage"].measures = {role for role, (_, sources) in MEASURES.items() if present & set(sources)}
    return tables, problems


def _headers(table: str, downloads: list[Download]) -> dict[str, dict[str, str]]:
    """Per `_from` key, each column of `table` -> the download header it was translated from."""
    headers = {}
    for d in downloads:
        headers[d.file] = {c: d.header(r) for c, r in COLUMN_ROLES[table].items() if r in d.headers}
        via = {c: d.header(r) for c, r in RESELLER_ROLES.get(table, {}).items() if r in d.headers}
        headers[f"{d.file}|reseller"] = {**headers[d.file], **via}
    return headers


def _register_rows(con: duckdb.DuckDBPyConnection, downloads: list[Download], schema: Schema) -> None:
    """`pc_norm`: every download row with its values under role names, dates ISO, codes mapped."""
    selects = []
    for i, d in enumerate(downloads):
        con.register(f"pc_src_{i}", d.raw.data)
        roles = ", ".join(f'"{d.headers[r]}" AS {r}' if r in d.headers else f"NULL::VARCHAR AS {r}" for r in ROLES)
        selects.append(f"SELECT {_literal(d.file)} AS {FILE}, {ROW} AS {LINE}, "
                       f"{_literal(d.schema.name)} AS dataset, {_literal(d.schema.cloud)} AS dataset_cloud, "
                       f"{roles} FROM pc_src_{i}")
    for name, mapping in (("pc_attribution", schema.attribution_types), ("pc_channel", schema.sales_channels),
                          ("pc_segment", schema.segments)):
        con.register(name, pa.table({"key": list(mapping), "value": list(mapping.values())}))
    con.register("pc_certification_types", pa.table({"key": list(schema.certification_types)}))
    clouds = " ".join(f"WHEN {normal_sql('product')} LIKE {_literal('%' + word + '%')} THEN {_literal(cloud)}"
                      for word, cloud in schema.clouds)
    duplicate = ", ".join(_literal(v) for v in schema.duplicate_values)
    month = f"strftime(try_strptime(r.month, {MONTH_FORMATS}), '%Y-%m')"
    con.execute(f"""
        CREATE TEMP TABLE pc_norm AS
        SELECT r.*, coalesce({month}, r.month) AS month_n,
               CASE WHEN {month} IS NOT NULL THEN {month} || '-01' END AS month_first,
               a.value AS assoc_type, c.value AS program_n, s.value AS segment_n,
               coalesce(lower(r.duplicate) IN ({duplicate}), false) AS is_duplicate,
               CASE WHEN r.dataset = 'OfficeUsage' THEN r.tenant_id || ':m365' ELSE r.subscription_id END AS sub_id,
               coalesce(r.dataset_cloud, CASE {clouds} ELSE r.product END) AS cloud
        FROM ({' UNION ALL BY NAME '.join(selects)}) r
        LEFT JOIN pc_attribution a ON a.key = {normal_sql('r.attribution')}
        LEFT JOIN pc_channel c ON c.key = {normal_sql('r.sales_channel')}
        LEFT JOIN pc_segment s ON s.key = {normal_sql('r.segment')}""")


def _untranslatable(con: duckdb.DuckDBPyConnection, downloads: list[Download], schema: Schema) -> list[BadRow]:
    """Rows no contract row can be made of, as `BadRow`s of the download (kept in `pc_problems`)."""
    pattern = _literal(schema.partner_id_pattern)
    not_id = "' is not a Partner ID (a whole number, such as 4650101)'"
    known = ", ".join(sorted(set(schema.attribution_types.values())))
    con.execute(f"""
        CREATE TEMP TABLE pc_problems AS
        SELECT {FILE}, {LINE}, 'partner_id' AS role, CASE WHEN partner_id IS NULL THEN 'is empty but required'
               ELSE '''' || partner_id || '''' || {not_id} END AS reason
        FROM pc_norm WHERE partner_id IS NULL OR NOT regexp_full_match(partner_id, {pattern})
        UNION ALL
        SELECT {FILE}, {LINE}, 'reseller_id', '''' || reseller_id || '''' || {not_id}
        FROM pc_norm WHERE reseller_id IS NOT NULL AND NOT regexp_full_match(reseller_id, {pattern})
        UNION ALL
        SELECT {FILE}, {LINE}, 'attribution', CASE WHEN attribution IS NULL THEN 'is empty but required'
               ELSE '''' || attribution || ''' is not a partner attribution type partnerscore knows '
                    || '(it reads those of {known}; see docs/partner-center.md)' END
        FROM pc_norm WHERE dataset IN ({_with_role(downloads, 'attribution')}) AND assoc_type IS NULL
        UNION ALL
        SELECT {FILE}, {LINE}, 'attribution', '''' || attribution || ''' names no indirect provider: the '
               || 'download of a CSP Tier 2 reseller does not say which provider it buys through'
        FROM pc_norm WHERE assoc_type = 'CSP_INDIRECT'
        UNION ALL {_measure_problems()}""")
    by_file = {d.file: d for d in downloads}
    rows = con.sql(f"SELECT * FROM pc_problems ORDER BY {FILE}, {LINE}, role").fetchall()
    return [BadRow(file, line, by_file[file].header(role), reason) for file, line, role, reason in rows]


def _measure_problems() -> str:
    """SQL of the measure cells that are no amount or count, at the download cell itself.

    Checked here rather than on the translated usage rows: a usage row may merge the cells of several
    downloads (DynamicsUsage's seats and SeatsSubscriptionsAndRevenue's revenue), and a problem must name
    the download that holds the cell. Only cells the import reads are checked.
    """
    queries = []
    for role, (kind, datasets) in MEASURES.items():
        names = ", ".join(_literal(d) for d in datasets)
        queries.append(f"""
            SELECT {FILE}, {LINE}, '{role}', reason FROM (
                SELECT {FILE}, {LINE}, CASE {' '.join(type_cases(role, kind))} END AS reason
                FROM pc_norm WHERE dataset IN ({names}) AND {role} IS NOT NULL AND {USAGE_ROWS})
            WHERE reason IS NOT NULL""")
    return " UNION ALL ".join(queries)


def _with_role(downloads: list[Download], role: str) -> str:
    names = sorted({d.schema.name for d in downloads if role in d.schema.columns})
    return ", ".join(_literal(n) for n in names) or "NULL"


def _literal(text: str | None) -> str:
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"
