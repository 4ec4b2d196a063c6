"""Checks on the rule-case files themselves (tests/rules/*.yaml), independent of the engine.

Every case file must parse as a list of cases; every case needs a sentence for a name, an `as_of` day,
and an `expect` whose area ids, metric ids and keys are those of the data contract and program-rules
sections 4-7; every input row may use only the data contract's tables and columns
(shared/spec/data-contract.md), and enumerated columns only the contract's values.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rules_plugin import (
    AREA_KEYS, CONTRACT_COLUMNS, METRIC_KEYS, NOTE_KEYS, build_tables, load_cases,
)

RULES_DIR = Path(__file__).parent / "rules"
CASE_FILES = sorted(p for p in RULES_DIR.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))

CASE_KEYS = {"name", "as_of", "source", "input", "expect", "notes", "ambiguous"}
REQUIRED_CASE_KEYS = {"name", "as_of", "expect"}

NCA, INT, ADV, UG, DEP = (
    "net_customer_adds", "intermediate_certifications", "advanced_certifications", "usage_growth",
    "deployments",
)
#: The metrics each area has (program-rules sections 4-7): Data & AI and Security have no advanced
#: certifications metric.
AREA_METRICS: dict[str, set[str]] = {
    "data_ai": {NCA, INT, UG, DEP},
    "infrastructure": {NCA, INT, ADV, UG, DEP},
    "digital_app_innovation": {NCA, INT, ADV, UG, DEP},
    "business_applications": {NCA, INT, ADV, UG, DEP},
    "modern_work": {NCA, INT, ADV, UG, DEP},
    "security": {NCA, INT, UG, DEP},
}
TRACKS = {"enterprise", "smb", None}

#: Enumerated columns of the data contract and their allowed values.
ENUMS: dict[tuple[str, str], set[str]] = {
    ("partners", "role"): {"direct_bill", "indirect_provider", "indirect_reseller", "lsp", "services"},
    ("customers", "segment"): {"enterprise", "smb"},
    ("subscriptions", "program"): {"EA", "CSP", "WEB_DIRECT", "CASA_EES", "MCA_E"},
    ("subscriptions", "cloud"): {"azure", "m365", "dynamics365", "power_platform"},
    ("associations", "type"): {
        "CPOR_OSU", "CPOR_OSA", "CPOR_REVREC", "DPOR", "PAL", "CSP_DIRECT", "CSP_INDIRECT", "TPOR",
    },
    ("associations", "poe_status"): {"none", "submitted", "approved", "rejected"},
    ("associations", "principal_type"): {"user", "service_principal"},
}


def _cases() -> list[tuple[str, int, dict]]:
    out = []
    for path in CASE_FILES:
        try:
            cases = load_cases(path)
        except Exception:  # reported by test_case_file_parses
            continue
        for n, case in enumerate(cases):
            out.append((path.name, n, case))
    return out


CASES = _cases()


def _case_id(item: tuple[str, int, dict]) -> str:
    name, n, case = item
    label = case.get("name") if isinstance(case, dict) else None
    return f"{name}#{n}:{label}"


def test_there_are_rule_case_files():
    assert CASE_FILES, f"no rule-case files in {RULES_DIR}"


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_case_file_parses_as_a_list_of_cases(path):
    cases = load_cases(path)
    assert cases, f"{path.name}: no cases"
    assert all(isinstance(c, dict) for c in cases), f"{path.name}: every case must be a mapping"


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_case_names_are_unique_within_a_file(path):
    names = [c.get("name") for c in load_cases(path) if isinstance(c, dict)]
    duplicates = sorted({n for n in names if names.count(n) > 1}, key=str)
    assert not duplicates, f"{path.name}: duplicate case names {duplicates}"


@pytest.mark.parametrize("item", CASES, ids=_case_id)
def test_case_has_the_case_keys_only(item):
    _, _, case = item
    missing = REQUIRED_CASE_KEYS - set(case)
    unknown = set(case) - CASE_KEYS
    assert not missing, f"missing keys {sorted(missing)}"
    assert not unknown, f"unknown case keys {sorted(unknown)}"


@pytest.mark.parametrize("item", CASES, ids=_case_id)
def test_case_name_is_a_sentence(item):
    _, _, case = item
    name = case.get("name")
    assert isinstance(name, str), "name must be a string"
    assert len(name.split()) >= 4, f"name {name!r} is not a sentence (needs at least 4 words)"
    assert "[" not in name and "]" not in name, "brackets in a name clash with pytest's item ids"


@pytest.mark.parametrize("item", CASES, ids=_case_id)
def test_case_as_of_is_a_date(item):
    _, _, case = item
    value = case.get("as_of")
    if not isinstance(value, dt.date):
        dt.date.fromisoformat(str(value))


@pytest.mark.parametrize("item", CASES, ids=_case_id)
def test_case_ambiguous_note_is_text(item):
    _, _, case = item
    if "ambiguous" in case:
        assert isinstance(case["ambiguous"], str) and case["ambiguous"].strip(), "ambiguous needs a note"


@pytest.mark.parametrize("item", CASES, ids=_case_id)
def test_expect_uses_valid_area_and_metric_ids(item):
    _, _, case = item
    expect = case.get("expect")
    assert isinstance(expect, dict) and expect, "expect must map partners to areas"
    problems = []
    for partner, areas in expect.items():
        if not isinstance(areas, dict):
            problems.append(f"{partner}: expected a mapping of areas")
            continue
        for area, body in areas.items():
            if area not in AREA_METRICS:
                problems.append(f"{partner}: unknown area {area!r}")
                continue
            if not isinstance(body, dict):
                problems.append(f"{partner}.{area}: expected a mapping")
                continue
            for key, value in body.items():
                if key in NOTE_KEYS:
                    continue
                if key in AREA_KEYS:
                    if key == "track" and value not in TRACKS:
                        problems.append(f"{partner}.{area}.track: {value!r} is not enterprise/smb/null")
                    if key == "qualified" and not isinstance(value, bool):
                        problems.append(f"{partner}.{area}.qualified: {value!r} is not a boolean")
                    if key == "points" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                        problems.append(f"{partner}.{area}.points: {value!r} is not a number")
                    continue
                if key not in AREA_METRICS[area]:
                    problems.append(f"{partner}.{area}: {key!r} is not a metric of {area}")
                    continue
                if not isinstance(value, dict) or not value:
                    problems.append(f"{partner}.{area}.{key}: expected a mapping of points/value")
                    continue
                for mkey, mvalue in value.items():
                    if mkey in NOTE_KEYS:
                        continue
                    if mkey not in METRIC_KEYS:
                        problems.append(f"{partner}.{area}.{key}: unknown key {mkey!r}")
                    elif mvalue is not None and (isinstance(mvalue, bool) or not isinstance(mvalue, (int, float))):
                        problems.append(f"{partner}.{area}.{key}.{mkey}: {mvalue!r} is not a number or null")
                    elif mkey == "points" and mvalue is None:
                        problems.append(f"{partner}.{area}.{key}.points: points are never null")
    assert not problems, "\n".join(problems)


def _raw_rows(table: str, spec) -> list[dict]:
    """The rows as written in the case (before the plugin fills defaults)."""
    if spec is None:
        return []
    if table == "subscriptions" and isinstance(spec, dict):
        rows = []
        for sub_id, body in spec.items():
            if isinstance(body, str):
                parts = body.split()
                assert len(parts) in (3, 4, 5), f"subscription {sub_id}: 'TENANT PROGRAM CLOUD [START [END]]'"
                body = dict(zip(("tenant_id", "program", "cloud", "start_date", "end_date"), parts))
            assert isinstance(body, dict), f"subscription {sub_id}: expected a string or a mapping"
            rows.append({"subscription_id": sub_id, **body})
        return rows
    assert isinstance(spec, list), f"{table}: expected a list of rows"
    assert all(isinstance(r, dict) for r in spec), f"{table}: every row must be a mapping"
    return spec


@pytest.mark.parametrize("item", CASES, ids=_case_id)
def test_input_rows_use_contract_tables_and_columns_only(item):
    _, _, case = item
    given = case.get("input") or {}
    assert isinstance(given, dict), "input must map table names to rows"
    unknown_tables = set(given) - set(CONTRACT_COLUMNS)
    assert not unknown_tables, f"unknown input tables {sorted(unknown_tables)}"
    problems = []
    for table, spec in given.items():
        for n, row in enumerate(_raw_rows(table, spec), start=1):
            extra = set(row) - set(CONTRACT_COLUMNS[table])
            if extra:
                problems.append(f"{table} row {n}: columns {sorted(extra)} are not in the data contract")
    # The expanded tables (defaults filled, compact forms unrolled) must hold contract columns too.
    for table, rows in build_tables(case).items():
        for n, row in enumerate(rows, start=1):
            extra = set(row) - set(CONTRACT_COLUMNS[table])
            if extra:
                problems.append(f"{table} (expanded) row {n}: columns {sorted(extra)} are not in the data contract")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("item", CASES, ids=_case_id)
def test_input_enumerated_columns_hold_contract_values(item):
    _, _, case = item
    problems = []
    for table, rows in build_tables(case).items():
        for n, row in enumerate(rows, start=1):
            for column, value in row.items():
                allowed = ENUMS.get((table, column))
                if allowed is not None and value is not None and str(value) not in allowed:
                    problems.append(f"{table} row {n}: {column}={value!r} is not one of {sorted(allowed)}")
    assert not problems, "\n".join(problems)
