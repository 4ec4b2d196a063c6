"""Small hand-built data sets for the decision tools' tests, written as data (no tests here).

`build(tmp_path, case)` writes a case's rows as a data-set folder and imports it. Usage is given as
(tenant, subscription, workload, {first_month: acr, ...}): each amount holds from its month until the
next one listed (or the last month), so a case reads as "ACR 1,000 a month, then 2,000 from 2025-11".
"""

from __future__ import annotations

import csv
from pathlib import Path

from partnerscore.engine.months import month_range
from partnerscore.ingest.importer import import_dataset

FIRST, LAST = "2024-11", "2026-10"

HEADERS = {
    "partners": ["partner_id", "name", "role"],
    "customers": ["tenant_id", "name", "segment"],
    "subscriptions": ["subscription_id", "tenant_id", "program", "cloud", "start_date"],
    "associations": ["association_id", "partner_id", "type", "tenant_id", "subscription_id", "workload", "rbac_role",
                     "incentive", "poe_status", "start_date", "end_date"],
    "certifications": ["partner_id", "person_id", "certification", "earned_on", "expires_on"],
    "usage": ["month", "tenant_id", "subscription_id", "workload", "acr_usd", "paid_units", "active_units",
              "revenue_usd"],
}

#: An SMB Azure partner: DPOR on T1 (ACR doubled in a year, five services), three Azure customers it
#: does not cover (T2 and T3 above $500 a month, T4 below), one person with AZ-104, one with a
#: certification no list counts. P2 is T4's DPOR. Infrastructure as of 2026-10-31: 34 points (net adds 0, intermediate 4,
#: advanced 0, growth 20, deployments 10).
AZURE_SMB = {
    "partners": [("P1", "Contoso", "services"), ("P2", "Fabrikam", "services")],
    "customers": [(t, f"Customer {t}", "smb") for t in ("T1", "T2", "T3", "T4")],
    "subscriptions": [("S1", "T1", "EA", "azure", "2023-01-01"), ("S2", "T2", "EA", "azure", "2023-01-01"),
                      ("S3", "T3", "CSP", "azure", "2023-01-01"), ("S4", "T4", "WEB_DIRECT", "azure", "2023-01-01")],
    "associations": [("A1", "P1", "DPOR", "T1", "S1", "", "", "", "", "2024-01-01", ""),
                     ("B1", "P2", "DPOR", "T4", "S4", "", "", "", "", "2024-01-01", "")],
    "certifications": [("P1", "u1", "AZ-104", "2024-01-01", ""), ("P1", "u2", "Azure Fundamentals", "2024-01-01", "")],
    "usage": [("T1", "S1", w, {FIRST: 200, "2025-11": 400})
              for w in ("Storage", "SQL Database", "Key Vault", "App Service", "Azure Monitor")]
             + [("T2", "S2", "Storage", {FIRST: 0, "2026-09": 800}), ("T3", "S3", "Storage", {FIRST: 0, "2026-09": 600}),
                ("T4", "S4", "Storage", {FIRST: 100})],
}

#: AZURE_SMB where T2 and T3 are P1's customers too: P1 holds Reader PAL links there, which credit
#: nothing (a PAL needs a write role, R4), so the score is the same 34 points. A plan offers only a
#: partner's own customers: on AZURE_SMB itself, T2 and T3 are nobody's and T4 is P2's.
AZURE_SMB_LINKED = {**AZURE_SMB, "associations": AZURE_SMB["associations"] + [
    ("R2", "P1", "PAL", "T2", "S2", "", "Reader", "", "", "2024-01-01", ""),
    ("R3", "P1", "PAL", "T3", "S3", "", "Reader", "", "", "2024-01-01", "")]}


def _usage_rows(spec) -> list[tuple]:
    rows = []
    for tenant, sub, workload, amounts in spec:
        steps = sorted(amounts.items())
        for month in month_range(_month(FIRST), _month(LAST)):
            key = month.isoformat()[:7]
            acr = [a for m, a in steps if m <= key][-1]
            if acr:
                rows.append((key, tenant, sub, workload, acr, "", "", ""))
    return rows


def _month(text: str):
    from datetime import date
    return date.fromisoformat(text + "-01")


def write(folder: Path, case: dict) -> Path:
    """The case as a data-set folder of CSV files."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, header in HEADERS.items():
        rows = _usage_rows(case["usage"]) if table == "usage" else case.get(table, [])
        with open(folder / f"{table}.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
    return folder


def build(tmp_path: Path, case: dict, name: str = "case") -> Path:
    """The case imported into a DuckDB file."""
    db = tmp_path / f"{name}.duckdb"
    import_dataset(write(tmp_path / name, case), db)
    return db

