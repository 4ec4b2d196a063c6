"""Per-entity facts behind each metric, for `explain` (principle 4: every point is explainable).

Each function returns, for one formula, an Ibis table with the uniform columns of `FACT_COLUMNS`:
the entity (tenant, tenant × workload pair, Azure service, person), the part or association type it
was counted under, its figure now and a year earlier (or at the baseline), its contribution to the
metric's value, and a sentence saying why it did or did not count. They reuse the formulas' own
intermediate expressions, so an explanation cannot drift from the score.
"""

from __future__ import annotations

import ibis
from ibis import _

from partnerscore.engine.keys import with_tenant_ids
from partnerscore.engine.metrics import azure, business_applications, modern_work, security, skilling
from partnerscore.engine.metrics.base import Context
from partnerscore.rules.schema import MetricRule, Step

FACT_COLUMNS = ("entity_kind", "entity", "part", "now", "before", "contribution", "status")
MICROS = 1_000_000


def _facts(table: ibis.Table, kind: str, entity, part, now, before, contribution, status) -> ibis.Table:
    return table.select(
        partner_id=table.partner_id.cast("string"), entity_kind=ibis.literal(kind), entity=entity.cast("string"),
        part=ibis.literal(part) if isinstance(part, str) or part is None else part.cast("string"),
        now=now.cast("float64"), before=before.cast("float64"), contribution=contribution.cast("float64"),
        status=status.cast("string"))


def _net_status(now: ibis.Value, before: ibis.Value, added: str, lost: str, kept: str, missed: str) -> ibis.Value:
    return ibis.cases((now & before, kept), (now, added), (before, lost), else_=missed)


def azure_net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = with_tenant_ids(ctx.tables, azure.net_customer_adds_facts(ctx, rule))
    floor = rule.params["min_month_acr_usd"]
    status = _net_status(f.now, f.year_ago, f"added: ACR ≥ ${floor:,} in M-1 or M, not a year earlier",
                         "lost: eligible a year earlier, not now", "eligible now and a year earlier (no change)",
                         f"not counted: ACR below ${floor:,} in every month of both periods")
    return _facts(f, "tenant", f.tenant_id, None, f.best_now.fill_null(0) / MICROS,
                  f.best_year_ago.fill_null(0) / MICROS, f.now.cast("int64") - f.year_ago.cast("int64"), status)


def azure_usage_growth(ctx: Context, rule: MetricRule) -> ibis.Table:
    acr = azure.tenant_month_acr(ctx, rule.params["counts"])
    t = acr.group_by("partner_id", "tenant_id").aggregate(
        now=acr.acr.sum(where=acr.month == ctx.m()).fill_null(0),
        before=acr.acr.sum(where=acr.month == ctx.m(-12)).fill_null(0)).filter((_.now != 0) | (_.before != 0))
    t = with_tenant_ids(ctx.tables, t)
    change = (t.now - t.before) / MICROS
    status = ibis.cases((change > 0, "grew"), (change < 0, "shrank"), else_="unchanged")
    return _facts(t, "tenant", t.tenant_id, None, t.now / MICROS, t.before / MICROS, change, status)


def azure_deployments(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = azure.deployments_facts(ctx, rule)
    counted = ~f.excluded & (f.ttm_acr > 0)
    status = ibis.cases((f.excluded, "not counted: excluded service (virtual machines)"),
                        (counted, "counted: ACR over the TTM"), else_="not counted: no ACR over the TTM")
    return _facts(f, "service", f.workload_key, None, f.ttm_acr / MICROS, ibis.literal(0), counted.cast("int64"), status)


def modern_work_net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = with_tenant_ids(ctx.tables, modern_work.net_customer_adds_facts(ctx, rule))
    status = _net_status(f.now, f.year_ago, "added: eligible tenant in M, not in M-12", "lost: eligible in M-12, not in M",
                         "eligible in M and M-12 (no change)", "not eligible")
    return _facts(f, "tenant", f.tenant_id, None, f.now.cast("int64"), f.year_ago.cast("int64"),
                  f.now.cast("int64") - f.year_ago.cast("int64"), status)


def modern_work_usage_growth(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = with_tenant_ids(ctx.tables, modern_work.type_facts(ctx, rule))
    status = ibis.cases(
        (f.late, "baseline: active users in the first month of an association started after M-12"),
        (f.in_now & f.in_then, "active users in M against M-12"),
        (f.in_now, "eligible in M only (baseline 0)"), else_="eligible in M-12 only: its users are lost")
    before = ibis.cases((f.late, f.active_first), (f.in_then, f.active_then), else_=0)
    return _facts(f, "tenant", f.tenant_id, f.type_group, ibis.ifelse(f.in_now, f.active_now, 0), before, f.growth, status)


def modern_work_deployments(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = with_tenant_ids(ctx.tables, modern_work.type_facts(ctx, rule))
    share = rule.params["active_share"]
    status = ibis.cases(
        (f.already_deployed_at_start, "not counted: already at the active share when the association started"),
        (f.deployed_now & f.deployed_then, "deployed in M and M-12 (no change)"),
        (f.deployed_now, f"deployment: active units ≥ {share} of paid units in M"),
        (f.deployed_then, "lost: deployed in M-12, not in M"), else_=f"below the active share ({share})")
    return _facts(f, "tenant", f.tenant_id, f.type_group, f.active_now, f.paid_now,
                  f.deployed_now.cast("int64") - f.deployed_then.cast("int64"), status)


def security_parts(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Both Security parts' tenants: Azure Security ACR (TTM and months) and Microsoft 365 seats."""
    az, m365 = rule.params["azure"], rule.params["m365"]
    ttm = with_tenant_ids(ctx.tables, security._ttm_acr(ctx, az))
    band = az.get("tenant_ttm_acr_usd") or {"at_least": az.get("min_ttm_acr_usd", 0)}
    in_band = security._in_band(ttm.ttm_now, band)
    azure_facts = _facts(ttm, "tenant", ttm.tenant_id, "azure", ttm.ttm_now / MICROS, ttm.ttm_prev / MICROS,
                         (ttm.acr_now - ttm.acr_then) / MICROS,
                         ibis.ifelse(in_band, "Security ACR over the TTM in the path's range",
                                     "Security ACR over the TTM outside the path's range"))
    tm = security._m365_months(ctx, m365)
    seats = tm.filter(tm.month.isin([ctx.m(), ctx.m(-12)])).group_by("partner_id", "tenant_id").aggregate(
        now=tm.active.sum(where=tm.month == ctx.m()).fill_null(0),
        before=tm.active.sum(where=tm.month == ctx.m(-12)).fill_null(0),
        eligible=(tm.in_range & (tm.month == ctx.m())).any())
    seats = with_tenant_ids(ctx.tables, seats)
    m365_facts = _facts(seats, "tenant", seats.tenant_id, "m365", seats.now, seats.before, seats.now - seats.before,
                        ibis.ifelse(seats.eligible, "eligible in M: a listed workload's paid units in range",
                                    "not eligible in M: no listed workload with paid units in range"))
    return azure_facts.union(m365_facts)


def business_applications_net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = with_tenant_ids(ctx.tables, business_applications.net_customer_adds_facts(ctx, rule))
    status = _net_status(f.now, f.year_ago, "added: revenue over the floor in M, not in M-12",
                         "lost: over the floor in M-12, not in M", "over the floor in M and M-12 (no change)",
                         "not counted: revenue below the floor in M and M-12")
    return _facts(f, "pair", f.tenant_id + " × " + f.workload_key, None, f.revenue_now.fill_null(0) / MICROS,
                  f.revenue_year_ago.fill_null(0) / MICROS, f.now.cast("int64") - f.year_ago.cast("int64"), status)


def business_applications_mcv(ctx: Context, rule: MetricRule) -> ibis.Table:
    pairs = business_applications.mcv_pairs(ctx, rule)
    factor = business_applications._mcv_scale(ctx)
    p = pairs.group_by("partner_id", "tenant_id", "workload_key").aggregate(
        now=pairs.mcv.sum(where=pairs.month == ctx.m()).fill_null(0),
        before=pairs.mcv.sum(where=pairs.month == ctx.m(-12)).fill_null(0)).filter((_.now != 0) | (_.before != 0))
    p = with_tenant_ids(ctx.tables, p)
    floor = rule.params.get("min_pair_mcv")
    if floor is None:
        status = ibis.ifelse(p.now > p.before, "MCV grew", "MCV did not grow")
        contribution = (p.now - p.before) / factor
    else:
        reached_now, reached_then = p.now >= floor * factor, p.before >= floor * factor
        status = _net_status(reached_now, reached_then, f"deployment: MCV ≥ {floor:,} in M, not in M-12",
                             "lost: MCV reached the floor in M-12, not in M", "deployed in M and M-12 (no change)",
                             f"not counted: MCV below {floor:,}")
        contribution = reached_now.cast("int64") - reached_then.cast("int64")
    return _facts(p, "pair", p.tenant_id + " × " + p.workload_key, None, p.now / factor, p.before / factor,
                  contribution, status)


def people(ctx: Context, rule: MetricRule) -> ibis.Table:
    """People holding a counting certification, per list or step."""
    if rule.formula == "certified_people":
        lists = [("listed", rule.params["certifications"])]
    else:
        steps = [Step.model_validate(s) for s in rule.params["steps"]]
        lists = [(f"step {i + 1}", s.certifications) for i, s in enumerate(steps)]
        lists.append((f"step {len(steps) + 1} (points)", rule.params["last_step"]))
    parts = []
    for label, name in lists:
        held = skilling.people(ctx, name)
        parts.append(_facts(held, "person", held.person_id, label, ibis.literal(1), ibis.literal(0),
                            ibis.literal(1), "holds " + held.certification))
    return ibis.union(*parts)


FACTS = {
    "azure.net_customer_adds": azure_net_customer_adds,
    "azure.usage_growth": azure_usage_growth,
    "azure.deployments": azure_deployments,
    "modern_work.net_customer_adds": modern_work_net_customer_adds,
    "modern_work.usage_growth": modern_work_usage_growth,
    "modern_work.deployments": modern_work_deployments,
    "security.net_customer_adds": security_parts,
    "security.usage_growth": security_parts,
    "security.deployments": security_parts,
    "business_applications.net_customer_adds": business_applications_net_customer_adds,
    "business_applications.usage_growth": business_applications_mcv,
    "business_applications.deployments": business_applications_mcv,
    "certified_people": people,
    "stepped_certifications": people,
}
