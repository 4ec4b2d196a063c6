"""The association ledger as of a day: which version holds, whether it is eligible, when it ends.

All functions build Ibis expressions over the canonical `associations` table (one row per recorded
version, never overwritten) and execute nothing, so DuckDB and Spark run the same logic.

- `versions_as_of`: rows sharing an `association_id` are versions; the one with the latest
  `known_from` (= `recorded_at`, or `start_date` when empty) on or before the day holds (R15).
  With `recorded_on`, only rows the ledger had imported by then are seen (what we believed that day).
- `in_force`: each holding version with its `ineligible` reason (R4) and its `effective_end`
  after DPOR takeovers (R4, R15).
- `crediting`: the (partner, type group) each eligible association credits; CSP_INDIRECT credits the
  reseller and its indirect provider (R2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import ibis
from ibis import _

from partnerscore.rules.load import RuleSet
from partnerscore.rules.schema import AssociationRules

ONE_DAY = ibis.interval(days=1)


def versions_as_of(associations: ibis.Table, day: date, recorded_on: date | None = None) -> ibis.Table:
    """The version of each association that holds on `day` (latest `known_from` ≤ day)."""
    known = associations.filter(_.known_from <= day)
    if recorded_on is not None:
        known = known.filter(_.imported_at <= datetime.combine(recorded_on, time.max))
    order = ibis.window(group_by="association_id", order_by=[ibis.desc("known_from"), ibis.desc("version_seq")])
    ranked = known.mutate(_rank=ibis.row_number().over(order))
    return ranked.filter(_._rank == 0).drop("_rank")


def touching(associations: ibis.Table, partners: list[str]) -> ibis.Table:
    """Every version of the associations that can bear on the credit of `partners`: their own (as the
    partner or as the indirect provider), and any naming a subscription one of theirs names (another
    partner's DPOR there can take theirs over). Scoring a few partners reads only these."""
    own = associations.filter(_.partner_id.isin(partners) | _.indirect_provider_id.isin(partners))
    subs = own.filter(_.subscription_id.notnull()).select(t_sub=_.subscription_id).distinct()
    related = associations.semi_join(subs, associations.subscription_id == subs.t_sub).select("association_id")
    ids = own.select(t_id=_.association_id.cast("string")).union(related.select(t_id=_.association_id.cast("string")))
    return associations.semi_join(ids, associations.association_id == ids.t_id)


#: A PAL whose role the data does not give (a download without `AdminType`); `pal check` says the same.
NO_PAL_ROLE = "no role: PAL needs an eligible role"


def _pal_role_ok(role: ibis.Value, rules: AssociationRules) -> ibis.Value:
    lowered = role.lower().strip()
    exact = lowered.isin([r.lower() for r in rules.pal_roles["exact"]])
    suffixes = [lowered.endswith(s.lower()) for s in rules.pal_roles["suffix"]]
    return role.notnull() & ibis.or_(exact, *suffixes)


def _ineligible_reason(t: ibis.Table, rules: AssociationRules) -> ibis.Value:
    """The first rule (R4) an association breaks, as a sentence; NULL when it is eligible."""
    cpor = t.type.isin(rules.cpor_types)
    program = t.program.fill_null("?")
    cases = [
        (cpor & t.incentive & (t.poe_status != rules.incentive_requires_poe),
         "incentive CPOR without approved proof of execution (poe_status=" + t.poe_status + ")"),
    ]
    for cpor_type, programs in rules.cpor_programs.items():
        cases.append(((t.type == cpor_type) & ~program.isin(programs),
                      f"{cpor_type} is not allowed on a " + program + f" subscription (allowed: {', '.join(programs)})"))
    cases += [
        ((t.type == "PAL") & (t.rbac_role.strip().fill_null("") == ""), ibis.literal(NO_PAL_ROLE)),
        ((t.type == "PAL") & ~_pal_role_ok(t.rbac_role, rules),
         "PAL role '" + t.rbac_role + "' is not eligible (needs a role that grants write access)"),
        ((t.type == "DPOR") & program.isin(rules.dpor_not_on_programs),
         "DPOR on a " + program + " subscription does not count: the CSP partner holds it"),
        ((t.type == "TPOR") & ~program.isin(rules.tpor_programs),
         "TPOR on a " + program + f" subscription (TPOR is only on {', '.join(rules.tpor_programs)})"),
        ((t.type == "TPOR") & t.is_subscription_dpor,
         ibis.literal("TPOR by the partner that is this subscription's DPOR")),
        (t.type.isin(["CSP_DIRECT", "CSP_INDIRECT"]) & t.subscription_id.notnull() & (program != rules.csp_program),
         t.type + " names a " + program + f" subscription (only {rules.csp_program} subscriptions)"),
    ]
    return ibis.cases(*cases, else_=ibis.null("string"))


def _dpor_effective_end(current: ibis.Table) -> ibis.Table:
    """Each DPOR's end after takeovers: a later DPOR of another partner ends it the day before (R4)."""
    dpor = current.filter(_.type == "DPOR").select(
        "association_id", "partner_id", "subscription_id", "start_date", "end_date", "known_from")
    later = dpor.view()
    takes_over = (
        (later.start_date > dpor.start_date)
        | ((later.start_date == dpor.start_date)
           & ((later.known_from > dpor.known_from)
              | ((later.known_from == dpor.known_from) & (later.association_id > dpor.association_id))))
    )
    pairs = dpor.join(later, [
        dpor.subscription_id == later.subscription_id,
        dpor.partner_id != later.partner_id,
        takes_over,
        dpor.end_date.isnull() | (later.start_date <= dpor.end_date),
    ])
    return pairs.group_by(association_id=dpor.association_id).aggregate(
        taken_over_on=later.start_date.min(),
        taken_over_by=later.partner_id.argmin(later.start_date),
    )


def in_force(current: ibis.Table, subscriptions: ibis.Table, rules: AssociationRules) -> ibis.Table:
    """Holding versions with `program`, `ineligible` reason, `effective_end` and takeover details."""
    subs = subscriptions.select(sub_id=_.subscription_id, program=_.program, sub_cloud=_.cloud)
    with_sub = current.left_join(subs, current.subscription_id == subs.sub_id).drop("sub_id")
    dpor_of = current.filter(_.type == "DPOR").select(
        d_sub=_.subscription_id, d_partner=_.partner_id).distinct()
    with_sub = with_sub.left_join(
        dpor_of, [with_sub.subscription_id == dpor_of.d_sub, with_sub.partner_id == dpor_of.d_partner])
    with_sub = with_sub.mutate(is_subscription_dpor=_.d_sub.notnull()).drop("d_sub", "d_partner")
    takeovers = _dpor_effective_end(current).rename(t_id="association_id")
    joined = with_sub.left_join(takeovers, with_sub.association_id == takeovers.t_id).drop("t_id")
    # date - interval is a TIMESTAMP on DuckDB although Ibis types it as a date: go through timestamp.
    day_before = (joined.taken_over_on.cast("timestamp") - ONE_DAY).date()
    effective_end = ibis.cases(
        (joined.taken_over_on.isnull(), joined.end_date),
        (joined.end_date.isnull() | (day_before < joined.end_date), day_before),
        else_=joined.end_date,
    )
    return joined.mutate(
        effective_end=effective_end.cast("date"),
        ineligible=_ineligible_reason(joined, rules),
    )


def crediting(in_force_rows: ibis.Table, rules: AssociationRules) -> ibis.Table:
    """Eligible associations as (credited partner, type group, tier) rows with their scope and span.

    Rows that never reach a day in force (taken over before they started) are dropped.
    """
    eligible = in_force_rows.filter(
        _.ineligible.isnull(), _.effective_end.isnull() | (_.effective_end >= _.start_date))
    group = ibis.cases(*[(eligible.type == t, g) for t, g in rules.type_groups.items()], else_=ibis.null("string"))
    base = eligible.mutate(type_group=group, tier=ibis.cases(
        (eligible.type == "CSP_INDIRECT", "tier2"), (eligible.type == "CSP_DIRECT", "tier1"),
        else_=ibis.null("string")))
    columns = ["association_id", "type", "type_group", "tier", "tenant_id", "subscription_id",
               "workload_key", "start_date", "effective_end"]
    own = base.select("partner_id", *columns)
    provider = base.filter(_.type == "CSP_INDIRECT", _.indirect_provider_id.notnull()).select(
        partner_id=_.indirect_provider_id, **{c: _[c] for c in columns}).mutate(tier=ibis.literal("tier1"))
    return own.union(provider).mutate(
        start_month=_.start_date.truncate("M").cast("date"),
        end_month=_.effective_end.truncate("M").cast("date"),
    )


@dataclass(frozen=True)
class Ledger:
    """The ledger as of one day: holding versions with eligibility, and the crediting rows."""

    holding: ibis.Table
    credits: ibis.Table


def ledger_as_of(tables, rules: RuleSet, day: date, recorded_on: date | None = None,
                 partners: list[str] | None = None) -> Ledger:
    """The association ledger as it stood on `day` (and as recorded by `recorded_on`, if given);
    with `partners`, only the part of it that bears on their credit (`touching`)."""
    associations = touching(tables.associations, partners) if partners else tables.associations
    current = versions_as_of(associations, day, recorded_on)
    holding = in_force(current, tables.subscriptions, rules.associations)
    return Ledger(holding=holding, credits=crediting(holding, rules.associations))
