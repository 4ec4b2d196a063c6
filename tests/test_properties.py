"""Properties that hold for every data set, checked on random ones (Hypothesis).

- Points stay within [0, max]; an area's total is the sum of its metrics; `qualified` follows R7.
- An association that starts after the day scored changes nothing.
- A partner's associations and certifications never change another partner's score (no DPOR here:
  a DPOR may rightly take a subscription over from another partner).
- A certification added to a partner never lowers any of its area totals.
- A TPOR association changes no score.
- Scoring on the store's integer keys gives the score of the tenant and subscription IDs themselves.

Not a property: "a partner's score never drops when one of its associations is added". An added
association can make a tenant count a year ago (lowering a net), push a Security tenant out of the
SMB band, or flip the Azure path classification — all as the rules say.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnerscore.api import score_dataset
from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.scoring import score
from partnerscore.ingest.importer import import_dataset
from partnerscore.ingest.tables import CONTRACT

AS_OF = date(2026, 10, 31)
MONTHS = [f"{2024 + (9 + i) // 12}-{(9 + i) % 12 + 1:02d}" for i in range(26)]  # 2024-10 … 2026-11
CLOUD_WORKLOADS = {
    "azure": ["Storage", "SQL Database", "Key Vault", "Sentinel", "Virtual Machines"],
    "m365": ["Exchange Online", "Teams", "Intune", "Microsoft Defender for Endpoint P2"],
    "dynamics365": ["Sales", "Business Central", "Customer Service"],
    "power_platform": ["Power Apps", "Customer Insights"],
}
CERTS = ["Azure Administrator Associate", "Azure Network Engineer Associate", "Teams Administrator Associate",
         "Azure Security Engineer Associate", "Security Operations Analyst", "Cybersecurity Architect Expert",
         "Power BI Data Analyst Associate", "Azure Solutions Architect Expert", "Enterprise Administrator Expert"]


@st.composite
def datasets(draw):
    tenants = [f"T{i}" for i in range(draw(st.integers(2, 4)))]
    customers = [{"tenant_id": t, "name": t, "segment": draw(st.sampled_from(["", "smb", "enterprise"]))}
                 for t in tenants]
    subscriptions, usage = [], []
    for n, tenant in enumerate(tenants):
        for cloud in draw(st.lists(st.sampled_from(list(CLOUD_WORKLOADS)), min_size=1, max_size=2, unique=True)):
            sub = f"S{n}{cloud[:2]}"
            program = draw(st.sampled_from(["EA", "CSP", "WEB_DIRECT", "CASA_EES"]))
            subscriptions.append({"subscription_id": sub, "tenant_id": tenant, "program": program, "cloud": cloud,
                                  "start_date": "2023-01-01"})
            workload = draw(st.sampled_from(CLOUD_WORKLOADS[cloud]))
            base, trend = draw(st.integers(0, 3000)), draw(st.integers(-60, 120))
            for i, month in enumerate(MONTHS[:-1]):
                level = max(0, base + trend * i)
                row = {"month": month, "tenant_id": tenant, "subscription_id": sub, "workload": workload}
                if cloud == "azure":
                    row["acr_usd"] = f"{level * 1.5:.2f}"
                elif cloud == "m365":
                    row.update(paid_units=level // 8, active_units=level // 12)
                else:
                    row.update(revenue_usd=f"{level * 3:.2f}", active_units=level // 40)
                usage.append(row)
    return {"customers": customers, "subscriptions": subscriptions, "usage": usage,
            "associations": [draw(association(subscriptions, f"A{i}", "P1")) for i in range(draw(st.integers(1, 4)))]
            + [draw(association(subscriptions, f"B{i}", "P2")) for i in range(draw(st.integers(1, 3)))],
            "certifications": [{"partner_id": p, "person_id": f"{p}-u{i}", "certification": draw(st.sampled_from(CERTS)),
                                "earned_on": "2025-01-01"} for p in ("P1", "P2") for i in range(draw(st.integers(0, 4)))],
            "extra": draw(association(subscriptions, "NEW", "P1")),
            "extra_cert": {"partner_id": "P1", "person_id": "P1-new", "certification": draw(st.sampled_from(CERTS)),
                           "earned_on": "2025-06-01"}}


def association(subscriptions, association_id: str, partner: str):
    """A valid association of a partner (no DPOR, see the module docstring)."""
    def build(sub, kind, start):
        row = {"association_id": association_id, "partner_id": partner, "type": kind, "tenant_id": sub["tenant_id"],
               "subscription_id": sub["subscription_id"], "start_date": start}
        if kind == "PAL":
            row["rbac_role"] = "Contributor"
        if kind == "CPOR_OSU":
            row["workload"] = "Exchange Online"
        return row
    return st.builds(build, st.sampled_from(subscriptions),
                      st.sampled_from(["CSP_DIRECT", "PAL", "CPOR_OSU", "CPOR_OSA", "CPOR_REVREC"]),
                      st.sampled_from(["2024-01-01", "2025-03-15", "2025-11-01", "2026-06-30"]))


def write(folder: Path, data: dict, *, extra_association=None, extra_cert=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "partners": [{"partner_id": "P1", "name": "One"}, {"partner_id": "P2", "name": "Two"}],
        "customers": data["customers"], "subscriptions": data["subscriptions"], "usage": data["usage"],
        "associations": data["associations"] + ([extra_association] if extra_association else []),
        "certifications": data["certifications"] + ([extra_cert] if extra_cert else []),
    }
    for name, rows in tables.items():
        columns = sorted({key for row in rows for key in row} | {c.name for c in CONTRACT[name] if c.required})
        with (folder / f"{name}.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def partner(doc: dict, partner_id: str) -> dict:
    return next(p for p in doc["partners"] if p["partner_id"] == partner_id)


PROPERTY_SETTINGS = settings(max_examples=5, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(data=datasets())
def test_points_stay_in_bounds_and_totals_add_up(tmp_path_factory, data):
    doc = score_dataset(write(tmp_path_factory.mktemp("base"), data), AS_OF)
    for p in doc["partners"]:
        for area in p["areas"]:
            for metric in area["metrics"]:
                assert 0 <= metric["points"] <= metric["max_points"]
            total = sum(m["points"] for m in area["metrics"])
            assert abs(total - area["points"]) <= 0.01 * len(area["metrics"])
            if area["qualified"]:
                assert area["points"] >= 70 and all(m["points"] >= 1 for m in area["metrics"])


@PROPERTY_SETTINGS
@given(data=datasets())
def test_one_partners_new_association_and_certification_leave_the_other_partner_unchanged(tmp_path_factory, data):
    base = score_dataset(write(tmp_path_factory.mktemp("base"), data), AS_OF)
    changed = score_dataset(write(tmp_path_factory.mktemp("changed"), data, extra_association=data["extra"],
                                  extra_cert=data["extra_cert"]), AS_OF)
    assert partner(changed, "P2") == partner(base, "P2")


@PROPERTY_SETTINGS
@given(data=datasets())
def test_a_certification_never_lowers_an_area_total(tmp_path_factory, data):
    base = score_dataset(write(tmp_path_factory.mktemp("base"), data), AS_OF)
    more = score_dataset(write(tmp_path_factory.mktemp("cert"), data, extra_cert=data["extra_cert"]), AS_OF)
    for before, after in zip(partner(base, "P1")["areas"], partner(more, "P1")["areas"]):
        assert after["points"] >= before["points"], before["area"]


@PROPERTY_SETTINGS
@given(data=datasets())
def test_an_association_starting_after_the_day_scored_changes_nothing(tmp_path_factory, data):
    future = {**data["extra"], "start_date": "2026-11-15"}
    base = score_dataset(write(tmp_path_factory.mktemp("base"), data), AS_OF)
    later = score_dataset(write(tmp_path_factory.mktemp("future"), data, extra_association=future), AS_OF)
    assert later == base


@PROPERTY_SETTINGS
@given(data=datasets())
def test_a_tpor_association_changes_no_score(tmp_path_factory, data):
    """TPOR is transactional recognition only (R3): it counts toward no metric, on any program."""
    sub = data["subscriptions"][0]
    tpor = {"association_id": "TPOR-1", "partner_id": "P1", "type": "TPOR", "tenant_id": sub["tenant_id"],
            "subscription_id": sub["subscription_id"], "start_date": "2024-01-01"}
    base = score_dataset(write(tmp_path_factory.mktemp("base"), data), AS_OF)
    with_tpor = score_dataset(write(tmp_path_factory.mktemp("tpor"), data, extra_association=tpor), AS_OF)
    assert with_tpor == base


@PROPERTY_SETTINGS
@given(data=datasets())
def test_scoring_on_integer_keys_gives_the_score_of_the_ids_themselves(tmp_path_factory, data):
    folder = write(tmp_path_factory.mktemp("keys"), data)
    import_dataset(folder, folder / "store.duckdb")
    tables = open_duckdb(folder / "store.duckdb")
    on_ids = replace(tables, keyed=False)
    try:
        assert tables.keyed
        assert score(tables, AS_OF).to_json() == score(on_ids, AS_OF).to_json()
        assert score(tables, AS_OF, partners=["P1"]).to_json() == score(on_ids, AS_OF, partners=["P1"]).to_json()
    finally:
        tables.backend.disconnect()
