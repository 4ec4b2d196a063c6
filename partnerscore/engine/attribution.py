"""Attribution: which usage rows count for which partner, through which association (R2).

`covered_usage` joins every usage row to every eligible association that covers it in that month:

- `CPOR_OSU` covers the tenant's usage of its workload (only its subscription's, if it names one);
- `DPOR`, `PAL`, `CPOR_OSA`, `CPOR_REVREC`, `TPOR` cover the named subscription;
- `CSP_DIRECT` / `CSP_INDIRECT` cover the named subscription or, if none is named, every CSP
  subscription of the tenant.

An association covers a row of month X when it is in force on at least one day of X. The result has
one row per (usage row, crediting association). A row counts once per metric however many associations
cover it (R5, R15), so scoring reads `covered_once`: one row per (partner, usage row) with, per type
group, the first month of a covering association of that group.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import ibis
from ibis import _

from partnerscore.engine.connect import Tables
from partnerscore.ledger.associations import Ledger

USAGE_COLUMNS = ("month", "tenant_id", "subscription_id", "workload_key", "program", "cloud",
                 "acr_micros", "paid_units", "active_units", "revenue_micros")
ASSOCIATION_COLUMNS = ("partner_id", "association_id", "type", "type_group", "tier", "start_date",
                       "start_month")
ROW_KEY = ("tenant_id", "subscription_id", "workload_key", "month")
#: What `covered_once` keeps of a row's key: no metric reads the subscription, and leaving its 36-character
#: IDs out of the run's largest table saves writing them for every covered row.
COVERED_KEY = ("tenant_id", "workload_key", "month")
MEASURES = ("program", "cloud", "acr_micros", "paid_units", "active_units", "revenue_micros")


def usage_with_subscription(tables: Tables, last_month: date) -> ibis.Table:
    """Usage rows up to `last_month`, with the licensing program and cloud of their subscription."""
    subs = tables.subscriptions.select(s_id=_.subscription_id, program=_.program, cloud=_.cloud)
    usage = tables.usage.filter(_.month <= last_month)
    joined = usage.join(subs, usage.subscription_id == subs.s_id)
    return joined.select(*USAGE_COLUMNS)


def tenants_usage(tables: Tables, associations: ibis.Table) -> ibis.Table:
    """The usage of the tenants `associations` name or whose subscriptions they name: every usage row
    they may cover (a row's tenant is its subscription's; the importer rejects others), in one scan."""
    owners = tables.subscriptions.select(o_sub=_.subscription_id, o_tenant=_.tenant_id)
    named = associations.join(owners, associations.subscription_id == owners.o_sub).select(c_tenant=owners.o_tenant)
    tenants = associations.select(c_tenant=_.tenant_id).union(named).distinct()
    usage = tables.usage.select(*(c for c in USAGE_COLUMNS if c not in ("program", "cloud")))
    return usage.semi_join(tenants, usage.tenant_id == tenants.c_tenant)


def covered_usage(tables: Tables, ledger: Ledger, last_month: date, extra: tuple[str, ...] = (),
                  few: bool = False) -> ibis.Table:
    """Every (usage row, crediting association) pair where the association covers the row (R2);
    `extra` names further credit columns to carry along. With `few` (the credits of a few partners),
    the usage that CPOR OSU credits may cover is first narrowed to their tenants."""
    # Each branch joins the stored usage table itself (no shared filtered copy, which DuckDB would
    # materialise as a common table expression) to its credits first, and only then to the
    # subscriptions for the program and cloud: the credits are the selective side, so a few
    # partners' run reads little.
    subs = tables.subscriptions.select(s_id=_.subscription_id, program=_.program, cloud=_.cloud)
    credits = ledger.credits.filter(_.type_group != "TPOR")
    named = credits.filter(_.subscription_id.notnull() & (_.type_group != "CPOR_OSU"))
    osu = credits.filter(_.type_group == "CPOR_OSU")
    csp_tenant = credits.filter((_.type_group == "CSP") & _.subscription_id.isnull())

    def in_force_for(u, a):
        return [a.start_month <= u.month, a.end_month.isnull() | (a.end_month >= u.month)]

    parts = []
    for assocs, keys, programs in (
        (named, lambda u, a: [u.subscription_id == a.subscription_id], None),
        (osu, lambda u, a: [u.tenant_id == a.tenant_id, u.workload_key == a.workload_key,
                            a.subscription_id.isnull() | (u.subscription_id == a.subscription_id)], None),
        (csp_tenant, lambda u, a: [u.tenant_id == a.tenant_id], ["CSP"]),
    ):
        u, a = tables.usage.view(), assocs.view()
        if few and assocs is osu:
            # A join on one column lets the engine skip the usage of other tenants while it scans (a
            # filter made from the join's small side); the (tenant, workload) join below does not.
            tenants = osu.select(o_tenant=_.tenant_id).distinct()
            u = u.semi_join(tenants, u.tenant_id == tenants.o_tenant).view()
        pairs = u.join(a, [*keys(u, a), u.month <= last_month, *in_force_for(u, a)]).select(
            *[u[c] for c in USAGE_COLUMNS if c not in ("program", "cloud")],
            *[a[c] for c in (*ASSOCIATION_COLUMNS, *extra)])
        with_sub = pairs.join(subs, pairs.subscription_id == subs.s_id)
        if programs is not None:
            with_sub = with_sub.filter(with_sub.program.isin(programs))
        parts.append(with_sub.select(*USAGE_COLUMNS, *ASSOCIATION_COLUMNS, *extra))
    return ibis.union(*parts)


def since_column(group: str) -> str:
    """The `covered_once` column holding the first month a `group` association covers the row."""
    return f"since_{group.lower()}"


def mark_shared(credits: ibis.Table, subscriptions: ibis.Table) -> ibis.Table:
    """The credits with `shared`: whether another credit of the same partner may cover a usage row
    this one covers, so that `covered_once` must group their pairs.

    What a credit covers (`covered_usage`) is narrowed to a scope: the tenant it touches (its
    subscription's when it names one, outside CPOR OSU; else its own), the subscription it names
    (none: any of the tenant's) and, for CPOR OSU, its workload (other types: any). Two credits may
    cover one row only if their scopes meet: same partner and tenant, and subscriptions and workloads
    equal or left open. A usage row belongs to one tenant (the importer rejects a row whose tenant is
    not its subscription's), so this is a superset of the credits that do cover a row twice: months
    and licensing programs are left out. Credits that cover no usage (TPOR) are never shared.
    """
    owners = subscriptions.select(o_sub=_.subscription_id, o_tenant=_.tenant_id)
    joined = credits.left_join(owners, credits.subscription_id == owners.o_sub)
    osu = joined.type_group == "CPOR_OSU"
    named = joined.subscription_id.notnull() & ~osu & (joined.type_group != "TPOR")
    tenant_wide_csp = (joined.type_group == "CSP") & joined.subscription_id.isnull()
    scoped = joined.mutate(
        s_covers=named | osu | tenant_wide_csp,
        s_tenant=ibis.ifelse(named, joined.o_tenant, joined.tenant_id),
        s_workload=ibis.ifelse(osu, joined.workload_key, ibis.null("string")),
    ).drop("o_sub", "o_tenant")
    scopes = scoped.filter(_.s_covers).group_by(
        k_partner=_.partner_id, k_tenant=_.s_tenant, k_sub=_.subscription_id, k_workload=_.s_workload,
    ).aggregate(n=_.count())
    # Per scope, the credits whose scope meets it (itself included): more than one means shared.
    a, b = scopes.view(), scopes.view()
    meeting = a.join(b, [
        a.k_partner == b.k_partner, a.k_tenant == b.k_tenant,
        a.k_sub.isnull() | b.k_sub.isnull() | (a.k_sub == b.k_sub),
        a.k_workload.isnull() | b.k_workload.isnull() | (a.k_workload == b.k_workload),
    ]).select(m_partner=a.k_partner, m_tenant=a.k_tenant, m_sub=a.k_sub, m_workload=a.k_workload, n=b.n)
    met = meeting.group_by("m_partner", "m_tenant", "m_sub", "m_workload").aggregate(met=_.n.sum())
    shared = scoped.left_join(met, [
        scoped.partner_id == met.m_partner, scoped.s_tenant.identical_to(met.m_tenant),
        scoped.subscription_id.identical_to(met.m_sub), scoped.s_workload.identical_to(met.m_workload)])
    # A covering credit without a tenant matches no scope: counted as shared, the safe side.
    flag = shared.s_covers & (shared.met.fill_null(2) > 1)
    return shared.mutate(shared=flag).drop(
        "s_covers", "s_tenant", "s_workload", "m_partner", "m_tenant", "m_sub", "m_workload", "met")


def covered_once(tables: Tables, ledger: Ledger, last_month: date, groups: Iterable[str],
                 scan_once: bool = False) -> ibis.Table:
    """One row per (partner, usage row) some association of `ledger` covers (`COVERED_KEY` and the
    measures), with per type group in `groups` the first month of a covering association of that group
    (null when no association of it covers the row).

    Computed once per run, it spares every metric a de-duplication of the covered pairs: "covered by
    any of these groups" becomes a test of non-null columns. The ledger's credits carry `shared`
    (`mark_shared`): the pairs of unshared credits are unique already and pass through; only the pairs
    of shared credits are grouped. No engine stores the pairs as a table (at 10M usage rows writing
    them cost 2 s). Two ways to reach them give the same rows:

    - by default, the unshared and the shared credits are attributed separately: each join holds
      only its credits, the fastest for a full run (10.6 s against 11.9 s at 10M rows);
    - with `scan_once`, the pairs are one expression read by both branches, which DuckDB computes
      once within the statement: one scan of the usage table instead of two, the fastest when a few
      partners' credits meet a large usage table (a partner's run, a batch).

    The usage key (month, subscription, workload) identifies a row, so their measures are taken with `max`.
    """
    groups = sorted(set(groups))
    if scan_once:
        pairs = covered_usage(tables, ledger, last_month, extra=("shared",), few=True)
        single, several = pairs.filter(~pairs.shared), pairs.filter(pairs.shared)
    else:
        single, several = (covered_usage(tables, Ledger(ledger.holding, ledger.credits.filter(_.shared == shared)),
                                         last_month) for shared in (False, True))
    single = single.select("partner_id", *COVERED_KEY, *MEASURES, **{
        since_column(g): ibis.ifelse(single.type_group == g, single.start_month, ibis.null("date")) for g in groups})
    several = several.group_by("partner_id", *ROW_KEY).aggregate(
        **{c: several[c].max() for c in MEASURES},
        **{since_column(g): several.start_month.min(where=several.type_group == g) for g in groups})
    return ibis.union(single, several.drop("subscription_id"))
