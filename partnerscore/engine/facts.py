"""Per-entity facts behind each metric, for `explain` (principle 4: every point is explainable).

Each function returns, for one formula, an Ibis table in the columns of `fact_table.FACT_COLUMNS`:
the entity (tenant, tenant × workload pair, Azure service, person), the part or association type it
was counted under, its figure now and a year earlier (or at the baseline), its contribution to the
metric's value in the metric's unit (`engine/units.py`: customers, deployments, dollars, users,
people), and a sentence saying why it did or did not count. A metric lists only the entities it
looked at, and their contributions are consistent with its value (`tests/test_explain_facts.py` says
how, per kind of formula). They reuse the formulas' own intermediate expressions, so an explanation
cannot drift from the score. Security's facts, one list per metric, are in `engine/security_facts.py`.
"""

from __future__ import annotations

import ibis
from ibis import _

from partnerscore.engine import security_facts
from partnerscore.engine.fact_table import MICROS, active_share, facts_table, net_status
from partnerscore.engine.keys import with_tenant_ids
from partnerscore.engine.metrics import azure, business_applications, modern_work, skilling
from partnerscore.engine.metrics.base import Context
from partnerscore.engine.units import (
    ACTIVE_USERS, CUSTOMERS, DEPLOYMENTS, MCV, PAIRS, PEOPLE, SERVICES, USD_ACR,
)
from partnerscore.rules.schema import MetricRule, Step


def azure_net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = with_tenant_ids(ctx.tables, azure.net_customer_adds_facts(ctx, rule))
    floor = rule.params["min_month_acr_usd"]
    status = net_status(f.now, f.year_ago, f"added: ACR ≥ ${floor:,} in M-1 or M, not a year earlier",
                        "lost: eligible a year earlier, not now", "eligible now and a year earlier (no change)",
                        f"not counted: ACR below ${floor:,} in every month of both periods")
    return facts_table(f, "tenant", f.tenant_id, None, f.best_now.fill_null(0) / MICROS,
                       f.best_year_ago.fill_null(0) / MICROS, f.now.cast("int64") - f.year_ago.cast("int64"),
                       CUSTOMERS, status)


def azure_usage_growth(ctx: Context, rule: MetricRule) -> ibis.Table:
    acr = azure.tenant_month_acr(ctx, rule.params["counts"])
    t = acr.group_by("partner_id", "tenant_id").aggregate(
        now=acr.acr.sum(where=acr.month == ctx.m()).fill_null(0),
        before=acr.acr.sum(where=acr.month == ctx.m(-12)).fill_null(0)).filter((_.now != 0) | (_.before != 0))
    t = with_tenant_ids(ctx.tables, t)
    change = (t.now - t.before) / MICROS
    status = ibis.cases((change > 0, "grew"), (change < 0, "shrank"), else_="unchanged")
    return facts_table(t, "tenant", t.tenant_id, None, t.now / MICROS, t.before / MICROS, change, USD_ACR, status)


def azure_deployments(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = azure.deployments_facts(ctx, rule)
    counted = ~f.excluded & (f.ttm_acr > 0)
    status = ibis.cases((f.excluded, "not counted: excluded service (virtual machines)"),
                        (counted, "counted: ACR over the TTM"), else_="not counted: no ACR over the TTM")
    return facts_table(f, "service", f.workload_key, None, f.ttm_acr / MICROS, ibis.literal(0),
                       counted.cast("int64"), SERVICES, status)


def modern_work_net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = with_tenant_ids(ctx.tables, modern_work.net_customer_adds_facts(ctx, rule))
    status = net_status(f.now, f.year_ago, "added: eligible tenant in M, not in M-12", "lost: eligible in M-12, not in M",
                        "eligible in M and M-12 (no change)", "not eligible")
    return facts_table(f, "tenant", f.tenant_id, None, f.now.cast("int64"), f.year_ago.cast("int64"),
                       f.now.cast("int64") - f.year_ago.cast("int64"), CUSTOMERS, status)


def _counting_type(ctx: Context, rule: MetricRule, facts: ibis.Table, units: ibis.Value) -> ibis.Table:
    """`facts` (per type and tenant) with `counts`: whether the row's type is the one that counts (R5)."""
    per_type = facts.group_by("partner_id", "type_group").aggregate(units=units.sum())
    best = modern_work.best_type(ctx, rule, per_type).select(b_partner=_.partner_id, b_type=_.type_group)
    joined = facts.left_join(best, facts.partner_id == best.b_partner)
    return joined.mutate(counts=joined.type_group == joined.b_type)


def _other_type(f: ibis.Table, status: ibis.Value) -> ibis.Value:
    """The status of a row of the type that does not count, naming the type that does."""
    return ibis.ifelse(f.counts, status, "not counted (the " + f.b_type + " type earns more points): " + status)


def modern_work_usage_growth(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = modern_work.type_facts(ctx, rule)
    f = with_tenant_ids(ctx.tables, _counting_type(ctx, rule, f, f.growth))
    status = ibis.cases(
        (f.late, "baseline: active users in the first month of an association started after M-12"),
        (f.in_now & f.in_then, "active users in M against M-12"),
        (f.in_now, "eligible in M only (baseline 0)"), else_="eligible in M-12 only: its users are lost")
    before = ibis.cases((f.late, f.active_first), (f.in_then, f.active_then), else_=0)
    return facts_table(f, "tenant", f.tenant_id, f.type_group, ibis.ifelse(f.in_now, f.active_now, 0), before,
                       ibis.ifelse(f.counts, f.growth, 0), ACTIVE_USERS, _other_type(f, status))


def modern_work_deployments(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = modern_work.type_facts(ctx, rule)
    f = with_tenant_ids(ctx.tables, _counting_type(ctx, rule, f, f.deployed_now.cast("int64")
                                                   - f.deployed_then.cast("int64")))
    share = rule.params["active_share"]
    status = ibis.cases(
        (f.already_deployed_at_start, "not counted: already at the active share when the association started"),
        (f.deployed_now & f.deployed_then, "deployed in M and M-12 (no change)"),
        (f.deployed_now, f"deployment: active units ≥ {share} of paid units in M"),
        (f.deployed_then, "lost: deployed in M-12, not in M"), else_=f"below the active share ({share})")
    net = f.deployed_now.cast("int64") - f.deployed_then.cast("int64")
    return facts_table(f, "tenant", f.tenant_id, f.type_group, active_share(f.active_now, f.paid_now),
                       active_share(f.active_then, f.paid_then), ibis.ifelse(f.counts, net, 0), DEPLOYMENTS,
                       _other_type(f, status))


def business_applications_net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    f = with_tenant_ids(ctx.tables, business_applications.net_customer_adds_facts(ctx, rule))
    status = net_status(f.now, f.year_ago, "added: revenue over the floor in M, not in M-12",
                        "lost: over the floor in M-12, not in M", "over the floor in M and M-12 (no change)",
                        "not counted: revenue below the floor in M and M-12")
    return facts_table(f, "pair", f.tenant_id + " × " + f.workload_key, None, f.revenue_now.fill_null(0) / MICROS,
                       f.revenue_year_ago.fill_null(0) / MICROS, f.now.cast("int64") - f.year_ago.cast("int64"),
                       PAIRS, status)


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
        contribution, unit = (p.now - p.before) / factor, MCV
    else:
        reached_now, reached_then = p.now >= floor * factor, p.before >= floor * factor
        status = net_status(reached_now, reached_then, f"deployment: MCV ≥ {floor:,} in M, not in M-12",
                            "lost: MCV reached the floor in M-12, not in M", "deployed in M and M-12 (no change)",
                            f"not counted: MCV below {floor:,}")
        contribution, unit = reached_now.cast("int64") - reached_then.cast("int64"), DEPLOYMENTS
    return facts_table(p, "pair", p.tenant_id + " × " + p.workload_key, None, p.now / factor, p.before / factor,
                       contribution, unit, status)


def _per_person(held: ibis.Table) -> ibis.Table:
    """One row per partner and person of a certification list: the first certification and how many more."""
    per = held.group_by("partner_id", "person_id").aggregate(certification=_.certification.min(),
                                                             more=_.certification.nunique() - 1)
    holds = "holds " + per.certification + ibis.ifelse(per.more > 0, " (and " + per.more.cast("string") + " more)", "")
    return per.mutate(holds=holds)


def people(ctx: Context, rule: MetricRule) -> ibis.Table:
    """People holding a counting certification, once per list or step (R9)."""
    if rule.formula == "certified_people":
        held = _per_person(skilling.people(ctx, rule.params["certifications"]))
        return facts_table(held, "person", held.person_id, "listed", ibis.literal(1), ibis.literal(0),
                           ibis.literal(1), PEOPLE, "counts: " + held.holds)
    return _stepped_people(ctx, rule)


def _stepped_people(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Stepped skilling's people per step; a person counts (1) in a step that earns points: an earlier
    step that is met and earns its own points, or the last step once every earlier one is met."""
    steps = [Step.model_validate(s) for s in rule.params["steps"]]
    lists = [s.certifications for s in steps] + [rule.params["last_step"]]
    labels = [f"step {i + 1}" for i in range(len(steps))] + [f"step {len(steps) + 1} (points)"]
    held = ibis.union(*[_per_person(skilling.people(ctx, name)).mutate(step=i) for i, name in enumerate(lists)])
    n = held.group_by(s_partner=_.partner_id).aggregate(
        **{f"n{i}": held.person_id.nunique(where=held.step == i) for i in range(len(lists))})
    f = held.join(n, held.partner_id == n.s_partner)
    met = [f[f"n{i}"] >= s.min_people for i, s in enumerate(steps)]
    all_met = ibis.and_(*met) if met else ibis.literal(True)
    earns = ibis.cases(*[(f.step == i, m & (s.step_points > 0)) for i, (m, s) in enumerate(zip(met, steps))],
                       else_=all_met)
    status = ibis.cases(*[(f.step == i, _step_status(i, s, m, f[f"n{i}"])) for i, (m, s) in enumerate(zip(met, steps))],
                        else_=ibis.ifelse(all_met, "counts", "does not count yet: an earlier step is not met"))
    return facts_table(f, "person", f.person_id, ibis.cases(*[(f.step == i, label) for i, label in enumerate(labels)]),
                       ibis.literal(1), ibis.literal(0), earns.cast("int64"), PEOPLE, status + ": " + f.holds)


def _step_status(i: int, step: Step, met: ibis.Value, people_in_step: ibis.Value) -> ibis.Value:
    """Why a person of an earlier step counts or not: the step's people against its minimum."""
    count = people_in_step.cast("string") + f" of the {step.min_people} people step {i + 1} needs"
    if step.step_points > 0:
        return ibis.ifelse(met, "counts: step met (" + count + ")", "does not count: step not met (" + count + ")")
    return ibis.ifelse(met, "step met (" + count + "), it earns no points of its own",
                       "step not met (" + count + ")")


FACTS = {
    "azure.net_customer_adds": azure_net_customer_adds,
    "azure.usage_growth": azure_usage_growth,
    "azure.deployments": azure_deployments,
    "modern_work.net_customer_adds": modern_work_net_customer_adds,
    "modern_work.usage_growth": modern_work_usage_growth,
    "modern_work.deployments": modern_work_deployments,
    "security.net_customer_adds": security_facts.net_customer_adds,
    "security.usage_growth": security_facts.usage_growth,
    "security.deployments": security_facts.deployments,
    "business_applications.net_customer_adds": business_applications_net_customer_adds,
    "business_applications.usage_growth": business_applications_mcv,
    "business_applications.deployments": business_applications_mcv,
    "certified_people": people,
    "stepped_certifications": people,
}
