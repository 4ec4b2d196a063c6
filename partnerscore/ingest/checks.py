"""The data contract's checks, each written as one SQL query over a whole raw table.

Every query reads `ps_raw_<table>` (all cells text, `_row` = row number) and returns the bad cells only,
as `(_row, column, reason)`. A reason quotes the cell as written and says what was expected, e.g.
`'2025-13' is not YYYY-MM`. Reference checks also read `ps_good_<table>` (the rows of an earlier table
already found good) and the store's canonical table of the same name.
"""

from __future__ import annotations

from partnerscore.ingest.tables import CONTRACT, ENUMS

#: Enumerations written in upper case (`DPOR`, `EA`); all others are lower case (`azure`, `smb`).
UPPER_CASE_ENUMS = {("associations", "type"), ("subscriptions", "program")}

#: Association columns the data contract requires for some types only.
REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "subscription_id": ("DPOR", "PAL", "CPOR_OSA", "CPOR_REVREC", "TPOR"),
    "workload": ("CPOR_OSU",),
    "indirect_provider_id": ("CSP_INDIRECT",),
}

#: Columns that must hold a different value on every row of their file.
UNIQUE_IDS = {"partners": "partner_id", "customers": "tenant_id", "subscriptions": "subscription_id"}

#: (table, earlier date column, later date column): the later one may not come before the earlier.
DATE_ORDER = (
    ("subscriptions", "start_date", "end_date"),
    ("associations", "start_date", "end_date"),
    ("certifications", "earned_on", "expires_on"),
)

_DECIMAL = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
#: Largest amount in US dollars whose micro-dollars fit a BIGINT, with room for sums.
MAX_DOLLARS = 9_000_000_000_000

_NOT_FINITE = ("lower(ltrim({c}, '+-')) IN ('nan', 'inf', 'infinity')", "is not a finite number")

#: For each contract type: (SQL condition that a non-empty cell `{c}` is bad, what is wrong), in the order
#: they are tried; a cell gets the first that applies.
TYPE_CHECKS: dict[str, tuple[tuple[str, str], ...]] = {
    "date": ((r"NOT regexp_full_match({c}, '\d{{4}}-\d{{2}}-\d{{2}}') OR TRY_CAST({c} AS DATE) IS NULL",
              "is not YYYY-MM-DD"),),
    "month": ((r"NOT regexp_full_match({c}, '\d{{4}}-\d{{2}}') OR TRY_CAST({c} || '-01' AS DATE) IS NULL",
               "is not YYYY-MM"),),
    # ACR and revenue are amounts the program sums and compares to thresholds: a credit or refund is
    # netted into the month's amount by the source, never a negative row here.
    "decimal": (_NOT_FINITE,
                (f"NOT regexp_full_match({{c}}, '{_DECIMAL}') "
                 f"OR abs(TRY_CAST({{c}} AS DOUBLE)) >= {MAX_DOLLARS} "
                 "OR TRY_CAST({c} AS DECIMAL(38, 12)) IS NULL",
                 f"is not a decimal number of US dollars below {MAX_DOLLARS:,}"),
                ("TRY_CAST({c} AS DECIMAL(38, 12)) < 0", "is negative; an amount of US dollars is 0 or more")),
    "integer": (_NOT_FINITE,
                (r"NOT regexp_full_match({c}, '\+?\d+') OR TRY_CAST({c} AS BIGINT) IS NULL",
                 "is not a whole number of 0 or more")),
    "bool": (("lower({c}) NOT IN ('true', 'false')", "is not true or false"),),
}


def type_cases(expr: str, column_type: str) -> list[str]:
    """`WHEN … THEN reason` branches of a SQL CASE that say why the non-empty cell `expr` is not of its type."""
    return [f"WHEN {bad.format(c=expr)} THEN {quoted(expr)} || {literal(' ' + what)}"
            for bad, what in TYPE_CHECKS.get(column_type, ())]


def quoted(expr: str) -> str:
    """SQL giving a cell's value in single quotes for a message, cut to 80 characters."""
    return f"'''' || left({expr}, 80) || ''''"


def literal(text: str) -> str:
    """A Python string as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def enum_value(table: str, column: str, expr: str) -> str:
    """SQL giving an enumerated cell in the case its enumeration is written in."""
    return f"upper({expr})" if (table, column) in UPPER_CASE_ENUMS else f"lower({expr})"


def cell_checks(table: str) -> list[str]:
    """One query per column: empty required cell, else wrong type, else value not in its enumeration."""
    queries = []
    for column in CONTRACT[table]:
        c = column.name
        cases = []
        if column.required:
            cases.append(f"WHEN {c} IS NULL THEN 'is empty but required'")
        cases += type_cases(c, column.type)
        if (table, c) in ENUMS:
            allowed = ENUMS[table, c]
            values = ", ".join(literal(v) for v in allowed)
            cases.append(f"WHEN {enum_value(table, c, c)} NOT IN ({values}) THEN {quoted(c)} || "
                         f"{literal(' is not one of ' + ', '.join(allowed))}")
        if cases:
            reason = f"CASE {' '.join(cases)} END"
            queries.append(f"SELECT _row, '{c}' AS col, reason FROM "
                           f"(SELECT _row, {reason} AS reason FROM ps_raw_{table}) WHERE reason IS NOT NULL")
    return queries


def row_checks(table: str) -> list[str]:
    """Checks that look at more than one cell: unique ids and keys, type rules, date order."""
    queries = []
    if table in UNIQUE_IDS:
        key = UNIQUE_IDS[table]
        queries.append(_repeat_check(table, key, [key], quoted(f"r.{key}")))
    if table == "usage":
        queries.append(_repeat_check(
            table, "workload", ["month", "subscription_id", "w.workload_key"],
            "'month ' || r.month || ', subscription ' || " + quoted("r.subscription_id")
            + " || ', workload ' || " + quoted("w.workload_key"),
            "JOIN ps_workloads w USING (workload)"))
    if table == "certifications":
        queries.append(_repeat_check(
            table, "certification", ["partner_id", "person_id", "k.cert_key", "earned_on"],
            quoted("r.person_id") + " || ' earning ' || " + quoted("r.certification")
            + " || ' on ' || r.earned_on",
            "JOIN ps_certs k USING (certification)"))
    if table == "associations":
        for column, types in REQUIRED_BY_TYPE.items():
            values = ", ".join(literal(t) for t in types)
            queries.append(f"SELECT _row, '{column}', 'is required for a ' || upper(type) || ' association' "
                           f"FROM ps_raw_{table} WHERE {column} IS NULL AND upper(type) IN ({values})")
    for name, earlier, later in DATE_ORDER:
        if name == table:
            queries.append(
                f"SELECT _row, '{later}', {quoted(later)} || ' is before {earlier} ' || {quoted(earlier)} "
                f"FROM ps_raw_{table} WHERE TRY_CAST({later} AS DATE) < TRY_CAST({earlier} AS DATE)")
    return queries


def _repeat_check(table: str, column: str, key: list[str], what: str, join: str = "") -> str:
    """Rows whose key already appeared on an earlier row of the table (`row N` of the same file)."""
    not_null = " AND ".join(f"{k} IS NOT NULL" for k in key)
    window = f"PARTITION BY {', '.join(key)} ORDER BY r._row"
    return (f"SELECT _row, '{column}', what || ' already appears at ' || CASE WHEN first_file = _file "
            f"THEN 'row ' ELSE first_file || ':' END || first_line FROM "
            f"(SELECT r._row, r._file, {what} AS what, min(r._row) OVER (PARTITION BY {', '.join(key)}) AS first, "
            f"first_value(r._file) OVER ({window}) AS first_file, first_value(r._line) OVER ({window}) AS first_line "
            f"FROM ps_raw_{table} r {join} WHERE {not_null}) WHERE _row > first")


def reference_check(table: str, column: str, target: str, id_column: str, target_file: str,
                    good: str | None = None) -> str:
    """Cells naming an id that neither a good row of `target` in this data set nor the store holds.

    `good` is the SQL of the good `target` rows when they are not yet in `ps_good_<target>` (a table
    referring to itself, such as a partner's `parent_partner_id`).
    """
    value = quoted(f"r.{column}")
    return f"""
        SELECT r._row, '{column}', CASE WHEN b.first IS NULL
            THEN {value} || {literal(f' is not in {target_file} or in the store')}
            ELSE {value} || ' names a rejected row (' || b.first_file || ':' || b.first || ')' END
        FROM ps_raw_{table} r
        LEFT JOIN (SELECT {id_column} AS id FROM {good or f"ps_good_{target}"}
                   UNION SELECT {id_column} FROM {target}) g ON r.{column} = g.id
        LEFT JOIN (SELECT {id_column} AS id, arg_min(_line, _row) AS first, arg_min(_file, _row) AS first_file
                   FROM ps_raw_{target} GROUP BY 1) b
            ON r.{column} = b.id
        WHERE r.{column} IS NOT NULL AND g.id IS NULL"""


def usage_tenant_check() -> str:
    """Usage rows whose tenant is not their subscription's tenant (as this data set, else the store, has it)."""
    return f"""
        WITH subs AS (
            SELECT subscription_id, tenant_id FROM ps_good_subscriptions
            UNION ALL SELECT s.subscription_id, s.tenant_id FROM subscriptions s
                ANTI JOIN ps_good_subscriptions g USING (subscription_id))
        SELECT u._row, 'tenant_id', {quoted('u.tenant_id')} || ' is not the tenant of subscription '
            || {quoted('u.subscription_id')} || ' (' || {quoted('s.tenant_id')} || ')'
        FROM ps_raw_usage u JOIN subs s ON u.subscription_id = s.subscription_id
        WHERE u.tenant_id <> s.tenant_id"""
