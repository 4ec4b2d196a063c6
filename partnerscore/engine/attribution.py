"""Attribution: which usage rows count for which partner, through which association (R2).

`covered_usage` joins every usage row to every eligible association that covers it in that month:

- `CPOR_OSU` covers the tenant's usage of its workload (only its subscription's, if it names one);
- `DPOR`, `PAL`, `CPOR_OSA`, `CPOR_REVREC`, `TPOR` cover the named subscription;
- `CSP_DIRECT` / `CSP_INDIRECT` cover the named subscription or, if none is named, every CSP
  subscription of the tenant.

An association covers a row of month X when it is in force on at least one day of X. The result has
one row per (usage row, crediting association); metrics de-duplicate rows themselves, because a row
counts once per metric however many associations cover it (R5, R15).
"""

from __future__ import annotations

from datetime import date

import ibis
from ibis import _

from partnerscore.engine.connect import Tables
from partnerscore.ledger.associations import Ledger

USAGE_COLUMNS = ("month", "tenant_id", "subscription_id", "workload_key", "program", "cloud",
                 "acr_micros", "paid_units", "active_units", "revenue_micros")
ASSOCIATION_COLUMNS = ("partner_id", "association_id", "type", "type_group", "tier", "start_date",
                       "start_month")


def usage_with_subscription(tables: Tables, last_month: date) -> ibis.Table:
    """Usage rows up to `last_month`, with the licensing program and cloud of their subscription."""
    subs = tables.subscriptions.select(s_id=_.subscription_id, program=_.program, cloud=_.cloud)
    usage = tables.usage.filter(_.month <= last_month)
    joined = usage.join(subs, usage.subscription_id == subs.s_id)
    return joined.select(*USAGE_COLUMNS)


def covered_usage(tables: Tables, ledger: Ledger, last_month: date) -> ibis.Table:
    """Every (usage row, crediting association) pair where the association covers the row (R2)."""
    usage = usage_with_subscription(tables, last_month)
    credits = ledger.credits.filter(_.type_group != "TPOR")
    named = credits.filter(_.subscription_id.notnull() & (_.type_group != "CPOR_OSU"))
    osu = credits.filter(_.type_group == "CPOR_OSU")
    csp_tenant = credits.filter((_.type_group == "CSP") & _.subscription_id.isnull())

    def in_force_for(u, a):
        return [a.start_month <= u.month, a.end_month.isnull() | (a.end_month >= u.month)]

    parts = []
    for assocs, keys in (
        (named, lambda u, a: [u.subscription_id == a.subscription_id]),
        (osu, lambda u, a: [u.tenant_id == a.tenant_id, u.workload_key == a.workload_key,
                            a.subscription_id.isnull() | (u.subscription_id == a.subscription_id)]),
        (csp_tenant, lambda u, a: [u.tenant_id == a.tenant_id, u.program == "CSP"]),
    ):
        u, a = usage.view(), assocs.view()
        joined = u.join(a, keys(u, a) + in_force_for(u, a))
        parts.append(joined.select(*[u[c] for c in USAGE_COLUMNS], *[a[c] for c in ASSOCIATION_COLUMNS]))
    return ibis.union(*parts)
