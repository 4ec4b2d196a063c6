"""Checks that association rows do not contradict each other, or the stored ledger, at one recorded time.

The ledger keeps every version of an association, and the version in force on a day is the one recorded
last (`recorded_at`, or `start_date` when empty) on or before that day. Two versions of one
`association_id` recorded at the same time with other content leave the ledger to pick one arbitrarily,
so both checks here reject them:

- inside a data set: every such row is rejected, naming a row it contradicts (`file:row`), so that
  `--skip-bad-rows` keeps neither;
- against the store: a row whose explicit `recorded_at` equals that of a stored version of its
  association, with other content and no stored version of that time identical to it. A row without
  `recorded_at` that differs from the stored version is a correction from this import on (a Partner
  Center download ending an attribution has none), as the data contract says.

Content is compared as it is stored (enumerations in any case, workload names in any spelling, a missing
`poe_status` as `none`), over the fields of `write.ASSOCIATION_FIELDS`.
"""

from __future__ import annotations

from partnerscore.ingest.checks import quoted
from partnerscore.ingest.readers import FILE, LINE, ROW

#: Each compared field as SQL over a raw association row `r` joined to the workload lookup `w`.
RAW_FIELDS: dict[str, str] = {
    "partner_id": "r.partner_id", "type": "upper(r.type)", "tenant_id": "r.tenant_id",
    "subscription_id": "r.subscription_id", "workload": "w.workload_key",
    "incentive": "coalesce(lower(r.incentive) = 'true', false)", "poe_status": "coalesce(lower(r.poe_status), 'none')",
    "indirect_provider_id": "r.indirect_provider_id", "rbac_role": "r.rbac_role",
    "start_date": "TRY_CAST(r.start_date AS DATE)", "end_date": "TRY_CAST(r.end_date AS DATE)",
    "principal_id": "r.principal_id", "principal_type": "lower(r.principal_type)",
}
#: The stored column each compared field is kept in.
STORED_FIELDS = {name: "workload_key" if name == "workload" else name for name in RAW_FIELDS}

_FIX = "'; keep the right row, or give the later version a later recorded_at'"


def _rows() -> str:
    """The raw association rows with an id and a readable recorded time, their fields normalised."""
    fields = ", ".join(f"{sql} AS {name}" for name, sql in RAW_FIELDS.items())
    return f"""
        SELECT r.{ROW}, r.{FILE}, r.{LINE}, r.association_id, r.recorded_at IS NOT NULL AS explicit,
               TRY_CAST(coalesce(r.recorded_at, r.start_date) AS DATE) AS at, {fields}
        FROM ps_raw_associations r LEFT JOIN ps_workloads w USING (workload)
        WHERE r.association_id IS NOT NULL AND TRY_CAST(coalesce(r.recorded_at, r.start_date) AS DATE) IS NOT NULL"""


def _differing(a: str, b: str, fields: dict[str, str] | None = None) -> tuple[str, str]:
    """SQL of (whether rows `a` and `b` differ, the names of the fields that differ, comma-separated)."""
    pairs = [(name, f"{a}.{name}", f"{b}.{(fields or {}).get(name, name)}") for name in RAW_FIELDS]
    differ = " OR ".join(f"{x} IS DISTINCT FROM {y}" for _, x, y in pairs)
    names = ", ".join(f"CASE WHEN {x} IS DISTINCT FROM {y} THEN '{name}' END" for name, x, y in pairs)
    return differ, f"concat_ws(', ', {names})"  # concat_ws skips the NULLs of equal fields


def _when(alias: str) -> str:
    """SQL naming the recorded time of row `alias`, as a message says it."""
    return (f"CASE WHEN {alias}.explicit THEN 'recorded on ' || {alias}.at ELSE "
            f"'with no recorded_at, known from its start_date ' || {alias}.at || ',' END")


def same_time_in_dataset() -> str:
    """Rows of the data set contradicting another row of theirs: same id and recorded time, other content."""
    differ, names = _differing("a", "b")
    return f"""
        WITH v AS ({_rows()})
        SELECT a.{ROW}, 'association_id', 'association ' || {quoted('a.association_id')} || ' ' || {_when('a')}
               || ' has other content at ' || b.{FILE} || ':' || b.{LINE} || ' (' || {names} || ')' || {_FIX}
        FROM v a JOIN v b ON a.association_id = b.association_id AND a.at = b.at AND a.{ROW} <> b.{ROW}
        WHERE {differ}
        QUALIFY row_number() OVER (PARTITION BY a.{ROW} ORDER BY b.{ROW}) = 1"""


def same_time_in_store() -> str:
    """Rows whose explicit recorded_at is a stored version's, with other content than every such version."""
    differ, names = _differing("a", "s", STORED_FIELDS)
    same = " AND ".join(f"a.{name} IS NOT DISTINCT FROM t.{column}" for name, column in STORED_FIELDS.items())
    return f"""
        WITH v AS ({_rows()})
        SELECT a.{ROW}, 'association_id', 'association ' || {quoted('a.association_id')} || ' recorded on '
               || a.at || ' is stored with other content (' || {names} || ') by import ' || s.import_id
               || '; give the correction a later recorded_at'
        FROM v a JOIN associations s ON a.association_id = s.association_id AND a.at = s.recorded_at
        WHERE a.explicit AND ({differ}) AND NOT EXISTS (
            SELECT 1 FROM associations t
            WHERE t.association_id = a.association_id AND t.recorded_at = a.at AND {same})
        QUALIFY row_number() OVER (PARTITION BY a.{ROW} ORDER BY s.version_seq DESC) = 1"""
