"""The promises the generated data keeps, as one check: every reference resolves, keys are unique,
dates are ordered and each association type carries the columns it needs.

This is what the generators guarantee about their own output, not `partnerscore validate` (which
judges any data set against the program rules); the deliberate conflicts pass it, as they are
well-formed rows that break program rules, not the contract.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

_NEEDS_SUBSCRIPTION = ("DPOR", "PAL", "CPOR_OSA", "CPOR_REVREC", "TPOR")


def integrity_problems(tables: dict[str, pa.Table]) -> list[str]:
    """Every broken promise in `tables`, as readable lines; empty when the data set is sound."""
    d = {name: table.to_pandas() for name, table in tables.items()}
    partners, customers, subs = d["partners"], d["customers"], d["subscriptions"]
    assoc, usage, certs = d["associations"], d["usage"], d["certifications"]
    problems = []

    def check(what: str, bad: pd.Series) -> None:
        count = int(bad.sum() if isinstance(bad, pd.Series) else len(bad))
        if count:
            problems.append(f"{what}: {count} rows")

    check("duplicate partner_id", partners.partner_id.duplicated())
    check("duplicate tenant_id", customers.tenant_id.duplicated())
    check("duplicate subscription_id", subs.subscription_id.duplicated())
    check("duplicate association_id and recorded_at",
          assoc.fillna({"recorded_at": assoc.start_date}).duplicated(["association_id", "recorded_at"]))
    check("duplicate usage (month, subscription_id, workload)",
          usage.duplicated(["month", "subscription_id", "workload"]))
    pids, tids = set(partners.partner_id), set(customers.tenant_id)
    check("parent_partner_id unknown", partners.parent_partner_id.notna()
          & ~partners.parent_partner_id.isin(pids))
    check("subscription tenant unknown", ~subs.tenant_id.isin(tids))
    check("association partner unknown", ~assoc.partner_id.isin(pids))
    check("association tenant unknown", ~assoc.tenant_id.isin(tids))
    check("indirect_provider_id unknown", assoc.indirect_provider_id.notna()
          & ~assoc.indirect_provider_id.isin(pids))
    sub_tenant = subs.set_index("subscription_id").tenant_id
    named = assoc[assoc.subscription_id.notna()]
    check("association subscription unknown", ~named.subscription_id.isin(sub_tenant.index))
    known = named[named.subscription_id.isin(sub_tenant.index)]
    check("association tenant is not its subscription's",
          known.subscription_id.map(sub_tenant).ne(known.tenant_id))
    check("usage subscription unknown", ~usage.subscription_id.isin(sub_tenant.index))
    check("usage tenant is not its subscription's",
          usage.subscription_id.map(sub_tenant).ne(usage.tenant_id))
    check("certification partner unknown", ~certs.partner_id.isin(pids))
    check("subscription ends before it starts",
          subs.end_date.notna() & (subs.end_date < subs.start_date))
    check("association ends before it starts",
          assoc.end_date.notna() & (assoc.end_date < assoc.start_date))
    check("certification expires before it is earned",
          certs.expires_on.notna() & (certs.expires_on < certs.earned_on))
    check("association without subscription_id",
          assoc.type.isin(_NEEDS_SUBSCRIPTION) & assoc.subscription_id.isna())
    check("CPOR_OSU without workload", assoc.type.eq("CPOR_OSU") & assoc.workload.isna())
    check("CSP_INDIRECT without indirect_provider_id",
          assoc.type.eq("CSP_INDIRECT") & assoc.indirect_provider_id.isna())
    problems += _usage_outside_subscription(usage, subs)
    return problems


def _usage_outside_subscription(usage: pd.DataFrame, subs: pd.DataFrame) -> list[str]:
    span = subs.set_index("subscription_id")
    first = span.start_date.map(lambda day: f"{day:%Y-%m}")
    last = span.end_date.map(lambda day: f"{day:%Y-%m}" if pd.notna(day) else "9999-12")
    month = usage.month
    outside = (month < usage.subscription_id.map(first)) | (month > usage.subscription_id.map(last))
    if not outside.any():
        return []
    return [f"usage outside its subscription's life: {int(outside.sum())} rows"]
