"""`diff`: the change of points per area and metric between two days, and the entities behind it."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.decisions.diff import diff
from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.scoring import score
from test_plan_cases import AZURE_SMB, build

SEP, OCT = date(2026, 9, 30), date(2026, 10, 31)

#: October: P1 links a PAL on T2 (ACR $800 a month since September) and u2 earns AZ-700.
OCTOBER = {**AZURE_SMB,
           "associations": AZURE_SMB["associations"] + [("A2", "P1", "PAL", "T2", "S2", "", "Contributor", "", "",
                                                          "2026-10-01", "")],
           "certifications": AZURE_SMB["certifications"] + [("P1", "u2", "AZ-700", "2026-10-15", "")]}


@pytest.fixture(scope="module")
def october_db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("diff"), OCTOBER)


@pytest.fixture(scope="module")
def infrastructure(october_db):
    result = diff(open_duckdb(october_db), "P1", SEP, OCT, areas=["infrastructure"])
    return {m.metric: m for m in result.areas[0].metrics}, result.areas[0]


def test_points_per_area_are_the_scores_of_both_days(infrastructure):
    _, area = infrastructure
    assert (area.points_from, area.points_to, area.qualified_to) == (34, 48, False)


@pytest.mark.parametrize("metric, change, entity_kind, entity, part, contribution", [
    ("net_customer_adds", "entered", "tenant", "T2", None, 1),
    ("intermediate_certifications", "entered", "person", "u2", "step 2 (points)", 1),
], ids=["The customer whose PAL started in October enters net customer adds",
        "The person certified in October enters the last skilling step"])
def test_the_entities_that_moved_a_metric_are_named(infrastructure, metric, change, entity_kind, entity, part,
                                                    contribution):
    metrics, _ = infrastructure
    moved = {(e["entity_kind"], e["entity"], e["part"], e["contribution"]) for e in getattr(metrics[metric], change)}
    assert (entity_kind, entity, part, contribution) in moved


def test_metrics_that_did_not_move_have_no_entities(infrastructure):
    metrics, _ = infrastructure
    deployments = metrics["deployments"]
    assert deployments.delta == 0 and not (deployments.entered or deployments.left or deployments.changed)


def test_a_rule_version_change_between_the_days_is_listed(october_db):
    result = diff(open_duckdb(october_db), "P1", date(2024, 6, 30), date(2024, 7, 31), areas=["infrastructure"])
    assert result.rules_from != result.rules_to
    assert "path smb added" in result.areas[0].rule_changes


def test_recorded_on_sees_the_ledger_as_the_scoring_engine_does(october_db):
    tables = open_duckdb(october_db)
    imported = tables.associations.imported_at.min().to_pyarrow().as_py().date()
    before_import = date.fromordinal(imported.toordinal() - 1)
    unknown = diff(tables, "P1", SEP, OCT, recorded_on=before_import, areas=["infrastructure"])
    engine = score(tables, OCT, partners=["P1"], recorded_on=before_import).partner("P1").area("infrastructure")
    assert engine.points == 0 and unknown.areas == []  # nothing recorded yet: nothing scored, nothing moved
    known = diff(tables, "P1", SEP, OCT, recorded_on=imported, areas=["infrastructure"])
    assert known.areas[0].points_to == 48


def test_diff_command_prints_each_area_and_the_entities(october_db):
    args = ["diff", "P1", "--from", "2026-09-30", "--to", "2026-10-31", "--db", str(october_db),
            "--area", "infrastructure"]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.output
    assert "infrastructure: 34 → 48 points (+14)" in run.output
    assert "entered tenant T2 +1 customer: added: ACR ≥ $500 in M-1 or M, not a year earlier" in run.output
    doc = json.loads(CliRunner().invoke(app, args + ["--format", "json"]).output)
    assert doc["areas"][0]["area"] == "infrastructure"


def test_diff_refuses_days_in_the_wrong_order(october_db):
    run = CliRunner().invoke(app, ["diff", "P1", "--from", "2026-10-31", "--to", "2026-09-30", "--db", str(october_db)])
    assert run.exit_code == 1 and "is before --from" in run.output


# --- what the output says: only the areas that moved, every contribution with its unit -------------

TABLE_CASES = [
    ("The areas that did not move are named in one line, not listed",
     [], ["3 areas unchanged: business_applications, modern_work, security"], ["\nsecurity:", "\nmodern_work:"]),
    ("A customer that entered a customer count is +1 customer",
     ["--area", "infrastructure"], ["entered tenant T2 +1 customer: added: ACR ≥ $500"], ["+1: added"]),
    ("A person that entered the last skilling step is +1 person",
     ["--area", "infrastructure"], ["entered person u2 [step 2 (points)] +1 person: counts: holds AZ-700"], []),
    ("A tenant whose ACR changed is a change in dollars of ACR",
     ["--area", "infrastructure"], ["tenant T2 +USD 800 ACR: grew"], []),
    ("The metrics of a moved area that did not move are named in one line",
     ["--area", "infrastructure"], ["  unchanged: "], ["  deployments:"]),
]


@pytest.mark.parametrize("options, present, absent", [c[1:] for c in TABLE_CASES], ids=[c[0] for c in TABLE_CASES])
def test_diff_table_says_what_moved_in_its_units(october_db, options, present, absent):
    run = CliRunner().invoke(app, ["diff", "P1", "--from", "2026-09-30", "--to", "2026-10-31", "--db", str(october_db),
                                   *options])
    assert run.exit_code == 0, run.output
    for text in present:
        assert text in run.output
    for text in absent:
        assert text not in run.output


def test_diff_json_names_the_unchanged_areas_and_every_contributions_unit(october_db):
    run = CliRunner().invoke(app, ["diff", "P1", "--from", "2026-09-30", "--to", "2026-10-31", "--db", str(october_db),
                                   "--format", "json"])
    doc = json.loads(run.output)
    assert doc["unchanged"] == ["business_applications", "modern_work", "security"]
    assert [a["area"] for a in doc["areas"]] == ["data_ai", "infrastructure", "digital_app_innovation"]
    moves = [e for a in doc["areas"] for m in a["metrics"] for change in ("entered", "left", "changed")
             for e in m[change]]
    assert moves and all(e["unit"] for e in moves)
    units = {(m["metric"], e["unit"]) for a in doc["areas"] for m in a["metrics"] for e in m["entered"]}
    assert {("net_customer_adds", "customers"), ("intermediate_certifications", "people")} <= units


def test_diff_with_nothing_moved_says_so_and_names_the_areas(october_db):
    run = CliRunner().invoke(app, ["diff", "P1", "--from", "2026-10-30", "--to", "2026-10-31", "--db", str(october_db),
                                   "--area", "security", "--area", "modern_work"])
    assert "no change in any area (modern_work, security)" in run.output
