"""What-if replays the unchanged engine on a changed copy of the tables; the stored ledger stays as it was."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.scoring import score
from partnerscore.engine.whatif import areas_moved, changed_tables, parse_scenario, whatif
from partnerscore.rules.load import rules_at
from partnerscore.errors import PartnerscoreError
from partnerscore.ingest.importer import import_dataset

DAY = date(2026, 10, 31)


@pytest.fixture
def small_db(small_dataset: Path, tmp_path: Path) -> Path:
    db = tmp_path / "p.duckdb"
    import_dataset(small_dataset, db)
    return db


def area(result, name: str) -> dict:
    return next(a for a in result.to_json()["areas"] if a["area"] == name)


CASES = [
    ("Two more Azure Solutions Architects and one Virtual Desktop specialist earn Infrastructure advanced points",
     [{"action": "add_certification", "partner_id": "P1", "person_id": p, "certification": c, "earned_on": "2026-01-01"}
      for p, c in [("a1", "AZ-305"), ("a2", "AZ-305"), ("a3", "Azure Virtual Desktop Specialty")]],
     "infrastructure", "advanced_certifications", 0.0, 4.0),
    ("Ending the DPOR on T1 before the trailing twelve months leaves only T2's SQL Database as a deployment",
     [{"action": "end_association", "association_id": "A1", "end_date": "2025-10-31"}],
     "infrastructure", "deployments", 6.0, 2.0),
    ("A PAL with an eligible role on T1's subscription keeps its ACR counting after the DPOR ends",
     [{"action": "end_association", "association_id": "A1", "end_date": "2025-10-31"},
      {"action": "add_association", "association_id": "NEW-PAL", "partner_id": "P1", "type": "PAL", "tenant_id": "T1",
       "subscription_id": "S1", "rbac_role": "Contributor", "start_date": "2024-01-01"}],
     "infrastructure", "deployments", 6.0, 6.0),
]


@pytest.mark.parametrize("name, changes, area_name, metric, before, after", CASES, ids=[c[0] for c in CASES])
def test_whatif_changes_only_what_the_scenario_touches(small_db, name, changes, area_name, metric, before, after):
    result = whatif(open_duckdb(small_db), "P1", DAY, parse_scenario(changes))
    row = next(m for m in area(result, area_name)["metrics"] if m["metric"] == metric)
    assert (row["before"], row["after"]) == (before, after)


def _pal(partner: str, tenant: str, subscription: str) -> dict:
    return {"action": "add_association", "association_id": "X", "partner_id": partner, "type": "PAL",
            "tenant_id": tenant, "subscription_id": subscription, "rbac_role": "Contributor",
            "start_date": "2024-01-01"}


SCOPED = [
    ("A Modern Work certification moves Modern Work alone",
     [{"action": "add_certification", "partner_id": "P1", "person_id": "n1",
       "certification": "Enterprise Administrator Expert", "earned_on": "2026-01-01"}], ["modern_work"]),
    ("An Azure Administrator expiring moves the three Azure areas that list AZ-104",
     [{"action": "expire_certification", "partner_id": "P1", "person_id": "u2", "certification": "AZ-104",
       "expires_on": "2026-06-30"}], ["data_ai", "infrastructure", "digital_app_innovation"]),
    ("A certification no rule lists moves no area", [{"action": "add_certification", "partner_id": "P1",
      "person_id": "n1", "certification": "Knitting Fundamentals", "earned_on": "2026-01-01"}], []),
    ("Another partner's DPOR on P1's subscription takes the DPOR over",
     [{"action": "add_association", "association_id": "X", "partner_id": "P2", "type": "DPOR", "tenant_id": "T1",
       "subscription_id": "S1", "start_date": "2026-03-01"}], None),
    ("A PAL link replacing the DPOR on T1", [{"action": "end_association", "association_id": "A1",
                                              "end_date": "2025-10-31"}, _pal("P1", "T1", "S1")], None),
    ("A CPOR claim on another partner's Exchange customer",
     [{"action": "add_association", "association_id": "X", "partner_id": "P1", "type": "CPOR_OSU", "tenant_id": "T3",
       "workload": "Exchange Online", "start_date": "2025-01-01"}], None),
    ("Ending the Exchange CPOR", [{"action": "end_association", "association_id": "A4", "end_date": "2026-01-31"}],
     None),
    ("A subscription moving to CSP moves every area",
     [{"action": "move_subscription", "subscription_id": "S1", "program": "CSP"}], "all"),
]


@pytest.mark.parametrize("name, changes, expected_areas", SCOPED, ids=[c[0] for c in SCOPED])
def test_scoring_only_the_areas_a_scenario_can_move_gives_the_full_rescore(small_db, name, changes, expected_areas):
    tables, scenario = open_duckdb(small_db), parse_scenario(changes)
    moved = areas_moved(tables, rules_at(DAY), scenario)
    if expected_areas == "all":
        assert len(moved) == 6
    elif expected_areas is not None:
        assert moved == expected_areas
    full = score(changed_tables(tables, scenario, DAY), DAY, partners=["P1"]).partner("P1").to_json()
    assert whatif(tables, "P1", DAY, scenario).after.partner("P1").to_json() == full


def test_whatif_never_writes_the_stored_ledger(small_db):
    changes = parse_scenario([{"action": "end_association", "association_id": "A1", "end_date": "2025-12-31"}])
    whatif(open_duckdb(small_db), "P1", DAY, changes)
    versions = open_duckdb(small_db).associations.count().to_pyarrow().as_py()
    assert versions == 4


BAD = [
    ("A missing key is named with the change's position and action",
     [{"action": "add_certification", "partner_id": "P1"}],
     "scenario: change 1 (add_certification) person_id: Field required"),
    ("An unknown action is named", [{"action": "retire_everyone"}],
     "scenario: change 1 (retire_everyone): unknown action 'retire_everyone'"),
    ("The engine itself, without the front doors' checks, still refuses an association it cannot end",
     [{"action": "end_association", "association_id": "NOPE", "end_date": "2026-01-01"}],
     "no association 'NOPE' is known on 2026-10-31"),
]


@pytest.mark.parametrize("name, changes, message", BAD, ids=[c[0] for c in BAD])
def test_a_bad_scenario_gets_a_clear_error_naming_the_change_and_key(small_db, name, changes, message):
    with pytest.raises(PartnerscoreError) as exc:
        whatif(open_duckdb(small_db), "P1", DAY, parse_scenario(changes))
    assert str(exc.value).startswith(message)


WHY = [
    ("The three people who earn the certifications are the ones who entered the metric",
     CASES[0][1], "infrastructure", "advanced_certifications", {"entered": {"a1", "a2", "a3"}, "left": set()}),
    ("Ending the DPOR on T1 before the trailing twelve months shows T1's Key Vault and Storage leaving the deployments",
     CASES[1][1], "infrastructure", "deployments", {"entered": set(), "left": {"key vault", "storage"}}),
]


@pytest.mark.parametrize("name, changes, area_name, metric, expected", WHY, ids=[c[0] for c in WHY])
def test_whatif_names_the_customers_and_people_who_made_the_difference(small_db, name, changes, area_name, metric,
                                                                        expected):
    result = whatif(open_duckdb(small_db), "P1", DAY, parse_scenario(changes))
    row = next(m for m in area(result, area_name)["metrics"] if m["metric"] == metric)
    assert {change: {e["entity"] for e in row[change]} for change in expected} == expected


def test_whatif_without_why_lists_no_entities(small_db):
    result = whatif(open_duckdb(small_db), "P1", DAY, parse_scenario(CASES[0][1]), why=False)
    assert all(not m["entered"] for a in result.to_json()["areas"] for m in a["metrics"])
