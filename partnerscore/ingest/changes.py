"""What an import changed: rows of the store whose key it already held, with the columns that changed.

An import adds rows (a key the store did not hold), changes rows (partners, customers, subscriptions,
usage and certifications whose key it held, with other content, are replaced; an association that is
stored gets a new version) or leaves them as they are. Each changed row is kept in `import_changes` with
its key and the values before and after, all in the data contract's columns and text forms (`acr_usd`
`'1300'`, `month` `'2025-01'`), so the report can list the first few and a reader can page through all
of them long after the import (`quarantine.list_changes`). The rows are written by SQL inside the import's
transaction, so a re-import that changes a million rows never holds them in Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from partnerscore.ingest.tables import CONTRACT


def _dollars(column: str) -> str:
    # Exact text of micro-dollars as dollars: DECIMAL keeps every digit, the trims drop '.000000'.
    return f"rtrim(rtrim(CAST(CAST({column} AS DECIMAL(38, 0)) * CAST(0.000001 AS DECIMAL(38, 6)) AS VARCHAR), '0'), '.')"


def _text(column: str) -> str:
    return f"CAST({column} AS VARCHAR)"


#: Per table, each contract column as text, from a stored (or canonical) row `{x}`.
SHOWN: dict[str, dict[str, str]] = {
    table: {c.name: _text(f"{{x}}.{c.name}") for c in columns} for table, columns in CONTRACT.items()
}
SHOWN["usage"] |= {"month": "strftime({x}.month, '%Y-%m')", "acr_usd": _dollars("{x}.acr_micros"),
                   "revenue_usd": _dollars("{x}.revenue_micros")}

#: Per table, the contract columns that name a row in a report (a usage row by month, subscription and
#: workload; an association by its id, whose new version is the change).
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "partners": ("partner_id",), "customers": ("tenant_id",), "subscriptions": ("subscription_id",),
    "associations": ("association_id",), "usage": ("month", "subscription_id", "workload"),
    "certifications": ("partner_id", "person_id", "certification", "earned_on"),
}


@dataclass(frozen=True)
class RowChange:
    """One stored row an import changed: its table and key, the columns that changed, before and after."""

    table: str
    key: dict[str, str | None]
    columns: list[str]
    before: dict[str, str | None] = field(default_factory=dict)
    after: dict[str, str | None] = field(default_factory=dict)

    def __str__(self) -> str:
        key = ", ".join(f"{k} {v}" for k, v in self.key.items())
        moved = ", ".join(f"{c} {_show(self.before.get(c))} → {_show(self.after.get(c))}" for c in self.columns)
        return f"{self.table} {key}: {moved}"

    def to_json(self) -> dict:
        return {"table": self.table, "key": self.key, "columns": self.columns, "before": self.before,
                "after": self.after}


def _show(value: str | None) -> str:
    return "(empty)" if value is None else value


def record(con: duckdb.DuckDBPyConnection, table: str, import_id: str, new: str, stored: str, on: str) -> None:
    """Keep in `import_changes` every row of `new` that differs from the `stored` row it is joined to `on`.

    `new` and `stored` are SQL sources (aliased `n` and `s` in `on`) with the stored columns of `table`;
    `new` says in `_stored` whether the store holds its key, so that new rows (all of them, in a first
    import) skip the join.
    """
    shown = SHOWN[table]
    key = ", ".join(f"'{c}', {shown[c].format(x='n')}" for c in KEY_COLUMNS[table])
    pairs = [(c, sql.format(x="s"), sql.format(x="n")) for c, sql in shown.items()]
    names = ", ".join(f"CASE WHEN {b} IS DISTINCT FROM {a} THEN '{c}' END" for c, b, a in pairs)
    con.execute(f"""
        INSERT INTO import_changes
        SELECT ?, '{table}', json_object({key}), to_json(string_split(concat_ws(',', {names}), ',')),
               json_object({', '.join(f"'{c}', {b}" for c, b, _ in pairs)}),
               json_object({', '.join(f"'{c}', {a}" for c, _, a in pairs)})
        FROM (SELECT * FROM {new} WHERE _stored) n JOIN {stored} s ON {on}
        WHERE {' OR '.join(f'{b} IS DISTINCT FROM {a}' for _, b, a in pairs)}
        ORDER BY {', '.join(shown[c].format(x='n') for c in KEY_COLUMNS[table])}""", [import_id])


def read_changes(con: duckdb.DuckDBPyConnection, import_id: str, table: str | None = None, *,
                 limit: int | None = None, offset: int = 0) -> list[RowChange]:
    """The rows the import `import_id` changed, tables in contract order and rows in key order (see
    `quarantine.list_changes`, which opens the store)."""
    where, params = _where(import_id, table)
    order = " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(CONTRACT))
    page = f" LIMIT {int(limit)}" if limit is not None else ""
    rows = con.execute(f"""
        SELECT table_name, key, columns, before, after FROM import_changes {where}
        ORDER BY CASE table_name {order} END, rowid{page} OFFSET {int(offset)}""", params).fetchall()
    return [_change(*row) for row in rows]


def count_changes(con: duckdb.DuckDBPyConnection, import_id: str, table: str | None = None) -> int:
    """How many rows the import `import_id` changed (in `table`, or in every table)."""
    where, params = _where(import_id, table)
    return con.execute(f"SELECT count(*) FROM import_changes {where}", params).fetchall()[0][0]


def _where(import_id: str, table: str | None) -> tuple[str, list]:
    if table is None:
        return "WHERE import_id = ?", [import_id]
    return "WHERE import_id = ? AND table_name = ?", [import_id, table]


def _change(table: str, key: str, columns: str, before: str, after: str) -> RowChange:
    changed = json.loads(columns)
    was, now = json.loads(before), json.loads(after)
    return RowChange(table, json.loads(key), changed, {c: was.get(c) for c in changed},
                     {c: now.get(c) for c in changed})
