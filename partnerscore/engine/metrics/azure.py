"""The three Azure areas' shared metrics (program-rules R13) and the Azure path (R8).

ACR is `acr_micros` of covered usage rows on `azure` subscriptions; every meter category counts,
catalogued or not (R15). The same expressions serve Data & AI, Infrastructure and Digital & App
Innovation, so their points are equal by construction.
"""

from __future__ import annotations

from fractions import Fraction

import ibis
from ibis import _

from partnerscore.engine.metrics.base import Context, covered_rows, floor_div, linear_points, net_result, result, usd
from partnerscore.rules.schema import MetricRule


def _acr_rows(ctx: Context, counts: list[str]) -> ibis.Table:
    return covered_rows(ctx, counts, extra=(_.cloud == "azure"))


def tenant_month_acr(ctx: Context, counts: list[str]) -> ibis.Table:
    """Covered ACR per partner, tenant and month (computed once per run: every Azure metric reads it)."""
    return ctx.shared(("azure_acr", tuple(counts)), lambda: _acr_rows(ctx, counts).group_by(
        "partner_id", "tenant_id", "month").aggregate(acr=_.acr_micros.sum()))


def net_customer_adds_facts(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Per tenant: eligible now (ACR ≥ threshold in M-1 or M) and a year earlier (M-13 or M-12)."""
    acr = tenant_month_acr(ctx, rule.params["counts"])
    floor = usd(rule.params["min_month_acr_usd"])
    reaches = acr.acr >= floor
    return acr.group_by("partner_id", "tenant_id").aggregate(
        now=(reaches & acr.month.isin([ctx.m(-1), ctx.m()])).any(),
        year_ago=(reaches & acr.month.isin([ctx.m(-13), ctx.m(-12)])).any(),
        best_now=acr.acr.max(where=acr.month.isin([ctx.m(-1), ctx.m()])),
        best_year_ago=acr.acr.max(where=acr.month.isin([ctx.m(-13), ctx.m(-12)])),
    )


def net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Eligible tenants now minus eligible tenants a year earlier; 10 points each (R13)."""
    return net_result(ctx, net_customer_adds_facts(ctx, rule), rule)


def usage_growth(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Covered ACR growth % of M over M-12, one point per whole percent (R13).

    No points when M-12 has no ACR (value null) or when the TTM's covered ACR is below the gate.
    """
    acr = tenant_month_acr(ctx, rule.params["counts"])
    totals = acr.group_by("partner_id").aggregate(
        now=acr.acr.sum(where=acr.month == ctx.m()).fill_null(0),
        base=acr.acr.sum(where=acr.month == ctx.m(-12)).fill_null(0),
        ttm=acr.acr.sum(where=acr.month.isin(ctx.ttm())).fill_null(0),
    )
    growth = totals.now - totals.base
    percent = ibis.ifelse(totals.base > 0, growth * 100.0 / totals.base, ibis.null("float64"))
    whole = ibis.ifelse(
        (totals.base > 0) & (totals.ttm >= usd(rule.params["min_ttm_acr_usd"])),
        floor_div(growth * 100, totals.base), 0)
    return result(totals, percent, linear_points(whole, rule, ctx.scale))


def deployments_facts(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Per Azure service: covered ACR over the TTM, and whether the service is excluded."""
    rows = _acr_rows(ctx, rule.params["counts"]).filter(_.month.isin(ctx.ttm()))
    excluded = ctx.workloads(rule.params["excluded_workloads"])
    per_service = rows.group_by("partner_id", "workload_key").aggregate(ttm_acr=_.acr_micros.sum())
    return per_service.mutate(excluded=per_service.workload_key.isin(excluded))


def deployments(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Distinct Azure services with covered ACR > 0 over the TTM, except the excluded ones (R13)."""
    facts = deployments_facts(ctx, rule)
    counted = facts.filter(~facts.excluded & (facts.ttm_acr > 0))
    per_partner = counted.group_by("partner_id").aggregate(services=_.workload_key.nunique())
    return result(per_partner, per_partner.services, linear_points(per_partner.services, rule, ctx.scale))


def customer_segments(ctx: Context, params: dict) -> ibis.Table:
    """Per partner: its Azure customers (covered ACR > 0 in M) and how many of them are SMB (R8).

    A tenant is SMB when its segment says so, or when the segment is empty and the tenant's whole
    Azure ACR over the TTM, covered or not, is at most the rule's limit (R15).
    """
    acr = tenant_month_acr(ctx, params["counts"])
    customers = acr.filter((acr.month == ctx.m()) & (acr.acr > 0)).select("partner_id", "tenant_id").distinct()
    # Only the customers' own usage is read: a partner-filtered run stays small.
    usage = ctx.usage.filter((ctx.usage.cloud == "azure") & ctx.usage.month.isin(ctx.ttm()))
    tenants = customers.select(c_tenant=_.tenant_id).distinct()
    usage = usage.semi_join(tenants, usage.tenant_id == tenants.c_tenant)
    whole_ttm = usage.group_by("tenant_id").aggregate(whole_acr=_.acr_micros.sum())
    segments = ctx.tables.customers.select(c_tenant=_.tenant_id, segment=_.segment)
    whole_ttm = whole_ttm.rename(w_tenant="tenant_id")
    joined = customers.left_join(segments, customers.tenant_id == segments.c_tenant)
    joined = joined.left_join(whole_ttm, joined.tenant_id == whole_ttm.w_tenant)
    is_smb = ibis.cases(
        (joined.segment == "smb", True),
        (joined.segment.isnull() | (joined.segment == ""),
         joined.whole_acr.fill_null(0) <= usd(params["smb_ttm_acr_at_most_usd"])),
        else_=False)
    return joined.select("partner_id", "tenant_id", "segment", smb=is_smb)


def azure_path(ctx: Context, params: dict) -> ibis.Table:
    """Per partner with Azure customers: `smb` when the SMB share reaches the rule's share, else enterprise."""
    segs = customer_segments(ctx, params)
    share = Fraction(params["smb_share"])
    counts = segs.group_by("partner_id").aggregate(customers=_.tenant_id.nunique(), smb=_.smb.cast("int64").sum())
    path = ibis.ifelse(counts.smb * share.denominator >= counts.customers * share.numerator, "smb", "enterprise")
    return counts.select("partner_id", path=path)
