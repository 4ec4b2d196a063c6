"""The association inventory: status, feeds, shared scopes and the points each association carries.

Every expected figure is computed by hand from shared/spec/program-rules.md. As of 2026-10-31 the
scoring month M is 2026-10 (R1).
- Azure areas (R13, section 4), enterprise customers: a tenant with $1,000 covered ACR in M is a net
  customer add (10 points); its one service with ACR over the TTM is a deployment (2 points); no ACR in
  M-12 gives no growth points. 12 points in each of the three Azure areas: 36 in all.
- Modern Work enterprise path (R10, section 5): a tenant with 400 paid Teams seats (> 300) in M is a
  net customer add (4 points); 200 active users against none in M-12 is a growth of 200 (CPOR: 30 × 200
  / 1,000 = 6 points); 200 of 400 is at least 40%: one deployment (CPOR: 25 / 5 = 5 points). 15 points.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.scoring import score
from partnerscore.engine.whatif import EndAssociation, changed_tables
from partnerscore.ingest.importer import import_dataset
from partnerscore.ledger.inventory import inventory
from rules_plugin import build_tables, write_dataset

DAY = date(2026, 10, 31)
AZURE_USAGE = [{"month": "2026-10", "subscription_id": "S1", "workload": "Storage", "acr_usd": 1000}]
TEAMS_USAGE = [{"month": "2026-10", "subscription_id": "S1", "workload": "Teams", "paid_units": 400, "active_units": 200}]
ENTERPRISE = [{"tenant_id": "T1", "segment": "enterprise"}]

# (sentence, input tables, partner, association, expected status, reason contains, points, shared contains)
CASES = [
    ("A DPOR that alone credits a tenant carries its points in the three Azure areas",
     {"customers": ENTERPRISE, "subscriptions": {"S1": "T1 EA azure"}, "usage": AZURE_USAGE,
      "associations": [{"association_id": "D1", "partner_id": "P1", "type": "DPOR", "subscription_id": "S1"}]},
     "P1", "D1", "in force", None, 36, None),
    ("A PAL on a subscription the partner's DPOR also covers carries nothing: the DPOR credits the same usage",
     {"customers": ENTERPRISE, "subscriptions": {"S1": "T1 EA azure"}, "usage": AZURE_USAGE,
      "associations": [{"association_id": "D1", "partner_id": "P1", "type": "DPOR", "subscription_id": "S1"},
                       {"association_id": "L1", "partner_id": "P1", "type": "PAL", "subscription_id": "S1",
                        "rbac_role": "Owner"}]},
     "P1", "L1", "in force", None, 0, None),
    ("A DPOR taken over by another partner before the scoring month shows who took it over and when",
     {"customers": ENTERPRISE, "subscriptions": {"S1": "T1 EA azure"}, "usage": AZURE_USAGE,
      "associations": [{"association_id": "D1", "partner_id": "P1", "type": "DPOR", "subscription_id": "S1"},
                       {"association_id": "D2", "partner_id": "P2", "type": "DPOR", "subscription_id": "S1",
                        "start_date": "2026-06-15"}]},
     "P1", "D1", "taken over", "taken over by P2 on 2026-06-15", 0, "P2's DPOR holds from 2026-06-15"),
    ("The later DPOR holds the subscription and carries the customer's points",
     {"customers": ENTERPRISE, "subscriptions": {"S1": "T1 EA azure"}, "usage": AZURE_USAGE,
      "associations": [{"association_id": "D1", "partner_id": "P1", "type": "DPOR", "subscription_id": "S1"},
                       {"association_id": "D2", "partner_id": "P2", "type": "DPOR", "subscription_id": "S1",
                        "start_date": "2026-06-15"}]},
     "P2", "D2", "in force", None, 36, "took over from P1's DPOR on 2026-06-15"),
    ("A CPOR claimed by two partners for one workload is conflicting, and counts for both until settled",
     {"subscriptions": {"S1": "T1 EA m365"}, "usage": TEAMS_USAGE,
      "associations": [{"association_id": "C1", "partner_id": "P1", "type": "CPOR_OSU", "tenant_id": "T1",
                        "workload": "Teams"},
                       {"association_id": "C2", "partner_id": "P2", "type": "CPOR_OSU", "tenant_id": "T1",
                        "workload": "Teams", "start_date": "2024-01-01"}]},
     "P1", "C1", "conflicting", "claimed by P2", 15, "P2 claims the same CPOR_OSU scope"),
    ("A CSP indirect row credits its indirect provider as CSP Tier 1, who carries the customer's points",
     {"customers": ENTERPRISE, "subscriptions": {"S1": "T1 CSP azure"}, "usage": AZURE_USAGE,
      "associations": [{"association_id": "R1", "partner_id": "P1", "type": "CSP_INDIRECT", "subscription_id": "S1",
                        "indirect_provider_id": "P9"}]},
     "P9", "R1", "in force", None, 36, "reseller P1 is credited as CSP Tier 2, provider P9 as CSP Tier 1"),
    ("A PAL whose role only reads is ineligible and carries nothing",
     {"customers": ENTERPRISE, "subscriptions": {"S1": "T1 EA azure"}, "usage": AZURE_USAGE,
      "associations": [{"association_id": "L1", "partner_id": "P1", "type": "PAL", "subscription_id": "S1",
                        "rbac_role": "Reader"}]},
     "P1", "L1", "ineligible", "PAL role 'Reader' is not eligible", 0, None),
    ("An incentive CPOR whose proof of execution is submitted is pending and carries nothing yet",
     {"subscriptions": {"S1": "T1 EA m365"}, "usage": TEAMS_USAGE,
      "associations": [{"association_id": "C1", "partner_id": "P1", "type": "CPOR_OSU", "tenant_id": "T1",
                        "workload": "Teams", "incentive": True, "poe_status": "submitted"}]},
     "P1", "C1", "pending proof of execution", "now: submitted", 0, None),
    ("A TPOR is transactional recognition only and feeds no metric",
     {"customers": ENTERPRISE, "subscriptions": {"S1": "T1 EA azure"}, "usage": AZURE_USAGE,
      "associations": [{"association_id": "T1P", "partner_id": "P1", "type": "TPOR", "subscription_id": "S1"}]},
     "P1", "T1P", "in force", None, 0, None),
]


def _db(tmp_path: Path, tables: dict) -> Path:
    folder = write_dataset(build_tables({"input": tables}), tmp_path / "data")
    db = tmp_path / "p.duckdb"
    import_dataset(folder, db)
    return db


@pytest.mark.parametrize("name, tables, partner, association, status, reason, points, shared", CASES,
                         ids=[c[0] for c in CASES])
def test_inventory_row_reads_like_the_program(tmp_path, name, tables, partner, association, status, reason,
                                              points, shared):
    result = inventory(open_duckdb(_db(tmp_path, tables)), partner, DAY, replays=None)
    row = next(r for r in result.rows if r.association_id == association)
    assert row.status == status
    if reason:
        assert reason in row.reason
    assert row.points == points, row.why_points
    if shared:
        assert any(shared in line for line in row.shared), row.shared


def test_inventory_feeds_name_the_metrics_of_the_path_that_counts(tmp_path):
    tables = CASES[4][1]
    row = inventory(open_duckdb(_db(tmp_path, tables)), "P1", DAY, replays=0).rows[0]
    assert row.feeds == ["modern_work.net_customer_adds", "modern_work.usage_growth", "modern_work.deployments"]
    assert row.points is None and "over the budget of 0 replays" in row.why_points


def test_inventory_on_the_demo_reports_zero_only_where_a_replay_agrees(demo_db):
    """The associations reported 0 without replaying (the exact screens) change nothing when replayed."""
    tables = open_duckdb(demo_db)
    result = inventory(tables, "4650606", DAY, replays=1)
    assert result.replayed == 1 and len(result.rows) > 300
    screened = {}
    for r in result.rows:
        kind = r.why_points.split(":")[0]
        if kind in ("another association credits the same usage for every metric", "covers no usage of the months scored",
                    "covers only usage no metric counts"):
            screened.setdefault(kind, r)
    assert screened
    before = score(tables, DAY, partners=["4650606"])
    for row in screened.values():
        gone = EndAssociation(action="end_association", association_id=row.association_id,
                              end_date=date.fromordinal(row.start_date.toordinal() - 1))
        after = score(changed_tables(tables, [gone], DAY), DAY, partners=["4650606"])
        assert [a.points for a in after.partners[0].areas] == [a.points for a in before.partners[0].areas], row


def test_cli_associations_prints_json_and_refuses_an_unknown_partner(tmp_path):
    db = _db(tmp_path, CASES[0][1])
    runner = CliRunner()
    ok = runner.invoke(app, ["associations", "P1", "--db", str(db), "--at", "2026-10-31", "--format", "json"])
    assert ok.exit_code == 0, ok.output
    assert '"points": 36.0' in ok.output and '"total_points": 36.0' in ok.output
    bad = runner.invoke(app, ["associations", "NOPE", "--db", str(db), "--at", "2026-10-31"])
    assert bad.exit_code == 1 and "unknown partner 'NOPE'" in bad.output
