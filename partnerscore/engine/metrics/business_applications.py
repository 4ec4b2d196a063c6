"""Business Applications metrics (program-rules R12, R8, R15 "Business Applications pairs").

Net customer adds and deployments count tenant × workload pairs (the usage `workload` name, so
Customer Service and Field Service are two pairs). Usage is monthly consumption value (MCV): active
units × the workload's rate. Dynamics 365 workloads (except Customer Insights) count through
CPOR_OSU (on EA or CASA_EES subscriptions only), CSP and DPOR; Power Platform and Customer Insights
through PAL (R3, R4).
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm

import ibis
from ibis import _

from partnerscore.engine.metrics.base import (
    Context, covered_rows, covers, floor_div, linear_points, net_result, result, usd,
)
from partnerscore.rules.names import workload_key
from partnerscore.rules.schema import MetricRule


def _revenue_pairs(ctx: Context, counts: list[str], workloads: str) -> ibis.Table:
    """Covered revenue per partner, tenant × workload pair and month (computed once per run)."""
    keys = ctx.workloads(workloads)
    return ctx.shared(("revenue_pairs", tuple(counts), tuple(keys)), lambda: covered_rows(ctx, counts, keys).group_by(
        "partner_id", "tenant_id", "workload_key", "month").aggregate(revenue=_.revenue_micros.sum().fill_null(0)))


def _over(amount: ibis.Value, band: dict) -> ibis.Value:
    if "above" in band:
        return amount > usd(band["above"])
    return amount >= usd(band["at_least"])


def net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Pairs with covered revenue over the path's floor in M minus those in M-12 (R12)."""
    return net_result(ctx, net_customer_adds_facts(ctx, rule), rule)


def net_customer_adds_facts(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Per tenant × workload pair: revenue over the floor in M (`now`) and in M-12 (`year_ago`)."""
    pairs = _revenue_pairs(ctx, rule.params["counts"], rule.params["workloads"])
    over = _over(pairs.revenue, rule.params["revenue_usd"])
    return pairs.group_by("partner_id", "tenant_id", "workload_key").aggregate(
        now=(over & (pairs.month == ctx.m())).any(), year_ago=(over & (pairs.month == ctx.m(-12))).any(),
        revenue_now=pairs.revenue.sum(where=pairs.month == ctx.m()),
        revenue_year_ago=pairs.revenue.sum(where=pairs.month == ctx.m(-12)))


def _mcv_scale(ctx: Context) -> int:
    """A factor that makes every MCV rate an integer (Customer Insights' 0.2 → ×5)."""
    return lcm(*(Fraction(rate).denominator for rate in ctx.area.mcv_rates.values()))


def mcv_pairs(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Covered MCV (×`_mcv_scale`) per partner, tenant × workload pair and month (computed once per run)."""
    key = ("mcv_pairs", repr(rule.params), repr(ctx.area.mcv_rates), repr(ctx.area.workload_lists))
    return ctx.shared(key, lambda: _mcv_pairs(ctx, rule))


def _mcv_pairs(ctx: Context, rule: MetricRule) -> ibis.Table:
    p = rule.params
    factor = _mcv_scale(ctx)
    clauses = []
    for part in p["coverage"]:
        workloads = ctx.workloads(part["workloads"])
        types = [t for t in part["counts"] if t != "CPOR_OSU"]
        covered = covers(ctx.covered, types) if types else ibis.literal(False)
        if "CPOR_OSU" in part["counts"]:
            covered = covered | (covers(ctx.covered, ["CPOR_OSU"]) & _.program.isin(p["cpor_osu_programs"]))
        clauses.append(_.workload_key.isin(workloads) & covered)
    all_types = sorted({t for part in p["coverage"] for t in part["counts"]})
    rows = covered_rows(ctx, all_types, extra=ibis.or_(*clauses))
    rate = ibis.cases(*[(rows.workload_key == workload_key(name), int(Fraction(r) * factor))
                        for name, r in ctx.area.mcv_rates.items()], else_=0)
    return rows.mutate(mcv=rows.active_units.fill_null(0) * rate).group_by(
        "partner_id", "tenant_id", "workload_key", "month").aggregate(mcv=_.mcv.sum())


def usage_growth(ctx: Context, rule: MetricRule) -> ibis.Table:
    """MCV growth % of M over M-12, a point per whole percent, when the M-12 MCV reaches the baseline (R12)."""
    pairs = mcv_pairs(ctx, rule)
    totals = pairs.group_by("partner_id").aggregate(
        now=pairs.mcv.sum(where=pairs.month == ctx.m()).fill_null(0),
        base=pairs.mcv.sum(where=pairs.month == ctx.m(-12)).fill_null(0))
    growth = totals.now - totals.base
    percent = ibis.ifelse(totals.base > 0, growth * 100.0 / totals.base, ibis.null("float64"))
    baseline = rule.params["min_baseline_mcv"] * _mcv_scale(ctx)
    whole = ibis.ifelse(totals.base >= baseline, floor_div(growth * 100, totals.base), 0)
    return result(totals, percent, linear_points(whole, rule, ctx.scale))


def deployments(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Pairs with MCV at the path's floor in M minus those in M-12 (R12)."""
    pairs = mcv_pairs(ctx, rule)
    floor = rule.params["min_pair_mcv"] * _mcv_scale(ctx)
    reached = pairs.mcv >= floor
    per_partner = pairs.group_by("partner_id").aggregate(
        net=(reached & (pairs.month == ctx.m())).cast("int64").sum()
        - (reached & (pairs.month == ctx.m(-12))).cast("int64").sum())
    return result(per_partner, per_partner.net, linear_points(per_partner.net, rule, ctx.scale))


def business_applications_path(ctx: Context, params: dict) -> ibis.Table:
    """Per partner: `enterprise` with enough pairs above the revenue floor in both M and M-12 (R8)."""
    pairs = _revenue_pairs(ctx, params["counts"], params["workloads"])
    floor = usd(params["revenue_above_usd"])
    per_pair = pairs.group_by("partner_id", "tenant_id", "workload_key").aggregate(
        both=((pairs.month == ctx.m()) & (pairs.revenue > floor)).any()
        & ((pairs.month == ctx.m(-12)) & (pairs.revenue > floor)).any())
    counted = per_pair.group_by("partner_id").aggregate(pairs=per_pair.both.cast("int64").sum())
    return counted.select("partner_id", path=ibis.ifelse(counted.pairs >= params["min_pairs"], "enterprise", "smb"))
