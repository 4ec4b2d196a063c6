"""Security metrics (program-rules R11, R5, R15 "Security").

Each customer metric has an Azure part (Security ACR of the listed Azure security services, through
PAL and CSP) and a Microsoft 365 part (listed security workloads, through CPOR_OSU and CSP). The
parts are computed separately; a part whose result is negative earns 0 and does not offset the
other; the parts' points are summed and capped at the metric's maximum.
"""

from __future__ import annotations

import ibis
from ibis import _

from partnerscore.engine.metrics.base import (
    Context, cap, covered_rows, floor_div, join_on, linear_points, result, share_at_least, usd,
)
from partnerscore.engine.metrics.modern_work import eligible_in, tenant_months
from partnerscore.rules.schema import MetricRule


def _security_acr(ctx: Context, part: dict) -> ibis.Table:
    """Covered Security ACR per partner, tenant and month (computed once per run)."""
    counts, workloads = part["counts"], ctx.workloads(part["workloads"])
    return ctx.shared(("security_acr", tuple(counts), tuple(workloads)), lambda: covered_rows(
        ctx, counts, workloads, extra=(_.cloud == "azure")).group_by("partner_id", "tenant_id", "month").aggregate(
        acr=_.acr_micros.sum()))


def _ttm_acr(ctx: Context, part: dict) -> ibis.Table:
    """Per partner and tenant: Security ACR over the TTM ending M, M-12 and the month sums of M, M-12."""
    acr = _security_acr(ctx, part)
    return acr.group_by("partner_id", "tenant_id").aggregate(
        ttm_now=acr.acr.sum(where=acr.month.isin(ctx.ttm())).fill_null(0),
        ttm_prev=acr.acr.sum(where=acr.month.isin(ctx.ttm(-12))).fill_null(0),
        acr_now=acr.acr.sum(where=acr.month == ctx.m()).fill_null(0),
        acr_then=acr.acr.sum(where=acr.month == ctx.m(-12)).fill_null(0),
    )


def _in_band(amount: ibis.Value, band: dict) -> ibis.Value:
    """Whether an amount of micro-dollars falls in a band of the rule data (`above`, `at_least`, `at_most`)."""
    test = ibis.literal(True)
    if "above" in band:
        test = test & (amount > usd(band["above"]))
    if "at_least" in band:
        test = test & (amount >= usd(band["at_least"]))
    if "at_most" in band:
        test = test & (amount <= usd(band["at_most"]))
    return test


def _m365_months(ctx: Context, part: dict) -> ibis.Table:
    return tenant_months(ctx, part["counts"], ctx.workloads(part["workloads"]), part["eligible_tenant"],
                         by_type=False)


def _per_partner(table: ibis.Table, **aggregates) -> ibis.Table:
    return table.group_by("partner_id").aggregate(**aggregates)


def _combine(azure: ibis.Table, m365: ibis.Table) -> ibis.Table:
    """Both parts' per-partner results side by side (`a_*` Azure, `m_*` Microsoft 365), 0 where absent."""
    joined = join_on(azure, m365, ["partner_id"], how="outer")
    return joined.mutate(**{c: joined[c].fill_null(0) for c in joined.columns if c != "partner_id"})


def _month_pair(ctx: Context, per_month) -> ibis.Table:
    """`m_now - m_then` per partner from a builder of one month's per-partner sums."""
    both = join_on(per_month("now", ctx.m()), per_month("then", ctx.m(-12)), ["partner_id"], how="outer")
    return both.select("partner_id", m_value=both.m_now.fill_null(0) - both.m_then.fill_null(0))


def net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Azure: tenants with Security ACR ≥ $600 over the TTM minus the previous TTM; Microsoft 365:
    tenants eligible in a month of the TTM minus the previous TTM (R11)."""
    az, m365 = rule.params["azure"], rule.params["m365"]
    ttm = _ttm_acr(ctx, az)
    floor = usd(az["min_ttm_acr_usd"])
    a = _per_partner(ttm, a_net=(ttm.ttm_now >= floor).cast("int64").sum() - (ttm.ttm_prev >= floor).cast("int64").sum())
    tm = _m365_months(ctx, m365)
    flags = tm.filter(tm.in_range).group_by("partner_id", "tenant_id").aggregate(
        now=tm.month.isin(ctx.ttm()).any(), prev=tm.month.isin(ctx.ttm(-12)).any())
    m = _per_partner(flags, m_net=flags.now.cast("int64").sum() - flags.prev.cast("int64").sum())
    combined = _combine(a, m)
    units = combined.a_net.clip(lower=0) + combined.m_net.clip(lower=0)
    return result(combined, combined.a_net + combined.m_net, linear_points(units, rule, ctx.scale))


def deployments(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Azure: tenants whose TTM Security ACR is in the path's band, TTM ending M minus ending M-12;
    Microsoft 365: eligible tenants with active ≥ 15% of paid units, M minus M-12 (R11)."""
    az, m365 = rule.params["azure"], rule.params["m365"]
    ttm = _ttm_acr(ctx, az)
    band = az["tenant_ttm_acr_usd"]
    a = _per_partner(ttm, a_net=_in_band(ttm.ttm_now, band).cast("int64").sum()
                     - _in_band(ttm.ttm_prev, band).cast("int64").sum())
    tm = _m365_months(ctx, m365)
    deployed = share_at_least(tm.active, tm.paid, m365["active_share"])

    def deployed_in(name, month):
        elig = eligible_in(tm, m365["eligible_tenant"], month, ["partner_id"])
        at = tm.filter((tm.month == month) & deployed).select("partner_id", "tenant_id")
        return join_on(elig, at, ["partner_id", "tenant_id"], how="inner").group_by("partner_id").aggregate(
            **{f"m_{name}": _.tenant_id.nunique()})

    m = _month_pair(ctx, deployed_in).rename(m_net="m_value")
    combined = _combine(a, m)
    units = combined.a_net.clip(lower=0) + combined.m_net.clip(lower=0)
    return result(combined, combined.a_net + combined.m_net, linear_points(units, rule, ctx.scale))


def usage_growth(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Azure: Security ACR of M minus M-12 over the tenants in the path's TTM band, a point per step of
    dollars; Microsoft 365: active units of tenants eligible in M minus those of M-12, a point per
    step of users (R11). `value` is the Azure growth in dollars (R15)."""
    az, m365 = rule.params["azure"], rule.params["m365"]
    ttm = _ttm_acr(ctx, az)
    chosen = ttm.filter(_in_band(ttm.ttm_now, az["tenant_ttm_acr_usd"]))
    a = _per_partner(chosen, a_growth=(chosen.acr_now - chosen.acr_then).sum())
    tm = _m365_months(ctx, m365)

    def active_in(name, month):
        elig = eligible_in(tm, m365["eligible_tenant"], month, ["partner_id"])
        at = tm.filter(tm.month == month).select("partner_id", "tenant_id", "active")
        return join_on(elig, at, ["partner_id", "tenant_id"], how="inner").group_by("partner_id").aggregate(
            **{f"m_{name}": _.active.sum()})

    m = _month_pair(ctx, active_in).rename(m_growth="m_value")
    combined = _combine(a, m)
    a_points = floor_div(combined.a_growth, usd(az["usd_per_point"]))
    m_points = floor_div(combined.m_growth, m365["users_per_point"])
    points = cap(linear_points(a_points, rule, ctx.scale) + linear_points(m_points, rule, ctx.scale), rule, ctx.scale)
    return result(combined, combined.a_growth / 1_000_000, points)
