"""Write the good rows of a validated data set into the canonical tables, in bulk.

`canonical_select` turns the text cells of `ps_good_<table>` into the stored columns (dates, micro-dollars,
normalised names and enumerations). Partners, customers, subscriptions, usage and certifications are
upserted by key: an identical row is no change, a different one replaces the stored row. Associations
are a ledger: a row is only ever added, as a new version, when no stored version of the same
`association_id` has the same contract fields. Each function returns the rows it added (new keys) and
changed (stored keys replaced, or given a new version), and keeps every change in `import_changes`
(changes.py), so re-importing a data set reports 0 and 0 everywhere.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from partnerscore.ingest import changes
from partnerscore.ingest.checks import enum_value
from partnerscore.ingest.readers import ROW
from partnerscore.ingest.tables import ID_KEYS, KEYED, MICROS_PER_DOLLAR

#: Key of each upserted table; its other stored columns are compared to tell a change.
KEYS: dict[str, tuple[str, ...]] = {
    "partners": ("partner_id",),
    "customers": ("tenant_id",),
    "subscriptions": ("subscription_id",),
    "usage": ("month", "subscription_id", "workload_key"),
    "certifications": ("partner_id", "person_id", "cert_key", "earned_on"),
}

#: The stored column of each measure (tables.MEASURES), in the contract's name.
STORED_MEASURES = {"acr_usd": "acr_micros", "paid_units": "paid_units", "active_units": "active_units",
                   "revenue_usd": "revenue_micros"}

#: The contract fields of an association version: two rows equal on all of these are the same version.
ASSOCIATION_FIELDS = (
    "association_id", "partner_id", "type", "tenant_id", "subscription_id", "workload", "workload_key",
    "incentive", "poe_status", "indirect_provider_id", "rbac_role", "start_date", "end_date",
    "principal_id", "principal_type", "recorded_at",
)


def _micros(column: str) -> str:
    # DuckDB rounds a DECIMAL half away from zero, and DECIMAL keeps the cents exact.
    return f"CAST(round(CAST({column} AS DECIMAL(38, 12)) * {MICROS_PER_DOLLAR}) AS BIGINT)"


def _date(column: str) -> str:
    return f"CAST({column} AS DATE)"


#: Stored column -> SQL over the good raw rows `r` (joined to the name lookups `w` and `k`).
CANONICAL: dict[str, dict[str, str]] = {
    "partners": {"partner_id": "partner_id", "name": "name",
                 "role": enum_value("partners", "role", "role"), "parent_partner_id": "parent_partner_id"},
    "customers": {"tenant_id": "tenant_id", "name": "name", "country": "country",
                  "segment": enum_value("customers", "segment", "segment")},
    "subscriptions": {"subscription_id": "subscription_id", "tenant_id": "tenant_id",
                      "program": enum_value("subscriptions", "program", "program"),
                      "cloud": enum_value("subscriptions", "cloud", "cloud"),
                      "start_date": _date("start_date"), "end_date": _date("end_date")},
    "associations": {
        "association_id": "association_id", "partner_id": "partner_id",
        "type": enum_value("associations", "type", "type"), "tenant_id": "tenant_id",
        "subscription_id": "subscription_id", "workload": "r.workload", "workload_key": "w.workload_key",
        "incentive": "coalesce(lower(incentive) = 'true', false)",
        "poe_status": f"coalesce({enum_value('associations', 'poe_status', 'poe_status')}, 'none')",
        "indirect_provider_id": "indirect_provider_id", "rbac_role": "rbac_role",
        "start_date": _date("start_date"), "end_date": _date("end_date"),
        "principal_id": "principal_id",
        "principal_type": enum_value("associations", "principal_type", "principal_type"),
        "recorded_at": _date("recorded_at"),
    },
    "usage": {"month": "CAST(month || '-01' AS DATE)", "tenant_id": "tenant_id",
              "subscription_id": "subscription_id", "workload": "r.workload",
              "workload_key": "w.workload_key", "acr_micros": _micros("acr_usd"),
              "paid_units": "CAST(paid_units AS BIGINT)", "active_units": "CAST(active_units AS BIGINT)",
              "revenue_micros": _micros("revenue_usd")},
    "certifications": {"partner_id": "partner_id", "person_id": "person_id",
                       "certification": "r.certification", "cert_key": "k.cert_key",
                       "earned_on": _date("earned_on"), "expires_on": _date("expires_on")},
}


def canonical_select(table: str) -> str:
    """SQL selecting the good rows of `table` as stored columns, plus `_row`, in row order."""
    columns = ", ".join(f"{sql} AS {name}" for name, sql in CANONICAL[table].items())
    joins = {"associations": " LEFT JOIN ps_workloads w USING (workload)",
             "usage": " JOIN ps_workloads w USING (workload)",
             "certifications": " JOIN ps_certs k USING (certification)"}.get(table, "")
    return f"SELECT r.{ROW}, {columns} FROM ps_good_{table} r{joins}"


def assign_keys(con: duckdb.DuckDBPyConnection, source: str = "ps_good_{table}") -> None:
    """Give every tenant and subscription ID of the `source` tables that has no integer key yet the next
    free keys (in ID order, so the same data always gets the same keys). A missing source table is skipped.

    `source` names the tables the IDs are read from: the import's good rows by default, or the stored
    tables themselves (`"{table}"`) to key a store written before keys existed.
    """
    present = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for key_table, (id_column, key_column) in ID_KEYS.items():
        reads = [f"SELECT {id_column} AS id FROM {source.format(table=table)} WHERE {id_column} IS NOT NULL"
                 for table, keys in KEYED.items() if key_table in keys and source.format(table=table) in present]
        if not reads:
            continue
        con.execute(f"""
            INSERT INTO {key_table} ({id_column}, {key_column})
            SELECT id, (SELECT coalesce(max({key_column}), 0) FROM {key_table}) + row_number() OVER (ORDER BY id)
            FROM (SELECT DISTINCT id FROM ({' UNION ALL '.join(reads)}))
            WHERE id NOT IN (SELECT {id_column} FROM {key_table})""")


def with_keys(table: str, columns: str) -> tuple[str, str]:
    """The stored column list `columns` of `table` extended with its key columns, and the joins (to append
    to a FROM whose rows hold the IDs) that give them."""
    keys = KEYED.get(table, ())
    joins = "".join(f" LEFT JOIN {key} USING ({ID_KEYS[key][0]})" for key in keys)
    return ", ".join([columns, *(ID_KEYS[key][1] for key in keys)]), joins


def upsert(con: duckdb.DuckDBPyConnection, table: str, import_id: str,
           kept: set[str] | frozenset[str] = frozenset()) -> tuple[int, int]:
    """Insert new rows of `table` and replace changed ones, keeping each change in `import_changes`.

    `kept` are measure columns (contract names) the data set does not carry: a replaced row keeps their
    stored values, and a new row has them empty.

    Returns:
        (rows added: keys the store did not hold, rows changed: stored keys with other content).
    """
    key = KEYS[table]
    stored_kept = {STORED_MEASURES[m] for m in kept}
    columns = list(CANONICAL[table])
    on = " AND ".join(f"s.{k} = n.{k}" for k in key)
    differs = " OR ".join(f"s.{c} IS DISTINCT FROM n.{c}" for c in columns if c not in key and c not in stored_kept)
    keep = ", ".join(f"CASE WHEN s.{key[0]} IS NULL THEN n.{c} ELSE s.{c} END AS {c}" for c in sorted(stored_kept))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ps_changed AS
        SELECT n.*{f' REPLACE ({keep})' if keep else ''}, s.{key[0]} IS NOT NULL AS _stored
        FROM ({canonical_select(table)}) n LEFT JOIN {table} s ON {on}
        WHERE s.{key[0]} IS NULL OR {differs}""")
    changes.record(con, table, import_id, "ps_changed", table, on)
    names = ", ".join(columns)
    # Delete and insert rather than INSERT OR REPLACE: that needs a primary-key index, and DuckDB keeps
    # such an index in memory whole (usage has none, see tables.STORED).
    matched = " AND ".join(f"{table}.{k} = ps_changed.{k}" for k in key)
    con.execute(f"DELETE FROM {table} USING ps_changed WHERE {matched}")
    stored, joins = with_keys(table, names)
    con.execute(f"INSERT INTO {table} ({stored}) SELECT {stored} FROM ps_changed{joins}")
    added, changed = con.execute("SELECT count(*) FILTER (NOT _stored), count(*) FILTER (_stored) "
                                 "FROM ps_changed").fetchall()[0]
    con.execute("DROP TABLE ps_changed")
    return added, changed


def append_versions(con: duckdb.DuckDBPyConnection, import_id: str, now: datetime) -> tuple[int, int]:
    """Add each association row that is not already a stored version, keeping each change in `import_changes`.

    New versions get `version_seq` numbers above every stored one, in row order; a row repeated inside
    the data set is added once. A new version of a stored association is a change, reported against the
    version stored last.

    Returns:
        (versions of associations the store did not hold, new versions of stored associations).
    """
    same = " AND ".join(f"a.{f} IS NOT DISTINCT FROM n.{f}" for f in ASSOCIATION_FIELDS)
    fields = ", ".join(ASSOCIATION_FIELDS)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ps_versions AS
        SELECT n.*, n.association_id IN (SELECT association_id FROM associations) AS _stored
        FROM ({canonical_select('associations')}) n ANTI JOIN associations a ON {same}
        QUALIFY row_number() OVER (PARTITION BY {fields} ORDER BY n.{ROW}) = 1""")
    latest = ("(SELECT * FROM associations "
              "QUALIFY row_number() OVER (PARTITION BY association_id ORDER BY version_seq DESC) = 1)")
    changes.record(con, "associations", import_id, "ps_versions", latest, "s.association_id = n.association_id")
    stored, joins = with_keys("associations", fields)
    con.execute(f"""
        INSERT INTO associations (version_seq, {stored}, known_from, imported_at, import_id)
        SELECT (SELECT coalesce(max(version_seq), 0) FROM associations)
                   + row_number() OVER (ORDER BY {ROW}),
               {stored}, coalesce(recorded_at, start_date), ?, ?
        FROM ps_versions{joins}""", [now, import_id])
    added, changed = con.execute("SELECT count(*) FILTER (NOT _stored), count(*) FILTER (_stored) "
                                 "FROM ps_versions").fetchall()[0]
    con.execute("DROP TABLE ps_versions")
    return added, changed
