"""`forecast`: projected points per area and metric at the next month ends, and the risks flagged.

The usage trend model (each subscription × workload carries forward the average of its last three
reported months) is tested on history: cut the usage at an earlier day, forecast, compare.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.decisions.forecast import backtest, forecast, forecast_days, projected_usage
from partnerscore.engine.connect import open_duckdb
from test_plan_cases import AZURE_SMB, FIRST, build

DAY = date(2026, 10, 31)

#: An SMB Azure partner that qualifies in Infrastructure with exactly 70 points on 2026-10-31: T1's five
#: services doubled from 2026-05 (growth 100% for a year), PALs on T2 and T3 (new customers since June),
#: and u2's AZ-700 — one of the intermediate points — expires on 2026-12-15.
QUALIFIED = {
    "partners": [("P1", "Contoso", "services")],
    "customers": [(t, f"Customer {t}", "smb") for t in ("T1", "T2", "T3")],
    "subscriptions": [("S1", "T1", "EA", "azure", "2023-01-01"), ("S2", "T2", "EA", "azure", "2023-01-01"),
                      ("S3", "T3", "CSP", "azure", "2023-01-01")],
    "associations": [("A1", "P1", "DPOR", "T1", "S1", "", "", "", "", "2024-01-01", ""),
                     ("A2", "P1", "PAL", "T2", "S2", "", "Owner", "", "", "2024-01-01", ""),
                     ("A3", "P1", "PAL", "T3", "S3", "", "Owner", "", "", "2024-01-01", "")],
    "certifications": [("P1", p, c, "2024-01-01", e) for p, c, e in (
        ("u1", "AZ-104", ""), ("u1", "AZ-700", ""), ("u2", "AZ-700", "2026-12-15"), ("u1", "AZ-305", ""),
        ("u1", "AZ-140", ""))],
    "usage": [("T1", "S1", w, {FIRST: 200, "2026-05": 400})
              for w in ("Storage", "SQL Database", "Key Vault", "App Service", "Azure Monitor")]
             + [("T2", "S2", "Storage", {FIRST: 0, "2026-06": 800}), ("T3", "S3", "Storage", {FIRST: 0, "2026-06": 600})],
}


@pytest.fixture(scope="module")
def qualified_db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("forecast"), QUALIFIED)


@pytest.fixture(scope="module")
def infrastructure(qualified_db):
    result = forecast(open_duckdb(qualified_db), "P1", DAY, months=3)
    return next(a for a in result.areas if a.area == "infrastructure")


def test_the_forecast_covers_the_next_month_ends():
    assert [d.isoformat() for d in forecast_days(DAY, 3)] == ["2026-11-30", "2026-12-31", "2027-01-31"]


def test_projected_usage_carries_the_last_three_months_average_forward(qualified_db):
    rows = projected_usage(open_duckdb(qualified_db), date(2026, 12, 1)).to_pylist()
    t3 = {r["month"].isoformat(): r["acr_micros"] / 1e6 for r in rows if r["tenant_id"] == "T3"}
    assert t3 == {"2026-11-01": 600, "2026-12-01": 600}


def test_a_certification_expiring_in_the_window_ends_the_qualification_at_the_next_month_end(infrastructure):
    points = [(m.day.isoformat(), m.points, m.qualified) for m in infrastructure.months]
    assert (infrastructure.now.points, infrastructure.now.qualified) == (70, True)
    assert points == [("2026-11-30", 70, True), ("2026-12-31", 66, False), ("2027-01-31", 66, False)]
    assert "stops qualifying at 2026-12-31 (70 → 66 points)" in infrastructure.risks


def test_the_trend_model_is_exact_on_history_where_usage_was_flat(qualified_db):
    # Usage cut at August 2026: the last three months were flat, as were September and October.
    errors = backtest(open_duckdb(qualified_db), "P1", date(2026, 8, 31), months=2)
    assert errors["infrastructure"] == 0


def test_forecast_command_prints_the_table_and_the_risks(qualified_db):
    args = ["forecast", "P1", "--db", str(qualified_db), "--as-of", "2026-10-31", "--months", "2"]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.output
    assert "infrastructure: stops qualifying at 2026-12-31 (70 → 66 points)" in run.output
    doc = json.loads(CliRunner().invoke(app, args + ["--format", "json"]).output)
    assert doc["model"].startswith("each subscription × workload carries forward")


# --- what the summary says is true -----------------------------------------------------------------

@pytest.fixture(scope="module")
def unqualified_db(tmp_path_factory):
    """AZURE_SMB: Infrastructure at 34 points (no net customer adds), no area qualified."""
    return build(tmp_path_factory.mktemp("forecast-none"), AZURE_SMB)


SUMMARY_CASES = [
    ("A partner that qualifies in no area is told so, not that no area stops qualifying", "unqualified_db", "P2",
     ["qualifies in no area now; no area qualifies at any of the next 2 month ends (closest: "],
     ["no area stops qualifying"]),
    ("A metric at zero now is named as below its minimum, not reported as safe", "unqualified_db", "P2",
     ["no metric that reaches its minimum now falls below it; ", "below it already: data_ai.net_customer_adds"],
     ["no metric falls below its minimum"]),
    ("A partner qualified now is told which area stops qualifying and when", "qualified_db", "P1",
     ["qualified now in infrastructure; infrastructure stops qualifying at 2026-12-31; no other area qualifies"], []),
    ("Metrics that fall below their minimum are counted in the summary and listed at risk", "unqualified_db", "P1",
     ["3 metrics fall below their minimum", "at risk:", "data_ai: usage_growth falls below 1 point at 2026-11-30"],
     []),
]


@pytest.mark.parametrize("db, partner, present, absent", [c[1:] for c in SUMMARY_CASES],
                         ids=[c[0] for c in SUMMARY_CASES])
def test_forecast_summary_says_what_is_true(request, db, partner, present, absent):
    args = ["forecast", partner, "--db", str(request.getfixturevalue(db)), "--as-of", "2026-10-31", "--months", "2"]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.output
    for text in present:
        assert text in run.output
    for text in absent:
        assert text not in run.output
    doc = json.loads(CliRunner().invoke(app, args + ["--format", "json"]).output)
    assert present[0] in " ".join(doc["summary"])
