"""`plan`: the cheapest actions that make a partner qualify, chosen by CP-SAT over effects the engine measures.

The optimality tests compare the solver (with its verification and cuts) against exhaustive search:
every combination of the candidates is scored by the engine, and for any costs the plan must cost
exactly as little as the cheapest qualifying combination.
"""

from __future__ import annotations

import itertools
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.decisions.candidates import Action, load_costs
from partnerscore.decisions.plan import baseline, candidates_for, measure, plan, target_days
from partnerscore.decisions.solver import qualifies, solve_verified
from partnerscore.decisions.variants import score_variants
from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.scoring import score
from partnerscore.engine.whatif import AddAssociation, changed_tables, parse_scenario
from partnerscore.errors import PartnerscoreError
from test_plan_cases import AZURE_SMB_LINKED, build

DAY = date(2026, 10, 31)
AREA = "infrastructure"


@pytest.fixture(scope="module")
def azure_db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("plan"), AZURE_SMB_LINKED)


VARIANTS = [
    ("the empty scenario", []),
    ("ending P1's DPOR on T1 before the trailing twelve months", [
        {"action": "end_association", "association_id": "A1", "end_date": "2025-10-31"}]),
    ("P1 taking over P2's DPOR on T4", [
        {"action": "add_association", "association_id": "N1", "partner_id": "P1", "type": "DPOR", "tenant_id": "T4",
         "subscription_id": "S4", "start_date": "2026-10-01"}]),
    ("a PAL on T2 and two certifications", [
        {"action": "add_association", "association_id": "N2", "partner_id": "P1", "type": "PAL", "tenant_id": "T2",
         "subscription_id": "S2", "rbac_role": "Contributor", "start_date": "2026-10-31"},
        {"action": "add_certification", "partner_id": "P1", "person_id": "u1", "certification": "AZ-305",
         "earned_on": "2026-10-31"},
        {"action": "add_certification", "partner_id": "P1", "person_id": "u2", "certification": "AZ-700",
         "earned_on": "2026-10-31"}]),
    ("T2's subscription moving to CSP under a DPOR", [
        {"action": "add_association", "association_id": "N3", "partner_id": "P1", "type": "DPOR", "tenant_id": "T2",
         "subscription_id": "S2", "start_date": "2026-09-01"},
        {"action": "move_subscription", "subscription_id": "S2", "program": "CSP"}]),
]


def test_batched_variants_score_exactly_as_separate_whatifs(azure_db):
    tables = open_duckdb(azure_db)
    scenarios = [parse_scenario(changes) for _name, changes in VARIANTS]
    batched = score_variants(tables, "P1", DAY, [DAY], scenarios)[DAY]
    for (name, _), changes, clone in zip(VARIANTS, scenarios, batched):
        alone = score(changed_tables(tables, changes, DAY) if changes else tables, DAY, partners=["P1"]).partner("P1")
        assert clone.to_json()["areas"] == alone.to_json()["areas"], name


def test_plan_finds_the_cheapest_actions_on_a_hand_built_partner(azure_db):
    result = plan(open_duckdb(azure_db), "P1", AREA, DAY)
    assert result.status == "plan"
    assert {(s.action_id, s.count) for s in result.steps} == {
        ("pal:T2", 1), ("pal:T3", 1), ("step:advanced_certifications:1", 1),
        ("certify:infrastructure_advanced", 1), ("certify:infrastructure_intermediate", 2)}
    assert result.total_cost == 5600
    after = result.after[DAY]
    assert after.qualified and float(after.points) == 70
    assert result.rounds == 1


def test_the_plan_scenario_replays_to_the_same_verified_score(azure_db):
    tables = open_duckdb(azure_db)
    result = plan(tables, "P1", AREA, DAY)
    replay = score(changed_tables(tables, parse_scenario(result.to_json()["scenario"]), DAY), DAY, partners=["P1"])
    assert replay.partner("P1").area(AREA).to_json() == result.after[DAY].to_json()


def test_a_partner_already_qualified_needs_no_action(tmp_path):
    case = {**AZURE_SMB_LINKED, "associations": AZURE_SMB_LINKED["associations"] + [
        (f"A{t}", "P1", "PAL", t, s, "", "Owner", "", "", "2024-01-01", "") for t, s in (("T2", "S2"), ("T3", "S3"))],
        "certifications": AZURE_SMB_LINKED["certifications"] + [
            ("P1", p, c, "2024-01-01", "") for p, c in (("u1", "AZ-305"), ("u1", "AZ-700"), ("u1", "AZ-140"),
                                                         ("u2", "AZ-700"))]}
    result = plan(open_duckdb(build(tmp_path, case)), "P1", AREA, DAY)
    assert result.status == "qualified already" and result.steps == [] and result.candidates == []


def test_planning_for_a_later_day_renews_an_association_that_ends_before_it(tmp_path):
    case = {**AZURE_SMB_LINKED,
            "associations": [("A1", "P1", "DPOR", "T1", "S1", "", "", "", "", "2024-01-01", "2026-11-20")]
            + AZURE_SMB_LINKED["associations"][1:]}
    by = date(2026, 12, 31)
    result = plan(open_duckdb(build(tmp_path, case)), "P1", AREA, DAY, by=by)
    assert result.usage_model and "average of its last 3 reported months" in result.usage_model
    assert result.before[by].metric("usage_growth").points == 0
    # Under the flat projection T1's ACR no longer grows: growth needs T1 kept *and* T2 added, a synergy
    # the one-at-a-time effects cannot see, so the plan comes from the verified local search.
    assert result.status.startswith("plan") and result.after[by].qualified
    assert {"renew:A1", "pal:T2"} <= {s.action_id for s in result.steps}


def test_without_customers_to_add_no_set_qualifies_and_the_best_reachable_score_is_shown(azure_db):
    result = plan(open_duckdb(azure_db), "P1", AREA, DAY, max_customers=0)
    assert result.status == "unreachable"
    after = result.after[DAY]
    assert not after.qualified and after.metric("net_customer_adds").points == 0
    assert after.metric("intermediate_certifications").points == 20  # every certification candidate taken


# --- optimality against exhaustive search -------------------------------------------------------------

def _overlapping_dpor(actions: list[Action]) -> list[Action]:
    """A DPOR on T2's subscription beside the PAL on it: both cover the same usage, so together they
    are worth one customer, not two; the model adds them and the verification must cut that."""
    dpor = AddAssociation(action="add_association", association_id="x-dpor-T2", partner_id="P1", type="DPOR",
                          tenant_id="T2", subscription_id="S2", start_date=DAY)
    return actions + [Action("dpor:T2", "request_dpor", "request DPOR on T2", 1500, [[dpor]])]


CANDIDATE_SETS = [
    ("every generated candidate", lambda actions: actions),
    ("an overlapping DPOR beside the PAL on the same subscription", _overlapping_dpor),
    ("certifications only: no customer can be added", lambda actions: [a for a in actions if "certify" in a.kind or a.id.startswith("step")]),
]


def _small(action: Action) -> Action:
    """At most two people per certification candidate, to keep the exhaustive search small."""
    return Action(action.id, action.kind, action.label, action.unit_cost, action.units[:2], action.requires)


@pytest.fixture(scope="module")
def exhaustive(azure_db):
    """For each candidate set: the measured problem, and the engine's points for every combination."""
    tables = open_duckdb(azure_db)
    work, before, _ = baseline(tables, "P1", AREA, [DAY])
    generated = candidates_for(work, "P1", AREA, DAY, [DAY], before, load_costs())
    found = {}
    for name, pick in CANDIDATE_SETS:
        actions = [_small(a) for a in pick(generated)]
        problem = measure(work, "P1", AREA, DAY, [DAY], actions, before)
        ids = [a.id for a in actions]
        combos = [dict(zip(ids, counts)) for counts in itertools.product(*[range(a.max_count + 1) for a in actions])]
        by_id = {a.id: a for a in actions}
        combos = [c for c in combos if all(c[r] for a in actions if c[a.id] for r in a.requires)]
        changes = [[ch for aid, n in c.items() for ch in by_id[aid].changes(n)] for c in combos]
        scale = problem.max_points["deployments"] // 10
        truth = {}
        for start in range(0, len(changes), 256):
            batch = score_variants(work, "P1", DAY, [DAY], changes[start:start + 256])[DAY]
            for combo, partner in zip(combos[start:start + 256], batch):
                area = partner.area(AREA)
                truth[_key(combo)] = {(DAY, m.metric): int(m.points * scale) for m in area.metrics}
        found[name] = (problem, actions, truth)
    return found


def _key(counts: dict[str, int]) -> tuple:
    return tuple(sorted((k, v) for k, v in counts.items() if v))


@pytest.mark.parametrize("name", [name for name, _ in CANDIDATE_SETS])
@settings(max_examples=25, deadline=None)
@given(prices=st.lists(st.integers(0, 40), min_size=12, max_size=12))
def test_plan_costs_as_little_as_exhaustive_search_whatever_the_costs(exhaustive, name, prices):
    problem, actions, truth = exhaustive[name]
    problem.cuts.clear()
    problem.cents = {a.id: prices[i % len(prices)] * 100 for i, a in enumerate(actions)}
    qualifying = [sum(problem.cents[a] * n for a, n in combo) for combo, points in truth.items()
                  if qualifies(problem, points)]
    counts, points, _rounds = solve_verified(problem, lambda c: truth[_key(c)], max_rounds=50)
    if not qualifying:
        assert counts is None or not qualifies(problem, points)
    else:
        assert counts is not None and qualifies(problem, points)
        assert sum(problem.cents[a] * n for a, n in counts.items()) == min(qualifying)


# --- target days, costs and the command line ---------------------------------------------------------

@pytest.mark.parametrize("as_of, by, keep, expected", [
    ("2026-10-31", None, False, ["2026-10-31"]),
    ("2026-10-31", "2027-01-15", False, ["2027-01-15"]),
    ("2026-10-31", "2027-01-15", True, ["2026-10-31", "2026-11-30", "2026-12-31", "2027-01-15"]),
    ("2026-11-10", "2026-12-31", True, ["2026-11-30", "2026-12-31"]),
], ids=["by default the plan qualifies on the as-of day", "--by moves the target day",
        "--keep adds every month end on the way", "--keep starts at the first month end after the as-of day"])
def test_target_days(as_of, by, keep, expected):
    days = target_days(date.fromisoformat(as_of), date.fromisoformat(by) if by else None, keep)
    assert [d.isoformat() for d in days] == expected


def test_a_target_day_before_the_actions_is_refused():
    with pytest.raises(PartnerscoreError, match="before the day the actions are taken"):
        target_days(DAY, date(2026, 1, 1), False)


def test_a_cost_file_overrides_only_the_keys_it_lists(tmp_path):
    path = tmp_path / "costs.yaml"
    path.write_text("currency: EUR\nactions:\n  link_pal: 50\n  request_dpor: {cost: 99}\n")
    costs = load_costs(path)
    assert (costs.currency, costs.actions["link_pal"], costs.actions["request_dpor"]) == ("EUR", 50, 99)
    assert costs.actions["certify_person"] == load_costs().actions["certify_person"]


@pytest.mark.parametrize("text, message", [
    ("actions:\n  bribe_customer: 10\n", "actions.bribe_customer: unknown action"),
    ("actions:\n  link_pal: -5\n", "actions.link_pal: cost must be a number ≥ 0"),
], ids=["an unknown action is named", "a negative cost is refused"])
def test_a_bad_cost_file_gets_an_error_naming_the_key(tmp_path, text, message):
    path = tmp_path / "costs.yaml"
    path.write_text(text)
    with pytest.raises(PartnerscoreError, match=message):
        load_costs(path)


def test_when_pal_links_are_dear_the_plan_requests_a_dpor_instead(azure_db, tmp_path):
    path = tmp_path / "costs.yaml"
    path.write_text("actions:\n  link_pal: 90000\n")
    result = plan(open_duckdb(azure_db), "P1", AREA, DAY, costs=load_costs(path))
    kinds = [s.action_id for s in result.steps if s.kind in ("link_pal", "request_dpor")]
    # T3's subscription is CSP, where a DPOR does not count: T2 is the only customer left to add.
    assert result.status == "plan" and kinds == ["dpor:T2"]
    assert result.after[DAY].qualified


def test_plan_command_prints_the_actions_the_cost_and_the_verified_score(azure_db):
    run = CliRunner().invoke(app, ["plan", "P1", AREA, "--db", str(azure_db), "--as-of", "2026-10-31"])
    assert run.exit_code == 0, run.output
    assert "cheapest plan: 5 action(s), USD 5,600" in run.output
    assert "link PAL (Contributor) on 1 subscription of customer Customer T2 (T2)" in run.output
    assert "34 → 70 points, smb path, qualified" in run.output


def test_plan_command_json_is_a_replayable_scenario(azure_db):
    run = CliRunner().invoke(app, ["plan", "P1", AREA, "--db", str(azure_db), "--as-of", "2026-10-31", "-f", "json"])
    doc = json.loads(run.output)
    assert doc["status"] == "plan" and doc["total_cost"] == 5600
    assert len(parse_scenario(doc["scenario"])) == 6


def test_plan_command_names_an_unknown_area(azure_db):
    run = CliRunner().invoke(app, ["plan", "P1", "cooking", "--db", str(azure_db), "--as-of", "2026-10-31"])
    assert run.exit_code == 1 and "unknown area 'cooking'" in run.output
