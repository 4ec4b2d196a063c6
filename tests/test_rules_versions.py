"""The program versions as rule files (program-rules section 8), read like the version table.

Every rule file loads and validates; every formula finds the parameters it reads; `rules_at` picks
the version in force on each side of every boundary date; the differences between versions show in
scores computed by the unchanged engine; and editing a threshold in a copied rules directory changes
a score without touching code.
"""

from __future__ import annotations

import shutil
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from rules_plugin import build_tables, write_dataset

from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.metrics import CLASSIFIERS, FORMULAS
from partnerscore.engine.scoring import score
from partnerscore.errors import RuleFileError
from partnerscore.ingest.importer import import_dataset
from partnerscore.rules.load import all_rule_files, default_rules_dir, load_file, rules_at
from partnerscore.rules.names import is_known_workload
from partnerscore.rules.schema import AREAS, AreaRules

LAUNCH, SEPT_2023, DEC_2023, CURRENT = "2022-10-03", "2023-09-19", "2023-12-01", "2024-07-01"
AZURE_AREAS = ("data_ai", "infrastructure", "digital_app_innovation")

#: The parameters each formula reads (dotted: a key inside a part), from engine/metrics/*.py.
FORMULA_PARAMS = {
    "azure.net_customer_adds": ["counts", "min_month_acr_usd"],
    "azure.usage_growth": ["counts", "min_ttm_acr_usd"],
    "azure.deployments": ["counts", "excluded_workloads"],
    "modern_work.net_customer_adds": ["counts", "workloads", "eligible_tenant.min_paid_units"],
    "modern_work.usage_growth": ["by_type", "workloads", "eligible_tenant.min_paid_units"],
    "modern_work.deployments": ["by_type", "workloads", "eligible_tenant.min_paid_units", "active_share"],
    "security.net_customer_adds": ["azure.counts", "azure.workloads", "azure.min_ttm_acr_usd",
                                   "m365.counts", "m365.workloads", "m365.eligible_tenant.min_paid_units"],
    "security.usage_growth": ["azure.counts", "azure.workloads", "azure.tenant_ttm_acr_usd", "azure.usd_per_point",
                              "m365.counts", "m365.workloads", "m365.eligible_tenant.min_paid_units",
                              "m365.users_per_point"],
    "security.deployments": ["azure.counts", "azure.workloads", "azure.tenant_ttm_acr_usd",
                             "m365.counts", "m365.workloads", "m365.eligible_tenant.min_paid_units",
                             "m365.active_share"],
    "business_applications.net_customer_adds": ["counts", "workloads", "revenue_usd"],
    "business_applications.usage_growth": ["coverage", "cpor_osu_programs", "min_baseline_mcv"],
    "business_applications.deployments": ["coverage", "cpor_osu_programs", "min_pair_mcv"],
    "certified_people": ["certifications"],
    "stepped_certifications": ["steps", "last_step"],
}
CLASSIFIER_PARAMS = {
    "azure_customer_segment": ["smb_share", "smb_ttm_acr_at_most_usd", "counts"],
    "business_applications_pairs": ["min_pairs", "revenue_above_usd", "counts", "workloads"],
}


def _area_files() -> list:
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in all_rule_files() if p.parent.name != "associations"]


def _load(path: Path) -> AreaRules:
    return load_file(path, "area")


def _lookup(params: dict, dotted: str):
    value = params
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return KeyError
        value = value[key]
    return value


def _workload_list_names(rules: AreaRules) -> list[str]:
    """Every workload-list name a metric or the path selection refers to, nested parts included."""
    names = []
    for metrics in rules.paths.values():
        for rule in metrics.values():
            p = rule.params
            names += [p[k] for k in ("workloads", "excluded_workloads") if k in p]
            names += [p[part]["workloads"] for part in ("azure", "m365") if part in p]
            names += [c["workloads"] for c in p.get("coverage", [])]
    names += [rules.path_selection.params[k] for k in ("workloads",) if k in rules.path_selection.params]
    return names


# --- every file loads, and every formula finds its parameters ---------------------------------------

def test_formula_params_table_lists_every_registered_formula():
    assert set(FORMULA_PARAMS) == set(FORMULAS)
    assert set(CLASSIFIER_PARAMS) == set(CLASSIFIERS)


@pytest.mark.parametrize("path", all_rule_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rule_file_loads_and_validates(path):
    kind = "associations" if path.parent.name == "associations" else "area"
    rules = load_file(path, kind)
    assert rules.effective_from.isoformat() == path.stem


@pytest.mark.parametrize("path", _area_files())
def test_rule_file_gives_each_formula_its_params(path):
    rules = _load(path)
    missing = []
    for path_name, metrics in rules.paths.items():
        for metric, rule in metrics.items():
            assert rule.formula in FORMULAS, f"{path_name}.{metric}: unknown formula {rule.formula}"
            missing += [f"{path_name}.{metric}.{k}" for k in FORMULA_PARAMS[rule.formula]
                        if _lookup(rule.params, k) is KeyError]
            assert rule.per_unit or rule.threshold or rule.params.get("by_type"), f"{path_name}.{metric}: no points basis"
    selection = rules.path_selection
    missing += [f"path_selection.{k}" for k in CLASSIFIER_PARAMS.get(selection.method, []) if k not in selection.params]
    assert not missing


@pytest.mark.parametrize("path", _area_files())
def test_rule_file_names_only_known_workloads_and_its_own_lists(path):
    rules = _load(path)
    unknown_lists = [n for n in _workload_list_names(rules) if n not in rules.workload_lists]
    unknown_names = [w for names in rules.workload_lists.values() for w in names if not is_known_workload(w)]
    unknown_names += [w for w in rules.mcv_rates if not is_known_workload(w)]
    assert (unknown_lists, unknown_names) == ([], [])


@pytest.mark.parametrize("path", _area_files())
def test_rule_file_single_path_method_has_exactly_one_path(path):
    rules = _load(path)
    assert (rules.path_selection.method == "single") == (len(rules.paths) == 1)


# --- which version is in force on a day -------------------------------------------------------------

def _expected(azure: str, modern_work: str, security: str, business_applications: str) -> dict:
    return {**dict.fromkeys(AZURE_AREAS, azure), "modern_work": modern_work, "security": security,
            "business_applications": business_applications}


BOUNDARIES = [
    pytest.param(date(2022, 10, 3), _expected(LAUNCH, LAUNCH, LAUNCH, LAUNCH), "days",
                 id="On the launch day every area has its launch rules"),
    pytest.param(date(2023, 9, 18), _expected(LAUNCH, LAUNCH, LAUNCH, LAUNCH), "days",
                 id="The day before the 2023 pages the launch rules still hold"),
    pytest.param(date(2023, 9, 19), _expected(SEPT_2023, SEPT_2023, SEPT_2023, SEPT_2023), "months_same_day",
                 id="On 2023-09-19 every area takes the 2023 pages"),
    pytest.param(date(2023, 11, 30), _expected(SEPT_2023, SEPT_2023, SEPT_2023, SEPT_2023), "months_same_day",
                 id="The day before December 2023 Security and Business Applications keep the September rules"),
    pytest.param(date(2023, 12, 1), _expected(SEPT_2023, SEPT_2023, DEC_2023, DEC_2023), "months_same_day",
                 id="On 2023-12-01 only Security and Business Applications change"),
    pytest.param(date(2024, 6, 30), _expected(SEPT_2023, SEPT_2023, DEC_2023, DEC_2023), "months_same_day",
                 id="The day before the current tables the December 2023 rules hold"),
    pytest.param(date(2024, 7, 1), _expected(CURRENT, CURRENT, CURRENT, CURRENT), "full_calendar_months",
                 id="On 2024-07-01 every area takes the current tables"),
]


@pytest.mark.parametrize(("day", "expected", "window"), BOUNDARIES)
def test_rules_at_picks_the_version_in_force(day, expected, window):
    rules = rules_at(day)
    assert {area: rules.areas[area].effective_from.isoformat() for area in AREAS} == expected
    assert {r.qualification_window.kind for r in rules.areas.values()} == {window}
    assert rules.version == max(expected.values())


def test_rules_at_before_the_launch_says_no_version_is_in_force():
    with pytest.raises(RuleFileError, match="no rule version in force on 2022-10-02"):
        rules_at(date(2022, 10, 2))


PATHS = [
    pytest.param("security", date(2023, 12, 1), ["enterprise"], "single",
                 id="The 2023 Security page has one path"),
    pytest.param("security", date(2024, 7, 1), ["enterprise", "smb"], "best_total",
                 id="The current Security page has two paths and the better total counts"),
    pytest.param("data_ai", date(2023, 9, 19), ["enterprise"], "single",
                 id="The 2023 Azure page has one path"),
    pytest.param("data_ai", date(2024, 7, 1), ["enterprise", "smb"], "azure_customer_segment",
                 id="The current Azure page classifies partners into one of two paths"),
    pytest.param("modern_work", date(2023, 9, 19), ["enterprise", "smb"], "best_total",
                 id="Modern Work scores both paths in every version"),
    pytest.param("business_applications", date(2022, 10, 3), ["enterprise", "smb"], "business_applications_pairs",
                 id="Business Applications classifies by revenue pairs from the launch on"),
]


@pytest.mark.parametrize(("area", "day", "paths", "method"), PATHS)
def test_rules_at_gives_each_version_its_paths(area, day, paths, method):
    rules = rules_at(day).areas[area]
    assert (list(rules.paths), rules.path_selection.method) == (paths, method)


def test_rules_at_keeps_the_promoted_tenant_rule_out_of_2023_modern_work():
    def promoted(day):
        smb = rules_at(day).areas["modern_work"].paths["smb"]
        return {m: r.params["eligible_tenant"].get("promoted_stays_eligible", False)
                for m, r in smb.items() if "eligible_tenant" in r.params}
    assert set(promoted(date(2024, 6, 30)).values()) == {False}
    assert set(promoted(date(2024, 7, 1)).values()) == {True}


# --- the versions' differences, scored by the unchanged engine ---------------------------------------

DATASET = {
    "input": {
        "customers": [{"tenant_id": "T5", "segment": "enterprise"}],
        "subscriptions": {"S4": "T4 EA azure", "S5": "T5 CSP azure"},
        "associations": [
            {"partner_id": "P4", "type": "PAL", "subscription_id": "S4", "rbac_role": "Contributor"},
            {"partner_id": "P5", "type": "CSP_DIRECT", "subscription_id": "S5"},
        ],
        "usage": [
            {"month": "2023-07..2024-07", "subscription_id": "S4", "workload": "Sentinel", "acr_usd": 25},
            {"month": "2026-10", "subscription_id": "S5", "workload": "Storage", "acr_usd": 600},
        ],
        # Everyone certified on 2022-01-01, before MS-500 retired (2023-06-30).
        "certifications": [{**row, "earned_on": date(2022, 1, 1)} for row in [
            {"partner_id": "P1", "person_id": "a1", "certification": "AZ-500"},
            {"partner_id": "P1", "person_id": "b1", "certification": "MS-500"},
            {"partner_id": "P1", "person_id": "c1", "certification": "SC-100"},
            {"partner_id": "P2", "person_id": ["a2", "b2"], "certification": ["AZ-500", "SC-200"]},
            {"partner_id": "P2", "person_id": "d2", "certification": "SC-200"},
            {"partner_id": "P3", "person_id": "e3", "certification": "Power Platform App Maker Associate"},
        ]],
    },
}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = write_dataset(build_tables(DATASET), tmp_path_factory.mktemp("versions") / "dataset")
    db = folder.parent / "versions.duckdb"
    import_dataset(folder, db)
    opened = open_duckdb(db)
    yield opened
    opened.backend.disconnect()


@pytest.fixture(scope="module")
def scored(tables):
    return cache(lambda day: score(tables, date.fromisoformat(day)))


VERSION_CASES = [
    pytest.param("2023-11-30", "P1", "security", "intermediate_certifications", "points", 6.67,
                 id="Before December 2023 one person in each Security step unlocks step-3 points, MS-500 in step 2"),
    pytest.param("2023-12-01", "P1", "security", "intermediate_certifications", "points", 0,
                 id="From December 2023 Security steps 1 and 2 need two people each"),
    pytest.param("2023-11-30", "P2", "security", "intermediate_certifications", "points", 20,
                 id="Before December 2023 Security Operations Analyst also counts in step 3"),
    pytest.param("2023-12-01", "P2", "security", "intermediate_certifications", "points", 0,
                 id="From December 2023 Security Operations Analyst no longer counts in step 3"),
    pytest.param("2023-11-30", "P3", "business_applications", "intermediate_certifications", "value", 1,
                 id="Power Platform App Maker counts for Business Applications until November 2023"),
    pytest.param("2023-12-01", "P3", "business_applications", "intermediate_certifications", "value", 0,
                 id="Power Platform App Maker stops counting for Business Applications on 2023-12-01"),
    pytest.param("2024-06-30", "P4", "security", "net_customer_adds", "points", 2,
                 id="A tenant with $300 Security ACR over the TTM is a 2023 Security add, at $100"),
    pytest.param("2024-07-31", "P4", "security", "net_customer_adds", "points", 0,
                 id="The same tenant is not a current Security add, at $600"),
]


@pytest.mark.parametrize(("day", "partner", "area", "metric", "key", "expected"), VERSION_CASES)
def test_score_applies_the_version_in_force(scored, day, partner, area, metric, key, expected):
    got = scored(day).partner(partner).area(area).metric(metric).to_json()[key]
    assert got == pytest.approx(expected, abs=0.005)


TRACKS = [
    pytest.param("2024-06-30", "2023-12-01", None, id="The 2023 Azure and Security pages give no track"),
    pytest.param("2024-07-31", "2024-07-01", "enterprise", id="The current pages give a track"),
]


@pytest.mark.parametrize(("day", "version", "track"), TRACKS)
def test_score_reports_the_version_and_its_tracks(scored, day, version, track):
    report = scored(day)
    areas = report.partner("P3").areas
    assert report.rules_version == version
    assert {a.track for a in areas if a.area in (*AZURE_AREAS, "security")} == {track}


# --- a user's own rules directory ---------------------------------------------------------------------

def test_score_with_an_edited_rules_directory_changes_without_code(tables, tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    edited = rules_dir / "data_ai" / f"{CURRENT}.yaml"
    text = edited.read_text()
    assert "min_month_acr_usd: 1000" in text
    edited.write_text(text.replace("min_month_acr_usd: 1000", "min_month_acr_usd: 500"))
    day = date(2026, 10, 31)

    def net_adds(rules):
        partner = score(tables, day, rules=rules, partners=["P5"]).partner("P5")
        return {area: partner.area(area).metric("net_customer_adds").points for area in ("data_ai", "infrastructure")}

    assert net_adds(rules_at(day)) == {"data_ai": 0, "infrastructure": 0}
    assert net_adds(rules_at(day, rules_dir)) == {"data_ai": 10, "infrastructure": 0}
