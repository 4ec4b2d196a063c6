"""`validate` finds every deliberate conflict of the demo data, each with the audit that owns it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from partnerscore.demo import CONFLICTS, UNKNOWN_WORKLOAD
from partnerscore.engine.connect import open_duckdb
from partnerscore.ledger.audits import validate

EXPECTED = [
    ("X-DPOR-TAKEOVER", "conflict", "dpor_overlap", "DPOR overlaps with", "the earlier DPOR of the subscription"),
    ("X-CPOR-OSA-ON-CSP", "ineligible", "eligibility", "CPOR_OSA is not allowed on a CSP subscription", None),
    ("X-PAL-READER", "ineligible", "eligibility", "PAL role 'Reader' is not eligible", None),
    ("X-TPOR-NON-EA", "ineligible", "eligibility", "TPOR on a MCA_E subscription", None),
    ("X-TPOR-BY-DPOR", "ineligible", "eligibility", "TPOR by the partner that is this subscription's DPOR", None),
    ("X-CSP-ON-EA", "ineligible", "eligibility", "CSP_DIRECT names a EA subscription", None),
]


@pytest.fixture(scope="module")
def findings(demo_db: Path):
    return validate(open_duckdb(demo_db), date(2026, 10, 31))


def test_every_deliberate_conflict_has_an_expectation():
    assert {row[0] for row in EXPECTED} == set(CONFLICTS)


@pytest.mark.parametrize("association_id, severity, check, reason, note", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_validate_reports_the_deliberate_conflict(findings, association_id, severity, check, reason, note):
    if note:  # the takeover is reported on the DPOR that was taken over, naming the later one
        hits = [f for f in findings if f.check == check and reason in f.reason]
        assert hits, f"no {check} finding"
        return
    hit = [f for f in findings if f.association_id == association_id]
    assert hit, f"{association_id} not reported"
    assert (hit[0].severity, hit[0].check) == (severity, check)
    assert reason in hit[0].reason


def test_validate_warns_of_the_unknown_workload(findings):
    assert any(f.check == "unknown_workload" and UNKNOWN_WORKLOAD in f.reason for f in findings)


def test_findings_come_most_severe_first(findings):
    order = {"conflict": 0, "ineligible": 1, "warning": 2}
    ranks = [order[f.severity] for f in findings]
    assert ranks == sorted(ranks)
