"""The demo data set: seven partners of different kinds, thousands of customers, two years of usage.

`build_demo()` builds it in memory, deterministically from a seed (the same seed gives the same
tables), in the form of the data contract; `write_dataset()` writes it as a data set folder. Tests, docs
and `partnerscore demo` all use it.

The partners are drawn to land on both sides of the 70-point line (scored as of the last day of
`end_month`, default 2026-10-31):

- 4650101 Contoso Cloud Direct (direct_bill, ~900 small Microsoft 365 tenants through CSP): qualifies
  in Modern Work (SMB); misses Security (steps 1 and 2 only, nobody in step 3: at most 68 points).
- 4650202 Fabrikam Consulting (services, an SI: CPOR on large M365 tenants, DPOR on EA Azure,
  CPOR_OSA/REVREC/OSU on Dynamics, PAL on Power Platform): qualifies in Business Applications
  (Enterprise), Data & AI and Digital & App Innovation; misses Modern Work (85 points, but its only
  advanced certification expired: 0 in a metric), Infrastructure (nobody in step 2) and Security.
- 4650303 Northwind Managed Cloud (services, an Azure MSP: PAL and DPOR, managed security): qualifies
  in Infrastructure and Security; misses Data & AI (nobody in step 3) and, narrowly (68),
  Digital & App Innovation.
- 4650404 Tailspin Distribution (indirect_provider): qualifies in Modern Work (SMB) as CSP Tier 1 of
  its resellers' customers; Infrastructure (SMB) passes 70 points but has no advanced certification.
- 4650505 Adatum Resellers (indirect_reseller): misses Modern Work (no advanced certification).
- 4650606 Litware IT Services (indirect_reseller): qualifies in Modern Work (SMB).
- 4650707 Woodgrove Licensing (lsp): TPOR on EA subscriptions only, which counts toward no metric.

The deliberate conflicts are listed in `CONFLICTS`; `UNKNOWN_WORKLOAD` names the one usage row whose
workload the catalogue does not know.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from partnerscore.demo._books import Roster, csp_customer, direct_customer, msp_customer, si_customer
from partnerscore.demo._builder import Builder
from partnerscore.demo._quirks import (CONFLICTS, UNKNOWN_WORKLOAD, Cast, add_conflicts,
                                       add_corrections, add_unknown_workload, certify)

__all__ = ["CONFLICTS", "PARTNERS", "UNKNOWN_WORKLOAD", "build_demo", "write_dataset"]

CONTOSO, FABRIKAM, NORTHWIND, TAILSPIN, ADATUM, LITWARE, WOODGROVE = (
    "4650101", "4650202", "4650303", "4650404", "4650505", "4650606", "4650707")

#: (partner_id, name, role, parent_partner_id)
PARTNERS: tuple[tuple[str, str, str, str | None], ...] = (
    (CONTOSO, "Contoso Cloud Direct", "direct_bill", None),
    (FABRIKAM, "Fabrikam Consulting", "services", None),
    (NORTHWIND, "Northwind Managed Cloud", "services", None),
    (TAILSPIN, "Tailspin Distribution", "indirect_provider", None),
    (ADATUM, "Adatum Resellers", "indirect_reseller", TAILSPIN),
    (LITWARE, "Litware IT Services", "indirect_reseller", TAILSPIN),
    (WOODGROVE, "Woodgrove Licensing", "lsp", None),
)

_ACTIVE, _EXPIRED, _LIFETIME = "active", "expired", "lifetime"

#: People per partner: (how many people, the certifications each holds, state).
_PEOPLE = {
    CONTOSO: [
        (1, ("Teams Administrator Associate", "Microsoft 365 Fundamentals"), _ACTIVE),
        (1, ("Microsoft 365 Certified: Endpoint Administrator Associate",
             "Enterprise Administrator Expert"), _ACTIVE),
        (1, ("MS-900",), _LIFETIME),
        (1, ("AZ-500",), _ACTIVE),
        (1, ("Security Operations Analyst",), _ACTIVE),
        (1, ("Identity and Access Administrator Associate",), _EXPIRED),
        (1, ("Azure Administrator Associate",), _EXPIRED),
    ],
    FABRIKAM: [
        (2, ("Teams Administrator Associate", "Identity and Access Administrator Associate"), _ACTIVE),
        (2, ("Collaboration Communications Systems Engineer Associate",), _ACTIVE),
        (1, ("Enterprise Administrator Expert", "Teams Administrator Associate"), _EXPIRED),
        (1, ("AZ-104", "Azure Solutions Architect Expert"), _ACTIVE),
        (1, ("Microsoft Certified: Azure Administrator Associate", "Azure Solutions Architect Expert",
             "Azure AI Engineer Associate"), _ACTIVE),
        (1, ("Azure Administrator Associate", "Azure Developer Associate"), _ACTIVE),
        (2, ("Azure AI Engineer Associate",), _ACTIVE),
        (2, ("DP-100",), _ACTIVE),
        (3, ("Fabric Data Engineer Associate",), _ACTIVE),
        (2, ("Azure Database Administrator Associate", "Azure Developer Associate"), _ACTIVE),
        (4, ("Power Platform Functional Consultant Associate",), _ACTIVE),
        (3, ("Power BI Data Analyst Associate", "PL-400"), _ACTIVE),
        (2, ("MB-230", "Power Platform Solution Architect Expert"), _ACTIVE),
        (2, ("Dynamics 365 Finance Functional Consultant Associate", "MB-700"), _ACTIVE),
        (2, ("MB-800",), _ACTIVE),
        (1, ("Microsoft Certified: Power Platform Solution Architect Expert", "MB-335"), _ACTIVE),
        (2, ("Power Platform Developer Associate",), _EXPIRED),
        (1, ("Azure Security Engineer Associate",), _ACTIVE),
        (1, ("Information Protection Administrator",), _ACTIVE),
    ],
    NORTHWIND: [
        (2, ("Azure Administrator Associate", "Azure Solutions Architect Expert"), _ACTIVE),
        (2, ("AZ-104", "Azure Network Engineer Associate"), _ACTIVE),
        (2, ("Windows Server Hybrid Administrator Associate",), _ACTIVE),
        (1, ("Azure Network Engineer Associate",
             "Microsoft Certified: Azure Solutions Architect Expert"), _ACTIVE),
        (3, ("Azure Virtual Desktop Specialty",), _ACTIVE),
        (2, ("Azure for SAP Workloads Specialty",), _ACTIVE),
        (1, ("Azure Developer Associate",), _ACTIVE),
        (1, ("Azure DevOps Engineer Expert",), _ACTIVE),
        (1, ("Azure Database Administrator Associate",), _EXPIRED),
        (2, ("Azure Security Engineer Associate", "Security Operations Analyst"), _ACTIVE),
        (4, ("Cybersecurity Architect Expert",), _ACTIVE),
        (2, ("Microsoft Certified: Identity and Access Administrator Associate",), _ACTIVE),
        (1, ("SC-200",), _EXPIRED),
    ],
    TAILSPIN: [
        (2, ("Teams Administrator Associate",), _ACTIVE),
        (1, ("Enterprise Administrator Expert", "Endpoint Administrator Associate"), _ACTIVE),
        (1, ("Azure Administrator Associate",), _ACTIVE),
        (2, ("Azure Network Engineer Associate",), _ACTIVE),
    ],
    ADATUM: [
        (1, ("Endpoint Administrator Associate",), _ACTIVE),
        (1, ("Microsoft 365 Fundamentals",), _LIFETIME),
    ],
    LITWARE: [
        (2, ("Teams Administrator Associate",), _ACTIVE),
        (1, ("Teams Meetings and Meeting Rooms Technical Assessment",), _LIFETIME),
        (1, ("AZ-104",), _ACTIVE),
    ],
    WOODGROVE: [
        (1, ("Microsoft 365 Fundamentals",), _LIFETIME),
        (2, ("Azure Fundamentals",), _LIFETIME),
    ],
}


def build_demo(seed: int = 42, *, customers: int = 3000, months: int = 24,
               end_month: str = "2026-10") -> dict[str, pa.Table]:
    """Build the demo data set: one Arrow table per data-contract table.

    Args:
        seed: the random seed; the same seed gives identical tables.
        customers: how many customer tenants (at least 20).
        months: months of usage (at least 12), ending with `end_month`.
        end_month: the last month of usage, `YYYY-MM`.

    Returns:
        `partners`, `customers`, `subscriptions`, `associations`, `usage`, `certifications`.

    >>> tables = build_demo(customers=100, months=13)
    >>> sorted(tables) == sorted(["partners", "customers", "subscriptions", "associations", "usage",
    ...                           "certifications"])
    True
    """
    if customers < 20 or months < 12:
        raise ValueError("the demo needs at least 20 customers and 12 months")
    b = Builder(seed, months=months, end_month=end_month)
    for partner_id, name, role, parent in PARTNERS:
        b.add("partners", partner_id=partner_id, name=name, role=role, parent_partner_id=parent)
    roster = Roster(lsp=(WOODGROVE,), msp=(NORTHWIND,),
                    resellers=((ADATUM, TAILSPIN), (LITWARE, TAILSPIN)))
    books = (
        (0.30, lambda full: csp_customer(b, roster, CONTOSO, full=full)),
        (0.14, lambda full: csp_customer(b, roster, ADATUM, provider_id=TAILSPIN, full=full)),
        (0.09, lambda full: csp_customer(b, roster, LITWARE, provider_id=TAILSPIN, full=full)),
        (0.09, lambda full: si_customer(b, roster, FABRIKAM, full=full)),
        (0.12, lambda full: msp_customer(b, roster, NORTHWIND, full=full)),
        (0.06, lambda full: direct_customer(b, roster, WOODGROVE)),
    )
    made = 0
    for share, make in books:
        for k in range(max(1, round(customers * share))):
            make(k == 0)
            made += 1
    for _ in range(customers - made):  # customers no partner is associated with
        direct_customer(b, roster)
    add_conflicts(b, Cast(csp=CONTOSO, si=FABRIKAM, msp=NORTHWIND, lsp=WOODGROVE))
    add_unknown_workload(b)
    add_corrections(b)
    for partner_id, people in _PEOPLE.items():
        certify(b, partner_id, people)
    return b.tables()


def write_dataset(tables: dict[str, pa.Table], out_dir: Path | str,
                  fmt: Literal["csv", "parquet"] = "csv") -> Path:
    """Write tables as a data set folder: one `<table>.csv` or `<table>.parquet` file per table.

    CSV files carry a header row, ISO dates, `YYYY-MM` months, `true`/`false` and empty cells for
    missing values, as the data contract asks.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        if fmt == "csv":
            pacsv.write_csv(table, out / f"{name}.csv",
                            pacsv.WriteOptions(quoting_style="needed"))
        else:
            pq.write_table(table, out / f"{name}.parquet")
    return out
