"""`explain` says why a metric whose value is worth points earns none: the rule threshold it did not reach.

Business Applications usage growth (R12, section 7 of program-rules.md): a point per whole percent of MCV
growth of M over M-12, but only when the M-12 MCV reaches the path's baseline (`min_baseline_mcv`). MCV is
active users × the workload's rate (Sales: 200 a user). Azure usage growth (R13): a point per whole percent
of ACR growth, but only when the covered ACR over the TTM reaches `min_ttm_acr_usd`. As of 2026-10-31, M is
2026-10 and M-12 is 2025-10.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.explain import explain
from partnerscore.ingest.importer import import_dataset
from partnerscore.rules.load import rules_at
from rules_plugin import build_tables, write_dataset

DAY = date(2026, 10, 31)
BASELINE = rules_at(DAY).areas["business_applications"].paths["smb"]["usage_growth"].params["min_baseline_mcv"]
TTM_ACR = rules_at(DAY).areas["infrastructure"].paths["smb"]["usage_growth"].params["min_ttm_acr_usd"]


def _sales(users_then: int, users_now: int) -> dict:
    return {"subscriptions": {"S1": "T1 CSP dynamics365"},
            "associations": [{"association_id": "C1", "partner_id": "P1", "type": "CSP_DIRECT", "subscription_id": "S1"}],
            "usage": [{"month": "2025-10", "subscription_id": "S1", "workload": "Sales", "active_units": users_then},
                      {"month": "2026-10", "subscription_id": "S1", "workload": "Sales", "active_units": users_now}]}


def _storage(acr_then: int, acr_now: int) -> dict:
    return {"subscriptions": {"S1": "T1 CSP azure"},
            "associations": [{"association_id": "C1", "partner_id": "P1", "type": "CSP_DIRECT", "subscription_id": "S1"}],
            "usage": [{"month": "2025-10", "subscription_id": "S1", "workload": "Storage", "acr_usd": acr_then},
                      {"month": "2026-10", "subscription_id": "S1", "workload": "Storage", "acr_usd": acr_now}]}


BA, INFRA = "business_applications", "infrastructure"

# (sentence, area, tables, value, points, why 0 says, or None)
CASES = [
    ("Growth of 16.67% on an M-12 MCV of 6,000 earns nothing: the small-business path needs the baseline MCV",
     BA, _sales(30, 35), 16.67, 0, f"the MCV of M-12 reaches {BASELINE:,} (rule min_baseline_mcv); it is 6,000"),
    ("Growth of 20% on an M-12 MCV at the baseline earns a point per whole percent, and nothing holds it",
     BA, _sales(BASELINE // 200, BASELINE // 200 * 6 // 5), 20.0, 20, None),
    ("Shrinking usage earns nothing, and no threshold is to blame",
     BA, _sales(200, 150), -25.0, 0, None),
    ("Azure growth of 100% on a TTM ACR of $20 earns nothing: the covered ACR over the TTM must reach the gate",
     INFRA, _storage(10, 20), 100.0, 0, f"the covered ACR over the TTM reaches ${TTM_ACR:,} (rule min_ttm_acr_usd)"),
]


def _db(tmp_path: Path, tables: dict) -> Path:
    db = tmp_path / "p.duckdb"
    import_dataset(write_dataset(build_tables({"input": tables}), tmp_path / "data"), db)
    return db


@pytest.mark.parametrize("name, area, tables, value, points, why", CASES, ids=[c[0] for c in CASES])
def test_explain_names_the_threshold_that_holds_a_metric_at_zero(tmp_path, name, area, tables, value, points, why):
    growth = explain(open_duckdb(_db(tmp_path, tables)), "P1", area, DAY, "usage_growth").metrics[0]
    assert (round(growth.value, 2), growth.points) == (value, points)
    if why is None:
        assert growth.why_zero is None
    else:
        assert why in growth.why_zero


def test_explain_prints_why_a_metric_earns_zero_under_its_verdict(tmp_path):
    db = _db(tmp_path, CASES[0][2])
    shown = CliRunner().invoke(app, ["explain", "P1", "business_applications", "--db", str(db), "--as-of", "2026-10-31"])
    assert shown.exit_code == 0, shown.output
    assert f"why 0: this path gives points only once the MCV of M-12 reaches {BASELINE:,}" in shown.output
