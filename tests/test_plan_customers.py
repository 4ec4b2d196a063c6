"""`plan` offers a partner only its own customers, and never a claim another partner holds alone.

A partner's customers are the tenants on which it holds or held an association (`ledger/customers.py`).
Where the program allows one holder on a scope (`one_holder` in the association rule data: a DPOR per
subscription, a CPOR per customer and workload or per subscription), a scope another partner holds in
force between the day the actions are taken and the target day is never offered; a PAL, which several
partners may hold, names the others linked there.
"""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.decisions.candidates import Costs, load_costs
from partnerscore.decisions.holders import other_holders
from partnerscore.decisions.plan import baseline, candidates_for
from partnerscore.engine.connect import open_duckdb, register_arrow
from partnerscore.engine.whatif import AddAssociation
from partnerscore.ledger.associations import ledger_as_of
from partnerscore.ledger.customers import partner_customers
from partnerscore.rules.load import rules_at
from partnerscore.rules.names import workload_key
from partnerscore.rules.schema import AREAS
from test_plan_cases import AZURE_SMB, AZURE_SMB_LINKED, build

DAY = date(2026, 10, 31)
AREA = "infrastructure"


def candidate_ids(db, by: date = DAY, costs: Costs | None = None) -> dict[str, str]:
    """Every candidate action's id and label for P1 in infrastructure, acting on DAY to qualify on `by`.

    By default a PAL link costs more than a DPOR, so that a customer's DPOR, where one may be requested,
    is the action kept (of two covering the same usage, `plan` keeps the cheaper)."""
    packaged = load_costs()
    costs = costs or Costs(packaged.currency, {**packaged.actions, "link_pal": 90000.0}, packaged.notes)
    tables = open_duckdb(db)
    try:
        work, before, _ = baseline(tables, "P1", AREA, [by])
        return {a.id: a.label for a in candidates_for(work, "P1", AREA, DAY, [by], before, costs)}
    finally:
        tables.backend.disconnect()


def p2(kind: str, tenant: str, sub: str, start: str = "2024-01-01", end: str = "", role: str = "") -> tuple:
    return (f"B-{kind}-{tenant}", "P2", kind, tenant, sub, "", role, "", "", start, end)


# --- whose customers a plan names ----------------------------------------------------------------------

CUSTOMER_CASES = [
    ("tenants with usage on which the partner has no association are not its customers to plan for",
     AZURE_SMB, set(), {"pal:T2", "pal:T3", "dpor:T2", "pal:T4", "dpor:T4"}),
    ("the tenants it holds a link on (even a Reader PAL that credits nothing) are offered, another's are not",
     AZURE_SMB_LINKED, {"dpor:T2", "pal:T3"}, {"pal:T4", "dpor:T4"}),
]


@pytest.mark.parametrize("case,offered,never", [c[1:] for c in CUSTOMER_CASES], ids=[c[0] for c in CUSTOMER_CASES])
def test_plan_candidates_name_only_the_partners_customers(tmp_path, case, offered, never):
    found = candidate_ids(build(tmp_path, case))
    assert offered <= set(found) and not never & set(found), sorted(found)


# --- scopes another partner holds ------------------------------------------------------------------------

HOLDER_CASES = [
    ("another partner's DPOR on T2's subscription: no DPOR request there, a PAL link instead",
     [p2("DPOR", "T2", "S2")], DAY, {"pal:T2"}, {"dpor:T2"}),
    ("another partner's DPOR that ended before the actions are taken holds nothing any more",
     [p2("DPOR", "T2", "S2", end="2026-06-30")], DAY, {"dpor:T2"}, set()),
    ("another partner's DPOR starting before the target day holds the subscription by then",
     [p2("DPOR", "T2", "S2", start="2026-11-15")], date(2026, 12, 31), {"pal:T2"}, {"dpor:T2"}),
    ("another partner's PAL on T2's subscription leaves a DPOR to request: several partners may link",
     [p2("PAL", "T2", "S2", role="Contributor")], DAY, {"dpor:T2"}, set()),
]


@pytest.mark.parametrize("extra,by,offered,never", [c[1:] for c in HOLDER_CASES], ids=[c[0] for c in HOLDER_CASES])
def test_plan_candidates_skip_a_scope_another_partner_holds_alone(tmp_path, extra, by, offered, never):
    case = {**AZURE_SMB_LINKED, "associations": AZURE_SMB_LINKED["associations"] + extra}
    found = candidate_ids(build(tmp_path, case), by)
    assert offered <= set(found) and not never & set(found), sorted(found)


def test_plan_pal_action_names_the_other_partners_linked_there(tmp_path):
    case = {**AZURE_SMB_LINKED, "associations": AZURE_SMB_LINKED["associations"]
            + [p2("PAL", "T2", "S2", role="Owner")]}
    label = candidate_ids(build(tmp_path, case), costs=load_costs())["pal:T2"]
    assert label == ("link PAL (Contributor) on 1 subscription of customer Customer T2 (T2); "
                     "also linked there: P2 Fabrikam (PAL credits every linked partner)")


#: Each one-holder type of the rule data on its scope, and a PAL: (P2's association, the group P1 would
#: claim, the usage row's tenant, subscription and workload, whether P2 holds that scope alone).
BLOCK_CASES = [
    ("a DPOR holds its subscription", ("DPOR", "T2", "S2", ""), "DPOR", ("T2", "S2", "Storage"), True),
    ("a DPOR holds no other subscription", ("DPOR", "T2", "S2", ""), "DPOR", ("T3", "S3", "Storage"), False),
    ("a CPOR_OSA holds its subscription for CPOR_OSA", ("CPOR_OSA", "T2", "S2", ""), "CPOR_OSA",
     ("T2", "S2", "Storage"), True),
    ("a CPOR_OSA does not hold its subscription for CPOR_REVREC, another kind", ("CPOR_OSA", "T2", "S2", ""),
     "CPOR_REVREC", ("T2", "S2", "Storage"), False),
    ("a CPOR_REVREC holds its subscription for CPOR_REVREC", ("CPOR_REVREC", "T2", "S2", ""), "CPOR_REVREC",
     ("T2", "S2", "Storage"), True),
    ("a CPOR_OSU holds its tenant's workload", ("CPOR_OSU", "T2", "", "Exchange Online"), "CPOR_OSU",
     ("T2", "S2", "Exchange Online"), True),
    ("a CPOR_OSU does not hold another workload of its tenant", ("CPOR_OSU", "T2", "", "Exchange Online"),
     "CPOR_OSU", ("T2", "S2", "SharePoint Online"), False),
    ("a PAL holds nothing alone: several partners may link", ("PAL", "T2", "S2", ""), "PAL",
     ("T2", "S2", "Storage"), False),
]


@pytest.mark.parametrize("held,group,row,blocked", [c[1:] for c in BLOCK_CASES], ids=[c[0] for c in BLOCK_CASES])
def test_other_holders_block_only_the_one_holder_scopes(tmp_path, held, group, row, blocked):
    kind, tenant, sub, workload = held
    assoc = ("HELD-BY-P2", "P2", kind, tenant, sub, workload, "Owner" if kind == "PAL" else "", "", "", "2024-01-01", "")
    tables = open_duckdb(build(tmp_path, {**AZURE_SMB_LINKED, "associations": AZURE_SMB_LINKED["associations"]
                                          + [assoc]}))
    rules = rules_at(DAY)
    others = other_holders(tables, rules, "P1", partner_customers(tables, "P1"), DAY, DAY)
    usage = {"tenant_id": row[0], "subscription_id": row[1], "workload_key": workload_key(row[2])}
    in_sql = register_arrow(tables.backend, "usage_rows", pa.Table.from_pylist([usage]))
    assert others.unheld(in_sql, group).count().to_pyarrow().as_py() == (0 if blocked else 1)
    assert others.on([row[0]]).blocks(group, usage) is blocked


# --- the demo: every partner and area --------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(demo_db):
    tables = open_duckdb(demo_db)
    yield tables
    tables.backend.disconnect()


def _held_alone(tables, partner: str) -> tuple[set, set]:
    """The subscriptions (per type) and tenant-workloads (CPOR_OSU) other partners hold in force on DAY."""
    rules = rules_at(DAY)
    one = rules.associations.one_holder
    holding = ledger_as_of(tables, rules, DAY).holding
    rows = holding.filter(holding.partner_id != partner, holding.type.isin(list(one)), holding.start_date <= DAY,
                          holding.effective_end.isnull() | (holding.effective_end >= DAY)).to_pyarrow().to_pylist()
    subs = {(r["type"], r["subscription_id"]) for r in rows if one[r["type"]] == "subscription"}
    pairs = {(r["tenant_id"], r["workload_key"]) for r in rows if r["type"] == "CPOR_OSU"}
    return subs, pairs


@pytest.mark.parametrize("partner", ["4650101", "4650202", "4650303", "4650404", "4650505", "4650606", "4650707"])
def test_plan_candidates_on_the_demo_name_only_the_partners_customers(demo, partner):
    customers = set(partner_customers(demo, partner).to_pyarrow().column("tenant_id").to_pylist())
    subs, pairs = _held_alone(demo, partner)
    for area in AREAS:
        work, before, _ = baseline(demo, partner, area, [DAY])
        for action in candidates_for(work, partner, area, DAY, [DAY], before, load_costs()):
            for change in action.changes(action.max_count):
                if isinstance(change, AddAssociation):
                    assert change.tenant_id in customers, f"{area}: {action.label}"
                    assert (change.type, change.subscription_id) not in subs, f"{area}: {action.label}"
                    if change.type == "CPOR_OSU":
                        assert (change.tenant_id, workload_key(change.workload)) not in pairs, action.label


@pytest.mark.parametrize("partner,area", [("4650505", "business_applications"), ("4650707", "security")],
                         ids=["the issue's example: Adatum's Business Applications plan",
                              "Woodgrove's Security plan, which links PALs beside Fabrikam's"])
def test_plan_command_names_only_the_partners_customers(demo_db, demo, partner, area):
    run = CliRunner().invoke(app, ["plan", partner, area, "--db", str(demo_db), "--as-of", DAY.isoformat(),
                                   "-f", "json"])
    assert run.exit_code == 0, run.output
    customers = set(partner_customers(demo, partner).to_pyarrow().column("tenant_id").to_pylist())
    named = {c["tenant_id"] for c in json.loads(run.output)["scenario"] if "tenant_id" in c}
    assert named <= customers, sorted(named - customers)
