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
from partnerscore.cli.inventory import scope_texts, shortest_prefixes
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
    ("A PAL whose role the data does not give is ineligible, in the words of `pal check`",
     {"customers": ENTERPRISE, "subscriptions": {"S1": "T1 EA azure"}, "usage": AZURE_USAGE,
      "associations": [{"association_id": "L1", "partner_id": "P1", "type": "PAL", "subscription_id": "S1"}]},
     "P1", "L1", "ineligible", "no role: PAL needs an eligible role", 0, None),
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


TEAMS = {"subscriptions": {"S1": "T1 EA m365"}, "usage": TEAMS_USAGE}

# (sentence, associations, partner, association, expected status, expected shared lines)
SHARED_CASES = [
    ("A CPOR claim of another partner that ended a year before this one started is no co-claim",
     [{"association_id": "C1", "partner_id": "P1", "type": "CPOR_OSU", "tenant_id": "T1", "workload": "Teams",
       "start_date": "2026-10-01"},
      {"association_id": "C2", "partner_id": "P2", "type": "CPOR_OSU", "tenant_id": "T1", "workload": "Teams",
       "start_date": "2025-10-01", "end_date": "2025-10-31"}],
     "P1", "C1", "in force", []),
    ("A CPOR claim of another partner that overlapped this one but ended before the day scored shares nothing now",
     [{"association_id": "C1", "partner_id": "P1", "type": "CPOR_OSU", "tenant_id": "T1", "workload": "Teams",
       "start_date": "2025-01-01"},
      {"association_id": "C2", "partner_id": "P2", "type": "CPOR_OSU", "tenant_id": "T1", "workload": "Teams",
       "start_date": "2025-06-01", "end_date": "2026-09-30"}],
     "P1", "C1", "in force", []),
    ("A CPOR claim of another partner that starts after the day scored shares nothing yet",
     [{"association_id": "C1", "partner_id": "P1", "type": "CPOR_OSU", "tenant_id": "T1", "workload": "Teams"},
      {"association_id": "C2", "partner_id": "P2", "type": "CPOR_OSU", "tenant_id": "T1", "workload": "Teams",
       "start_date": "2026-12-01"}],
     "P1", "C1", "in force", []),
    ("Two CPOR claims valid on the day scored are a co-claim, and both count until settled",
     [{"association_id": "C1", "partner_id": "P1", "type": "CPOR_OSU", "tenant_id": "T1", "workload": "Teams"},
      {"association_id": "C2", "partner_id": "P2", "type": "CPOR_OSU", "tenant_id": "T1", "workload": "Teams",
       "start_date": "2026-10-01"}],
     "P1", "C1", "conflicting",
     ["P2 claims the same CPOR_OSU scope too: one CPOR per customer and workload; both count until settled"]),
    ("An ended claim of this partner shares nothing with another partner's claim that started after it",
     [{"association_id": "C1", "partner_id": "P1", "type": "CPOR_OSU", "tenant_id": "T1", "workload": "Teams",
       "start_date": "2025-01-01", "end_date": "2025-12-31"},
      {"association_id": "C2", "partner_id": "P2", "type": "CPOR_OSU", "tenant_id": "T1", "workload": "Teams",
       "start_date": "2026-01-01"}],
     "P1", "C1", "ended", []),
    ("A DPOR taken over a year before the day scored still names who took it over",
     [{"association_id": "D1", "partner_id": "P1", "type": "DPOR", "subscription_id": "S1"},
      {"association_id": "D2", "partner_id": "P2", "type": "DPOR", "subscription_id": "S1",
       "start_date": "2025-06-15"}],
     "P1", "D1", "taken over",
     ["P2's DPOR holds from 2025-06-15: one DPOR per subscription, the later one wins"]),
]


@pytest.mark.parametrize("name, associations, partner, association, status, shared", SHARED_CASES,
                         ids=[c[0] for c in SHARED_CASES])
def test_inventory_names_as_sharing_only_associations_valid_on_the_day(tmp_path, name, associations, partner,
                                                                      association, status, shared):
    result = inventory(open_duckdb(_db(tmp_path, {**TEAMS, "associations": associations})), partner, DAY, replays=0)
    row = next(r for r in result.rows if r.association_id == association)
    assert (row.status, row.shared) == (status, shared)


PREFIX_CASES = [
    ("IDs that differ within their first eight characters show eight",
     ["3f2a8c1e-0001", "b1e0a6f2-0001"], {"3f2a8c1e-0001": "3f2a8c1e", "b1e0a6f2-0001": "b1e0a6f2"}),
    ("Two IDs sharing their first eleven characters show one more, where they differ",
     ["3f2a8c1e-5b01-aaaa", "3f2a8c1e-5b02-aaaa"],
     {"3f2a8c1e-5b01-aaaa": "3f2a8c1e-5b01", "3f2a8c1e-5b02-aaaa": "3f2a8c1e-5b02"}),
    ("Each ID is cut only as far as its closest neighbour needs",
     ["3f2a8c1e-5b01", "3f2a8c1e-5b02", "3f2a8c1f-0000"],
     {"3f2a8c1e-5b01": "3f2a8c1e-5b01", "3f2a8c1e-5b02": "3f2a8c1e-5b02", "3f2a8c1f-0000": "3f2a8c1f"}),
    ("IDs that differ only in their last character are shown whole",
     ["3f2a8c1e-5b7d-4e21-9a0c-1d2e3f4a5b01", "3f2a8c1e-5b7d-4e21-9a0c-1d2e3f4a5b02"],
     {"3f2a8c1e-5b7d-4e21-9a0c-1d2e3f4a5b01": "3f2a8c1e-5b7d-4e21-9a0c-1d2e3f4a5b01",
      "3f2a8c1e-5b7d-4e21-9a0c-1d2e3f4a5b02": "3f2a8c1e-5b7d-4e21-9a0c-1d2e3f4a5b02"}),
    ("An ID shorter than eight characters is shown whole", ["T1", "T2"], {"T1": "T1", "T2": "T2"}),
]


@pytest.mark.parametrize("name, ids, expected", PREFIX_CASES, ids=[c[0] for c in PREFIX_CASES])
def test_associations_table_shows_the_shortest_unique_prefix_of_each_id(name, ids, expected):
    assert shortest_prefixes(ids) == expected


def test_associations_table_names_the_microsoft_365_stand_in_subscription_apart_from_its_tenant():
    rows = [{"tenant_id": "3f2a8c1e-5b01", "subscription_id": "3f2a8c1e-5b01:m365", "workload": "Teams"},
            {"tenant_id": "3f2a8c1e-5b02", "subscription_id": "b1e0a6f2-6001", "workload": None},
            {"tenant_id": "3f2a8c1e-5b02", "subscription_id": "b1e0a6f2-6002", "workload": None}]
    assert scope_texts(rows) == ["tenant 3f2a8c1e-5b01\nM365 of the tenant\nTeams",
                                 "tenant 3f2a8c1e-5b02\nsub b1e0a6f2-6001", "tenant 3f2a8c1e-5b02\nsub b1e0a6f2-6002"]


def test_associations_table_keeps_association_ids_whole_and_gives_an_ineligible_row_its_reason(tmp_path):
    tables = {"customers": ENTERPRISE, "subscriptions": {"S1": "T1 EA azure"}, "usage": AZURE_USAGE,
              "associations": [{"association_id": "dpor-with-an-id-longer-than-any-column", "partner_id": "P1",
                                "type": "DPOR", "subscription_id": "S1"},
                               {"association_id": "pal-without-a-role-in-the-download", "partner_id": "P1",
                                "type": "PAL", "subscription_id": "S1"}]}
    shown = CliRunner().invoke(app, ["associations", "P1", "--db", str(_db(tmp_path, tables)), "--at", "2026-10-31"])
    assert shown.exit_code == 0, shown.output
    assert "dpor-with-an-id-longer-than-any-column" in shown.output
    assert "pal-without-a-role-in-the-download" in shown.output
    status_cells = " ".join(line.split("│")[4].strip() for line in shown.output.splitlines() if line.count("│") > 4)
    assert "ineligible (no role: PAL needs an eligible role)" in " ".join(status_cells.split())
