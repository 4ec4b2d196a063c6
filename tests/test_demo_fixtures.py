"""The demo data set: deterministic, in contract form, referentially sound, and carrying every
association type, the deliberate conflicts, corrections and the one unknown workload."""

from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pyarrow.parquet as pq
import pytest

from partnerscore.demo import CONFLICTS, PARTNERS, UNKNOWN_WORKLOAD, build_demo, write_dataset
from partnerscore.demo._integrity import integrity_problems
from partnerscore.ingest.tables import CONTRACT, ENUMS
from partnerscore.rules.names import is_known_workload

ASSOCIATION_TYPES = ENUMS[("associations", "type")]


@pytest.fixture(scope="module")
def tables():
    return build_demo()


@pytest.fixture(scope="module")
def frames(tables):
    return {name: table.to_pandas() for name, table in tables.items()}


def test_build_demo_same_seed_gives_identical_tables():
    first, second = build_demo(7, customers=200), build_demo(7, customers=200)
    assert all(first[name].equals(second[name]) for name in CONTRACT)


def test_build_demo_other_seed_gives_other_tables():
    assert not build_demo(1, customers=200)["usage"].equals(build_demo(2, customers=200)["usage"])


def test_build_demo_tables_have_the_contract_columns(tables):
    assert list(tables) == list(CONTRACT)
    for name, columns in CONTRACT.items():
        assert tables[name].column_names == [c.name for c in columns]


def test_build_demo_required_columns_are_filled(tables):
    for name, columns in CONTRACT.items():
        for column in columns:
            if column.required:
                assert tables[name][column.name].null_count == 0, f"{name}.{column.name}"


def test_build_demo_enumerated_columns_hold_allowed_values(frames):
    for (name, column), allowed in ENUMS.items():
        values = set(frames[name][column].dropna())
        assert values <= set(allowed), f"{name}.{column}: {values - set(allowed)}"


def test_build_demo_is_referentially_sound(tables):
    assert integrity_problems(tables) == []


def test_build_demo_sizes(frames):
    assert len(frames["customers"]) == 3000
    assert len(frames["partners"]) == len(PARTNERS) == 7
    assert 250_000 <= len(frames["usage"]) <= 600_000


def test_build_demo_months_end_at_end_month(frames):
    months = sorted(frames["usage"].month.unique())
    assert len(months) == 24 and months[0] == "2024-11" and months[-1] == "2026-10"
    short = build_demo(customers=100, months=13, end_month="2025-06")["usage"].to_pandas()
    assert sorted(short.month.unique())[::12] == ["2024-06", "2025-06"]


def test_build_demo_partner_kinds_and_reseller_links(frames):
    partners = frames["partners"].set_index("partner_id")
    assert set(partners.role) == set(ENUMS[("partners", "role")])
    resellers = partners[partners.role == "indirect_reseller"]
    assert len(resellers) == 2
    assert (partners.loc[resellers.parent_partner_id, "role"] == "indirect_provider").all()
    indirect = frames["associations"].query("type == 'CSP_INDIRECT'")
    assert (indirect.indirect_provider_id == indirect.partner_id.map(partners.parent_partner_id)).all()


def test_build_demo_every_association_type_is_present(frames):
    counts = frames["associations"].type.value_counts()
    assert set(counts.index) == set(ASSOCIATION_TYPES)
    assert counts.min() >= 10


def test_build_demo_association_starts_spread_over_the_window_and_some_end(frames):
    assoc = frames["associations"]
    start_months = {f"{d:%Y-%m}" for d in assoc.start_date}
    assert len(start_months & set(frames["usage"].month)) >= 22
    assert (assoc.start_date < date(2024, 11, 1)).any()  # held from before the window
    assert assoc.end_date.notna().mean() > 0.05


def test_build_demo_pal_roles_include_eligible_and_ineligible(frames):
    roles = set(frames["associations"].query("type == 'PAL'").rbac_role.dropna())
    assert {"Owner", "Contributor", "Reader"} <= roles


def test_build_demo_cpor_incentives_have_every_poe_status(frames):
    cpor = frames["associations"][frames["associations"].type.str.startswith("CPOR")]
    statuses = set(cpor[cpor.incentive.eq(True)].poe_status)
    assert {"approved", "submitted", "rejected"} <= statuses


def test_build_demo_corrections_are_later_rows_with_changed_end_date(frames):
    assoc = frames["associations"]
    repeated = assoc[assoc.association_id.duplicated(keep=False)]
    assert repeated.association_id.nunique() >= 5
    for _, versions in repeated.groupby("association_id"):
        first, later = versions.iloc[0], versions.iloc[-1]
        assert later.recorded_at > first.recorded_at
        assert (pd.isna(first.end_date), first.end_date) != (pd.isna(later.end_date), later.end_date)


def test_build_demo_conflicts_are_present(frames):
    assoc, subs = frames["associations"], frames["subscriptions"].set_index("subscription_id")
    rows = assoc.set_index("association_id").loc[list(CONFLICTS)]
    program = rows.subscription_id.map(subs.program)
    takeover = rows.loc["X-DPOR-TAKEOVER"]
    earlier = assoc[(assoc.subscription_id == takeover.subscription_id) & (assoc.type == "DPOR")
                    & (assoc.partner_id != takeover.partner_id)]
    assert ((earlier.start_date < takeover.start_date) & earlier.end_date.isna()).any()
    assert program["X-CPOR-OSA-ON-CSP"] == "CSP" and rows.loc["X-CPOR-OSA-ON-CSP", "type"] == "CPOR_OSA"
    assert rows.loc["X-PAL-READER", "rbac_role"] == "Reader"
    assert program["X-TPOR-NON-EA"] != "EA" and rows.loc["X-TPOR-NON-EA", "type"] == "TPOR"
    by_dpor = rows.loc["X-TPOR-BY-DPOR"]
    assert ((assoc.subscription_id == by_dpor.subscription_id) & (assoc.type == "DPOR")
            & (assoc.partner_id == by_dpor.partner_id)).any()
    assert program["X-CSP-ON-EA"] == "EA" and rows.loc["X-CSP-ON-EA", "type"] == "CSP_DIRECT"


def test_build_demo_has_one_unknown_workload_row(frames):
    names = frames["usage"].workload
    unknown = names[~names.map(is_known_workload)]
    assert list(unknown) == [UNKNOWN_WORKLOAD]


def test_build_demo_measures_match_the_cloud(frames):
    usage = frames["usage"].merge(frames["subscriptions"][["subscription_id", "cloud"]])
    azure, m365 = usage[usage.cloud == "azure"], usage[usage.cloud == "m365"]
    business = usage[usage.cloud.isin(["dynamics365", "power_platform"])]
    assert azure.acr_usd.notna().all() and azure.paid_units.isna().all()
    assert m365.paid_units.notna().all() and (m365.active_units <= m365.paid_units).all()
    assert business.revenue_usd.notna().all() and business.active_units.notna().all()
    assert (usage.acr_usd.dropna() >= 0).all()


def test_build_demo_smb_csp_and_enterprise_si_have_their_seat_ranges(frames):
    usage, assoc = frames["usage"], frames["associations"]
    seats = usage[usage.workload == "Exchange Online"].groupby("tenant_id").paid_units.max()
    csp = assoc.query("partner_id == '4650101' and type == 'CSP_DIRECT'").tenant_id.unique()
    si = assoc.query("partner_id == '4650202' and type == 'CPOR_OSU'").tenant_id.unique()
    assert seats.reindex(csp).dropna().between(11, 300).mean() > 0.75
    assert (seats.reindex(si).dropna() > 300).mean() > 0.9


def test_build_demo_customers_mix_segments(frames):
    segments = frames["customers"].segment
    assert {"enterprise", "smb"} <= set(segments.dropna()) and segments.isna().any()


def test_build_demo_certifications_vary(frames):
    certs = frames["certifications"]
    names = set(certs.certification)
    assert {"AZ-104", "Microsoft 365 Fundamentals"} <= names
    assert any(name.startswith("Microsoft Certified: ") for name in names)
    assert (certs.expires_on.dropna() < date(2026, 10, 31)).any()  # some expired
    assert certs.groupby("person_id").size().max() >= 2


def test_write_dataset_writes_contract_csv(tables, tmp_path):
    small = build_demo(customers=100, months=13)
    out = write_dataset(small, tmp_path / "demo")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.csv" for name in CONTRACT)
    with open(out / "associations.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [c.name for c in CONTRACT["associations"]]
    assert {row["incentive"] for row in rows} <= {"true", "false", ""}
    assert all(len(row["start_date"]) == 10 and row["start_date"][4] == "-" for row in rows)
    with open(out / "usage.csv", newline="") as handle:
        assert len(next(csv.DictReader(handle))["month"]) == 7


def test_write_dataset_writes_parquet(tmp_path):
    small = build_demo(customers=100, months=13)
    out = write_dataset(small, tmp_path / "demo", "parquet")
    for name, table in small.items():
        assert pq.read_table(out / f"{name}.parquet").equals(table)


def test_write_dataset_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="csv"):
        write_dataset({}, tmp_path, "json")
