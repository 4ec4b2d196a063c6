"""`alerts`: association-loss and score risks with severity and fix, on a hand-built ledger."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.decisions.alerts import alerts
from partnerscore.engine.connect import open_duckdb
from test_plan_cases import AZURE_SMB, FIRST, build

DAY = date(2026, 10, 31)

#: P1's DPOR on T1 ends 2026-12-15 and feeds its Azure growth and deployments; a PAL with a Reader role;
#: two CPOR incentive claims (proof rejected, proof submitted); P1's DPOR on S4 takes over P2's from
#: 2026-05-01; u1's AZ-104, which completes the first skilling step, expires 2026-12-01.
RISKY = {**AZURE_SMB,
         "associations": [
             ("A1", "P1", "DPOR", "T1", "S1", "", "", "", "", "2024-01-01", "2026-12-15"),
             ("A2", "P1", "PAL", "T2", "S2", "", "Reader", "", "", "2025-01-01", ""),
             ("A3", "P1", "CPOR_OSA", "T2", "S2", "", "", "true", "rejected", "2025-01-01", ""),
             ("A4", "P1", "CPOR_OSA", "T4", "S4", "", "", "true", "submitted", "2025-01-01", ""),
             ("A5", "P1", "DPOR", "T4", "S4", "", "", "", "", "2026-05-01", ""),
             ("B1", "P2", "DPOR", "T4", "S4", "", "", "", "", "2024-01-01", "")],
         "certifications": [("P1", "u1", "AZ-104", "2024-01-01", "2026-12-01"),
                            ("P1", "u2", "Azure Fundamentals", "2024-01-01", "")]}


@pytest.fixture(scope="module")
def risky_db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("alerts"), RISKY)


@pytest.fixture(scope="module")
def found(risky_db):
    return alerts(open_duckdb(risky_db), DAY, within=90)


EXPECTED = [
    ("A DPOR that feeds points and ends within the horizon is a high alert", "high", "P1", "association ending",
     "DPOR A1 on customer T1"),
    ("A PAL with a Reader role is a medium alert", "medium", "P1", "pal role not eligible", "PAL A2 on customer T2"),
    ("An incentive claim whose proof was rejected is a high alert", "high", "P1", "proof of execution",
     "CPOR_OSA A3 on customer T2"),
    ("An incentive claim whose proof is only submitted is a medium alert", "medium", "P1", "proof of execution",
     "CPOR_OSA A4 on customer T4"),
    ("A DPOR taken over by another partner is a high alert for the partner that lost it", "high", "P2",
     "dpor taken over", "DPOR B1 on customer T4"),
    ("A certification that counts and expires within the horizon is a medium alert", "medium", "P1",
     "certification expiring", "u1: AZ-104"),
    ("Azure usage growth falling to zero once the ending DPOR is gone is critical", "critical", "P1",
     "metric falls to zero", "infrastructure.usage_growth"),
    ("Intermediate certifications falling to zero once AZ-104 expires is critical", "critical", "P1",
     "metric falls to zero", "infrastructure.intermediate_certifications"),
]


@pytest.mark.parametrize("name, severity, partner, kind, subject", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_alert_is_raised(found, name, severity, partner, kind, subject):
    assert (severity, partner, kind, subject) in {(a.severity, a.partner_id, a.kind, a.subject) for a in found}


def test_alerts_are_sorted_worst_first_and_name_a_fix(found):
    order = ["critical", "high", "medium", "low"]
    assert [order.index(a.severity) for a in found] == sorted(order.index(a.severity) for a in found)
    assert all(a.fix for a in found)


def test_a_shorter_horizon_drops_what_ends_after_it(risky_db):
    soon = alerts(open_duckdb(risky_db), DAY, partner="P1", within=20)
    kinds = {a.kind for a in soon}
    assert "association ending" not in kinds and "certification expiring" not in kinds
    assert "proof of execution" in kinds


def test_alerts_command_exits_non_zero_at_or_above_fail_on(risky_db):
    args = ["alerts", "P1", "--db", str(risky_db), "--as-of", "2026-10-31"]
    assert CliRunner().invoke(app, args + ["--fail-on", "critical"]).exit_code == 2
    quiet = CliRunner().invoke(app, args + ["--within", "20", "--fail-on", "critical"])
    assert quiet.exit_code == 0, quiet.output
    doc = json.loads(CliRunner().invoke(app, args + ["--format", "json"]).output)
    assert {"severity", "partner_id", "kind", "subject", "areas", "due", "message", "fix"} == set(doc[0])


def test_alerts_command_refuses_an_unknown_severity(risky_db):
    run = CliRunner().invoke(app, ["alerts", "--db", str(risky_db), "--as-of", "2026-10-31", "--fail-on", "panic"])
    assert run.exit_code == 1 and "choose one of low, medium, high, critical" in run.output


# --- what the alerts say is true -------------------------------------------------------------------

#: RISKY, plus P1's CPOR on T1's Exchange Online (an m365 subscription), ending 2026-12-10, and P3, a
#: partner with no association and no certification.
FED = {**RISKY,
       "partners": RISKY["partners"] + [("P3", "Litware", "services")],
       "subscriptions": RISKY["subscriptions"] + [("S5", "T1", "MCA_E", "m365", "2023-01-01")],
       "associations": RISKY["associations"] + [("A6", "P1", "CPOR_OSU", "T1", "", "Exchange Online", "", "", "",
                                                 "2025-01-01", "2026-12-10")],
       "usage": RISKY["usage"] + [("T1", "S5", "Exchange Online", {FIRST: 1})]}


@pytest.fixture(scope="module")
def fed_db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("alerts-fed"), FED)


def test_an_ending_association_feeds_only_the_areas_that_count_its_workload(fed_db):
    ending = {a.subject: a for a in alerts(open_duckdb(fed_db), DAY, partner="P1") if a.kind == "association ending"}
    cpor = ending["CPOR_OSU A6 on customer T1"]
    assert (cpor.areas, cpor.message) == ("modern_work", "ends 2026-12-10 and feeds points in modern_work")


def test_no_alert_says_what_was_looked_for_not_that_all_is_well(fed_db):
    run = CliRunner().invoke(app, ["alerts", "P3", "--db", str(fed_db), "--as-of", "2026-10-31", "--within", "60"])
    assert run.exit_code == 0, run.output
    assert ("none: no association that feeds points and no certification that counts ends within 60 days, and no "
            "PAL role, proof of execution or DPOR takeover needs a fix") in " ".join(run.output.split())
