"""Skilling metrics: people holding certifications the rule version lists (R9).

A certification counts on day D when earned on or before D, not expired on D, listed by the rule
version, and, if it retires, D is on or before its `counts_until` and it was earned on or before its
retirement date (R15). A person counts once per list however many certifications they hold.
"""

from __future__ import annotations

import ibis
from ibis import _

from partnerscore.engine.metrics.base import Context, cap, linear_points, result
from partnerscore.rules.names import cert_key
from partnerscore.rules.schema import MetricRule, Step


def _counts_on_day(ctx: Context, certs: ibis.Table, list_name: str) -> ibis.Value:
    held = (certs.earned_on <= ctx.day) & (certs.expires_on.isnull() | (certs.expires_on >= ctx.day))
    listed = []
    for cert in ctx.area.certification_lists[list_name]:
        keys = sorted({cert_key(k) for k in [cert.name, cert.code, *cert.aliases] if k})
        matches = certs.cert_key.isin(keys)
        if cert.counts_until is not None:
            if ctx.day > cert.counts_until:
                continue
            matches = matches & (certs.earned_on <= (cert.retires_on or cert.counts_until))
        listed.append(matches)
    return held & ibis.or_(*listed) if listed else ibis.literal(False)


def people(ctx: Context, list_name: str) -> ibis.Table:
    """(partner_id, person_id, certification) of every counting certification of a list."""
    certs = ctx.tables.certifications
    return certs.filter(_counts_on_day(ctx, certs, list_name)).select("partner_id", "person_id", "certification")


def _people_count(ctx: Context, list_name: str) -> ibis.Table:
    return people(ctx, list_name).group_by("partner_id").aggregate(n=_.person_id.nunique())


def certified_people(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Distinct people holding a listed certification, points linear per person (MW, BA)."""
    counted = _people_count(ctx, rule.params["certifications"])
    return result(counted, counted.n, linear_points(counted.n, rule, ctx.scale))


def stepped_certifications(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Stepped skilling (Azure areas, Security): steps gate the last step, which earns per person.

    Each earlier step is met with `min_people` people and earns its `step_points` once; the last step
    earns per person only when every earlier step is met. `value`: the people of the steps that earn
    points, or, where earlier steps earn nothing (Enterprise), the last step's people once met (R15).
    """
    steps = [Step.model_validate(s) for s in rule.params["steps"]]
    lists = [s.certifications for s in steps] + [rule.params["last_step"]]
    held = ibis.union(*[people(ctx, name).mutate(step=i) for i, name in enumerate(lists)])
    n = {i: held.person_id.nunique(where=held.step == i) for i in range(len(lists))}
    per_partner = held.group_by("partner_id").aggregate(**{f"n{i}": expr for i, expr in n.items()})
    last = len(steps)
    met = [per_partner[f"n{i}"] >= s.min_people for i, s in enumerate(steps)]
    all_met = ibis.and_(*met) if met else ibis.literal(True)
    step_points = sum(
        (ibis.ifelse(m, s.step_points * ctx.scale, 0) for m, s in zip(met, steps)), ibis.literal(0))
    last_points = ibis.ifelse(all_met, linear_points(per_partner[f"n{last}"], rule, ctx.scale), 0)
    earning = [ibis.ifelse(m & (s.step_points > 0), i, -1) for i, (m, s) in enumerate(zip(met, steps))]
    per_partner = per_partner.mutate(
        points=cap(step_points + last_points, rule, ctx.scale), all_met=all_met,
        **{f"earns{i}": e for i, e in enumerate(earning)})
    earners = held.join(per_partner, "partner_id").filter(
        ibis.or_(*[(held.step == per_partner[f"earns{i}"]) for i in range(last)],
                 (held.step == last) & per_partner.all_met))
    value = earners.group_by("partner_id").aggregate(value=_.person_id.nunique())
    value = value.rename(v_partner="partner_id")
    scored = per_partner.left_join(value, per_partner.partner_id == value.v_partner)
    return result(scored, scored.value.fill_null(0), scored.points)
