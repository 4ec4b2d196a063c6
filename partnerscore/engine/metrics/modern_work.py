"""Modern Work metrics (program-rules R10, R5, R15 "Modern Work").

A tenant is eligible in month X on a path when one listed workload's covered paid units fall in the
path's range (Enterprise > 300; SMB 11 … 300, and a tenant SMB-eligible in X-12 stays SMB-eligible
in X while a workload is above 300, recursively). Usage growth and deployments are scored for each
association type of the path with that type's threshold; the type earning more points counts.
"""

from __future__ import annotations

from datetime import date

import ibis
from ibis import _

from partnerscore.engine.metrics.base import (
    Context, covered_rows, join_on, linear_points, net_result, result, share_at_least,
)
from partnerscore.engine.months import add_months
from partnerscore.rules.schema import MetricRule

#: How many years back the SMB "promoted tenant" recursion looks. The program launched in 2022, so
#: ten years covers every month a data set can meaningfully hold; a computation horizon, not a rule.
PROMOTION_HISTORY_YEARS = 10


def tenant_months(ctx: Context, counts: list[str], workloads: list[str], eligible: dict,
                  by_type: bool, months: list[date] | None = None) -> ibis.Table:
    """Per partner (and type), tenant and month: the size flags and summed paid/active units; only
    of `months` when given (a metric that reads a few months spares grouping the whole history).

    Computed once per run (Modern Work and Security metrics share it).
    """
    key = ("tenant_months", tuple(counts), tuple(workloads), repr(eligible), by_type, tuple(months or ()))
    return ctx.shared(key, lambda: _tenant_months(
        workload_months(ctx, counts, workloads, by_type, months), eligible, by_type))


def workload_months(ctx: Context, counts: list[str], workloads: list[str], by_type: bool,
                    months: list[date] | None) -> ibis.Table:
    """Per partner (and type), tenant, month and workload: the covered paid and active units.

    Computed once per run: an area's paths group the same covered rows and differ only in the size
    flags `tenant_months` reads from these sums.
    """
    def build() -> ibis.Table:
        rows = covered_rows(ctx, counts, workloads, by_type=by_type)
        if months is not None:
            rows = rows.filter(rows.month.isin(months))
        keys = ["partner_id", *(("type_group",) if by_type else ()), "tenant_id", "month", "workload_key"]
        return rows.group_by(*keys).aggregate(
            paid=_.paid_units.sum().fill_null(0), active=_.active_units.sum().fill_null(0))

    return ctx.shared(("workload_months", tuple(counts), tuple(workloads), by_type, tuple(months or ())), build)


def _tenant_months(per_workload: ibis.Table, eligible: dict, by_type: bool) -> ibis.Table:
    keys = ["partner_id", *(("type_group",) if by_type else ()), "tenant_id", "month"]
    low, high = eligible["min_paid_units"], eligible.get("max_paid_units")
    in_range = per_workload.paid >= low
    above = per_workload.paid > (high if high is not None else per_workload.paid)
    if high is not None:
        in_range = in_range & (per_workload.paid <= high)
    return per_workload.group_by(*keys).aggregate(
        in_range=in_range.any(), above=above.any(),
        paid=per_workload.paid.sum(), active=per_workload.active.sum())


def promotion_chain(eligible: dict, month: date) -> list[date]:
    """The months whose tenant flags decide eligibility in `month`: `month` itself, and with the
    promoted-tenant recursion the same month of each earlier year within the history horizon."""
    years = PROMOTION_HISTORY_YEARS if eligible.get("promoted_stays_eligible") else 0
    return [add_months(month, -12 * k) for k in range(years + 1)]


def eligible_in(tm: ibis.Table, eligible: dict, month: date, keys: list[str]) -> ibis.Table:
    """Tenants eligible in `month`, with the promoted-tenant recursion where the path has it."""
    if not eligible.get("promoted_stays_eligible"):
        return tm.filter((tm.month == month) & tm.in_range).select(*keys, "tenant_id")
    chain = promotion_chain(eligible, month)
    flags = tm.filter(tm.month.isin(chain)).group_by(*keys, "tenant_id").aggregate(
        **{f"a{k}": (tm.in_range & (tm.month == m)).any() for k, m in enumerate(chain)},
        **{f"o{k}": (tm.above & (tm.month == m)).any() for k, m in enumerate(chain)},
    )
    # SMB-eligible in X ⇔ in range in X-12k for some k, with a workload above the range in every year
    # between (X, X-12, …, X-12(k-1)). Written flat (first year without a workload above the range,
    # then "in range no later than that year") rather than as a nested chain: Spark's optimiser
    # expands deeply nested AND/OR expressions exponentially.
    first_gap = ibis.least(*[ibis.ifelse(flags[f"o{k}"], len(chain), k) for k in range(len(chain))])
    flags = flags.mutate(first_gap=first_gap)
    chained = ibis.or_(*[flags[f"a{k}"] & (flags.first_gap >= k) for k in range(len(chain))])
    return flags.filter(chained).select(*keys, "tenant_id")


def _eligibility_months(ctx: Context) -> list[date]:
    """The months whose flags may decide eligibility in M and in M-12: the promotion chains of both,
    whether or not a path promotes tenants, so that the paths share one `workload_months` table."""
    promoting = {"promoted_stays_eligible": True}
    return sorted(set(promotion_chain(promoting, ctx.m())) | set(promotion_chain(promoting, ctx.m(-12))))


def net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Eligible tenants covered by the path's types in M minus those in M-12 (R10)."""
    return net_result(ctx, net_customer_adds_facts(ctx, rule), rule)


def net_customer_adds_facts(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Per tenant: eligible in M (`now`) and in M-12 (`year_ago`) through the path's types."""
    p = rule.params
    months = _eligibility_months(ctx)
    tm = tenant_months(ctx, p["counts"], ctx.workloads(p["workloads"]), p["eligible_tenant"], by_type=False,
                       months=months)
    now = eligible_in(tm, p["eligible_tenant"], ctx.m(), ["partner_id"]).mutate(now=True)
    then = eligible_in(tm, p["eligible_tenant"], ctx.m(-12), ["partner_id"]).mutate(year_ago=True)
    joined = join_on(now, then, ["partner_id", "tenant_id"], how="outer")
    return joined.mutate(now=joined.now.fill_null(False), year_ago=joined.year_ago.fill_null(False))


def type_facts(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Per partner, association type and tenant: usage growth and deployment contributions (R10).

    `growth` = active users in M (if eligible in M) − the baseline: the active users of the covering
    association's first month when that association started after M-12, else those of M-12 (if
    eligible then). `deployed_now` leaves out tenants that were already at the active share in the
    first month of an association started within the TTM.
    """
    p = rule.params
    key = ("mw_type_facts", rule.formula.split(".")[0], repr(p["eligible_tenant"]), p["workloads"],
           tuple(p["by_type"]), p.get("active_share"))
    return ctx.shared(key, lambda: _type_facts(ctx, p))


def _type_facts(ctx: Context, p: dict) -> ibis.Table:
    types, workloads, eligible = list(p["by_type"]), ctx.workloads(p["workloads"]), p["eligible_tenant"]
    keys = ["partner_id", "type_group"]
    tm = tenant_months(ctx, types, workloads, eligible, by_type=True, months=_eligibility_months(ctx))
    now = eligible_in(tm, eligible, ctx.m(), keys).mutate(in_now=True)
    then = eligible_in(tm, eligible, ctx.m(-12), keys).mutate(in_then=True)
    tenants = join_on(now, then, [*keys, "tenant_id"], how="outer")
    tenants = tenants.mutate(in_now=tenants.in_now.fill_null(False), in_then=tenants.in_then.fill_null(False))
    covering = _covering(ctx, types, workloads)
    sums = tm.group_by(*keys, "tenant_id").aggregate(
        active_now=tm.active.sum(where=tm.month == ctx.m()), paid_now=tm.paid.sum(where=tm.month == ctx.m()),
        active_then=tm.active.sum(where=tm.month == ctx.m(-12)), paid_then=tm.paid.sum(where=tm.month == ctx.m(-12)))
    facts = join_on(join_on(tenants, sums, [*keys, "tenant_id"]), covering, [*keys, "tenant_id"])
    f = facts.mutate(**{c: facts[c].fill_null(0) for c in
                        ("active_now", "paid_now", "active_then", "paid_then", "active_first", "paid_first")})
    late = f.in_now & f.first_month.notnull() & (f.first_month > ctx.m(-12))
    share = p.get("active_share", "0")
    baseline = ibis.cases((late, f.active_first), (f.in_then, f.active_then), else_=0)
    current = ibis.ifelse(f.in_now, f.active_now, 0)
    deployed_now = f.in_now & share_at_least(f.active_now, f.paid_now, share)
    already = late & (f.paid_first > 0) & share_at_least(f.active_first, f.paid_first, share)
    deployed_then = f.in_then & share_at_least(f.active_then, f.paid_then, share)
    return f.mutate(late=late, growth=current - baseline, deployed_now=deployed_now & ~already,
                    already_deployed_at_start=deployed_now & already, deployed_then=deployed_then)


def _covering(ctx: Context, types: list[str], workloads: list[str]) -> ibis.Table:
    """Per partner, type and tenant covered in M: the first month of its covering association and,
    when that association started within the TTM, the tenant's active and paid units in that month.

    Computed once per run: it depends on the types and workloads, not on a path's tenant sizes.
    """
    def build() -> ibis.Table:
        rows = covered_rows(ctx, types, workloads, by_type=True)
        covering = rows.filter(_.month == ctx.m()).group_by("partner_id", "type_group", "tenant_id").aggregate(
            first_month=_.since.min())
        return join_on(covering, _first_month_units(ctx, rows, covering), ["partner_id", "type_group", "tenant_id"])

    return ctx.shared(("mw_covering", tuple(types), tuple(workloads)), build)


def _first_month_units(ctx: Context, rows: ibis.Table, covering: ibis.Table) -> ibis.Table:
    """Active and paid units of each tenant in the first month of its covering association, for the
    associations started within the TTM (the only ones whose first month is a baseline): summed from
    those rows alone, where a tenant-month table of the whole TTM would group twelve months for it."""
    late = covering.filter(covering.first_month > ctx.m(-12)).select(
        c_partner=_.partner_id, c_type=_.type_group, c_tenant=_.tenant_id, c_month=_.first_month)
    at_first = rows.join(late, [rows.partner_id == late.c_partner, rows.type_group == late.c_type,
                                rows.tenant_id == late.c_tenant, rows.month == late.c_month])
    return at_first.group_by("partner_id", "type_group", "tenant_id").aggregate(
        active_first=_.active_units.sum(), paid_first=_.paid_units.sum())


def _best_type(ctx: Context, rule: MetricRule, per_type: ibis.Table) -> ibis.Table:
    """Points per type with its threshold; the type with more points counts, a tie goes to the first listed."""
    best = best_type(ctx, rule, per_type)
    return result(best, best.units, best.points)


def best_type(ctx: Context, rule: MetricRule, per_type: ibis.Table) -> ibis.Table:
    """Per partner, the row of `per_type` (`type_group`, `units`) whose type counts, with its `points`
    (`explain` names the type whose tenants count)."""
    by_type = rule.params["by_type"]
    scored = per_type.mutate(
        points=ibis.cases(*[(per_type.type_group == t, linear_points(per_type.units, rule, ctx.scale, limit))
                            for t, limit in by_type.items()], else_=0),
        order=ibis.cases(*[(per_type.type_group == t, i) for i, t in enumerate(by_type)], else_=99))
    window = ibis.window(group_by="partner_id", order_by=[ibis.desc("points"), "order"])
    return scored.mutate(rank=ibis.row_number().over(window)).filter(_.rank == 0)


def usage_growth(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Active-user growth per association type, scored against that type's threshold (R10, E1, E2)."""
    facts = type_facts(ctx, rule)
    per_type = facts.group_by("partner_id", "type_group").aggregate(units=_.growth.sum())
    return _best_type(ctx, rule, per_type)


def deployments(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Net deployments (tenants at the active share) per association type (R10, E3, E4)."""
    facts = type_facts(ctx, rule)
    per_type = facts.group_by("partner_id", "type_group").aggregate(
        units=_.deployed_now.cast("int64").sum() - _.deployed_then.cast("int64").sum())
    return _best_type(ctx, rule, per_type)
