"""Collect the program-guide rule cases in `tests/rules/*.yaml` (OpenFisca-style YAML tests).

Each YAML file is a list of cases. A case reads like the program guide:

    - name: A tenant with $1,000 ACR in the scoring month counts as a net customer add
      as_of: 2026-10-31
      source: {ref: program-rules R13, derived: true}
      input:
        customers:     [{tenant_id: T1, segment: enterprise}]
        subscriptions: {S1: T1 CSP azure}
        associations:  [{partner_id: P1, type: CSP_DIRECT, subscription_id: S1}]
        usage:         [{month: 2026-10, subscription_id: S1, workload: Storage, acr_usd: 1000}]
      expect:
        P1:
          data_ai:
            track: enterprise
            net_customer_adds: {value: 1, points: 10, why: T1 reaches $1,000 in M}

`expect` maps partner -> area -> {`points`, `qualified`, `track`, or a metric id -> {`points`,
`value`}}; only the keys listed are checked. Points and numeric values are compared with a tolerance
of 0.005 (the output rounds to two decimals, half-up); `value: null` expects a null. `why:` (anywhere
in `expect`) is a note for the reader and is not checked. Optional case keys: `source`
(`{ref: ..., derived: true}` when the case is not a published example), `notes`, and
`ambiguous: <note>` for a case that depends on a reading the spec leaves open (it runs as a
non-strict xfail).

What the plugin fills in, so that cases stay short (every filled row is valid data-contract data):
- partners: every partner id a case references (associations' `partner_id` and
  `indirect_provider_id`, certifications, `expect`) that `partners` does not list: `name` = the id.
- customers: every tenant id referenced (subscriptions, associations, usage) that `customers` does not
  list: `name` = the id, no segment (give `customers` rows to set one).
- subscriptions: may be a list of contract rows or a mapping `id: "TENANT PROGRAM CLOUD
  [START [END]]"` (or `id: {row}`); `start_date` defaults to 2020-01-01.
- associations: `association_id` defaults to `A<n>` (row number); `tenant_id` defaults to the tenant of
  `subscription_id`; `start_date` defaults to 2020-01-01.
- usage: `tenant_id` defaults to the subscription's tenant; `month` may be a list of months or a range
  `2025-11..2026-10`, giving one row per month.
- certifications: `person_id` and `certification` may be lists (one row per combination); `earned_on`
  defaults to 2025-01-01.

The tables are written as CSV files in exactly the contract's form (all contract columns, ISO dates,
`YYYY-MM` months, `true`/`false`) into a temporary folder, and scored with
`partnerscore.api.score_dataset(folder, as_of, engine=...)`, imported inside the test so that
collection works before the engine exists. `PARTNERSCORE_TEST_ENGINES` (comma-separated, default
`duckdb`) lists the engines every case runs on; items on `spark` carry the `spark` marker.

A failure prints one line per mismatch:
`file › case › partner.area.metric.key@as_of: expected X, got Y`.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

TOLERANCE = 0.005
DEFAULT_START = dt.date(2020, 1, 1)
DEFAULT_EARNED = dt.date(2025, 1, 1)

#: The data contract's tables and columns (shared/spec/data-contract.md), in contract order.
CONTRACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "partners": ("partner_id", "name", "role", "parent_partner_id"),
    "customers": ("tenant_id", "name", "country", "segment"),
    "subscriptions": ("subscription_id", "tenant_id", "program", "cloud", "start_date", "end_date"),
    "associations": (
        "association_id", "partner_id", "type", "tenant_id", "subscription_id", "workload",
        "incentive", "poe_status", "indirect_provider_id", "rbac_role", "start_date", "end_date",
        "principal_id", "principal_type", "recorded_at",
    ),
    "usage": (
        "month", "tenant_id", "subscription_id", "workload", "acr_usd", "paid_units",
        "active_units", "revenue_usd",
    ),
    "certifications": ("partner_id", "person_id", "certification", "earned_on", "expires_on"),
}
AREA_KEYS = ("points", "qualified", "track")
METRIC_KEYS = ("points", "value")
NOTE_KEYS = ("why",)


class CaseError(Exception):
    """A rule case that cannot be turned into a data set (a mistake in the YAML, not in the engine)."""


# --------------------------------------------------------------------------- filling defaults
def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _months(spec: Any) -> list[str]:
    """`2026-10`, `[2025-10, 2026-10]` or `2025-11..2026-10` -> list of `YYYY-MM`."""
    if isinstance(spec, list):
        return [m for item in spec for m in _months(item)]
    text = str(spec)
    if ".." not in text:
        return [text]
    first, last = (s.strip() for s in text.split(".."))
    y, m = (int(p) for p in first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if not out or out[-1] != last:
        raise CaseError(f"bad month range {text!r}")
    return out


def _subscriptions(spec: Any) -> list[dict]:
    if spec is None:
        return []
    if isinstance(spec, list):
        rows = [dict(r) for r in spec]
    else:
        rows = []
        for sub_id, body in spec.items():
            if isinstance(body, str):
                parts = body.split()
                if len(parts) not in (3, 4, 5):
                    raise CaseError(f"subscription {sub_id}: expected 'TENANT PROGRAM CLOUD [START [END]]'")
                row = dict(zip(("tenant_id", "program", "cloud", "start_date", "end_date"), parts))
            else:
                row = dict(body)
            rows.append({"subscription_id": str(sub_id), **row})
    for row in rows:
        row.setdefault("start_date", DEFAULT_START)
    return rows


def _product(row: dict, keys: tuple[str, ...]) -> list[dict]:
    rows = [dict(row)]
    for key in keys:
        expanded = []
        for r in rows:
            values = r.get(key)
            for v in values if isinstance(values, list) else [values]:
                expanded.append({**r, key: v})
        rows = expanded
    return rows


def build_tables(case: dict) -> dict[str, list[dict]]:
    """The case's input as complete contract tables (defaults filled, compact forms expanded)."""
    given = case.get("input") or {}
    unknown = set(given) - set(CONTRACT_COLUMNS)
    if unknown:
        raise CaseError(f"unknown input tables {sorted(unknown)}")
    subs = _subscriptions(given.get("subscriptions"))
    tenant_of = {str(s["subscription_id"]): str(s["tenant_id"]) for s in subs if "tenant_id" in s}

    def tenant_for(row: dict, table: str) -> None:
        if row.get("tenant_id") is None and row.get("subscription_id") is not None:
            sub = str(row["subscription_id"])
            if sub not in tenant_of:
                raise CaseError(f"{table}: subscription {sub} is not declared in subscriptions")
            row["tenant_id"] = tenant_of[sub]

    associations = []
    used_ids = {str(r["association_id"]) for r in given.get("associations") or [] if "association_id" in r}
    for n, raw in enumerate(given.get("associations") or [], start=1):
        row = dict(raw)
        if row.get("association_id") is None:
            aid = f"A{n}"
            while aid in used_ids:
                aid += "x"
            row["association_id"] = aid
            used_ids.add(aid)
        tenant_for(row, "associations")
        row.setdefault("start_date", DEFAULT_START)
        associations.append(row)

    usage = []
    for raw in given.get("usage") or []:
        if "month" not in raw:
            raise CaseError("usage row without month")
        for month in _months(raw["month"]):
            row = {**raw, "month": month}
            tenant_for(row, "usage")
            usage.append(row)

    certifications = []
    for raw in given.get("certifications") or []:
        for row in _product(raw, ("person_id", "certification")):
            row.setdefault("earned_on", DEFAULT_EARNED)
            certifications.append(row)

    tenants_referenced = [r.get("tenant_id") for r in subs + associations + usage]
    customers = [dict(r) for r in given.get("customers") or []]
    known = {str(c["tenant_id"]) for c in customers}
    for c in customers:
        c.setdefault("name", c["tenant_id"])
    for t in tenants_referenced:
        if t is not None and str(t) not in known:
            customers.append({"tenant_id": str(t), "name": str(t)})
            known.add(str(t))

    partners = [dict(r) for r in given.get("partners") or []]
    known = {str(p["partner_id"]) for p in partners}
    for p in partners:
        p.setdefault("name", p["partner_id"])
    referenced = [r.get("partner_id") for r in associations + certifications]
    referenced += [r.get("indirect_provider_id") for r in associations]
    referenced += list((case.get("expect") or {}).keys())
    for pid in referenced:
        if pid is not None and str(pid) not in known:
            partners.append({"partner_id": str(pid), "name": str(pid)})
            known.add(str(pid))

    return {
        "partners": partners, "customers": customers, "subscriptions": subs,
        "associations": associations, "usage": usage, "certifications": certifications,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def write_dataset(tables: dict[str, list[dict]], folder: Path) -> Path:
    """Write the tables as `<table>.csv` files in the contract's exact form; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, columns in CONTRACT_COLUMNS.items():
        rows = tables.get(table) or []
        for row in rows:
            extra = set(row) - set(columns)
            if extra:
                raise CaseError(f"{table}: columns {sorted(extra)} are not in the data contract")
        with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row.get(c)) for c in columns])
    return folder


# --------------------------------------------------------------------------- comparing
def _find(items: list[dict] | None, key: str, wanted: str) -> dict | None:
    for item in items or []:
        if str(item.get(key)) == wanted:
            return item
    return None


def _same(expected: Any, got: Any) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, bool) or isinstance(got, bool):
        return isinstance(expected, bool) and isinstance(got, bool) and expected == got
    if isinstance(expected, (int, float)):
        try:
            return abs(float(got) - float(expected)) <= TOLERANCE + 1e-9
        except (TypeError, ValueError):
            return False
    return str(expected) == str(got)


_MISSING = "<missing>"


def compare(expect: dict, result: dict, as_of: str) -> list[str]:
    """One `partner.area[.metric].key@as_of: expected X, got Y` line per mismatch."""
    problems = []
    for partner_id, areas in (expect or {}).items():
        partner = _find(result.get("partners"), "partner_id", str(partner_id))
        for area_id, area_expect in (areas or {}).items():
            area = _find(partner.get("areas") if partner else None, "area", area_id)
            for key, wanted in (area_expect or {}).items():
                if key in NOTE_KEYS:
                    continue
                if key in AREA_KEYS:
                    got = area.get(key, _MISSING) if area else _MISSING
                    if got is _MISSING or not _same(wanted, got):
                        problems.append(f"{partner_id}.{area_id}.{key}@{as_of}: expected {wanted!r}, got {got!r}")
                    continue
                metric = _find(area.get("metrics") if area else None, "metric", key)
                for mkey, mwanted in (wanted or {}).items():
                    if mkey in NOTE_KEYS:
                        continue
                    got = metric.get(mkey, _MISSING) if metric else _MISSING
                    if got is _MISSING or not _same(mwanted, got):
                        problems.append(
                            f"{partner_id}.{area_id}.{key}.{mkey}@{as_of}: expected {mwanted!r}, got {got!r}"
                        )
    return problems


# --------------------------------------------------------------------------- pytest collection
def engines() -> list[str]:
    raw = os.environ.get("PARTNERSCORE_TEST_ENGINES", "duckdb")
    return [e.strip() for e in raw.split(",") if e.strip()]


def load_cases(path: Path) -> list[dict]:
    """The list of cases in one rule-case file."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, list):
        raise CaseError(f"{path.name}: expected a list of cases")
    return data


class RuleCaseFailure(AssertionError):
    """The engine's output differs from a case's expectation."""


class YamlRuleFile(pytest.File):
    def collect(self):
        for case in load_cases(self.path):
            for engine in engines():
                item = YamlRuleItem.from_parent(self, name=f"{case['name']}[{engine}]", case=case, engine=engine)
                if engine == "spark":
                    item.add_marker(pytest.mark.spark)
                if case.get("ambiguous"):
                    item.add_marker(pytest.mark.xfail(reason=f"ambiguous: {case['ambiguous']}", strict=False))
                yield item


class YamlRuleItem(pytest.Item):
    def __init__(self, *, case: dict, engine: str, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        self.engine = engine

    def runtest(self):
        from partnerscore.api import score_dataset  # lazy: the engine may not exist yet

        as_of = _as_date(self.case["as_of"])
        with tempfile.TemporaryDirectory(prefix="rulecase-") as tmp:
            folder = write_dataset(build_tables(self.case), Path(tmp) / "dataset")
            result = score_dataset(folder, as_of, engine=self.engine)
        problems = compare(self.case.get("expect") or {}, result, as_of.isoformat())
        if problems:
            raise RuleCaseFailure(problems)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, RuleCaseFailure):
            prefix = f"{self.path.name} › {self.case['name']} › "
            return "\n".join(prefix + line for line in excinfo.value.args[0])
        if isinstance(excinfo.value, CaseError):
            return f"{self.path.name} › {self.case['name']} › bad case: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name} › {self.case['name']} [{self.engine}]"


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix in (".yaml", ".yml") and file_path.parent.name == "rules" \
            and file_path.parent.parent.name == "tests":
        return YamlRuleFile.from_parent(parent, path=file_path)
    return None
