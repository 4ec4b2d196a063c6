"""Who else holds a scope a plan could claim: the program's one-holder rule, and a PAL's co-holders.

The association rule data lists the types only one partner may hold on a scope at a time (`one_holder`:
a DPOR per subscription, a CPOR per customer and workload or per subscription). `plan` never proposes
such a claim on a scope another partner holds in force at any time between the day the actions are
taken and the target day, whether or not that association earns it points (a pending claim is held all
the same). Where several partners may hold a type (a PAL), the action names the others instead.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

import ibis
from ibis import _

from partnerscore.engine.connect import Tables
from partnerscore.ledger.associations import ledger_as_of
from partnerscore.rules.load import RuleSet

@dataclass(frozen=True)
class OtherHolders:
    """Other partners' associations on a partner's customers, in force some day of the plan's span."""

    rows: ibis.Table  # partner_id, type_group, tenant_id, subscription_id, workload_key, who (ID and name)
    one_holder: dict[str, str]  # type group -> the scope only one partner may hold it on

    def unheld(self, usage: ibis.Table, group: str) -> ibis.Table:
        """The usage rows on whose scope `partner` may claim `group`: those no other partner holds it on,
        where the program allows one holder; every row where it allows several."""
        scope = self.one_holder.get(group)
        if scope is None:
            return usage
        held = self.rows.filter(_.type_group == group).select(h_tenant="tenant_id", h_sub="subscription_id",
                                                              h_workload="workload_key")
        if scope == "subscription":
            return usage.anti_join(held, usage.subscription_id == held.h_sub)
        return usage.anti_join(held, [usage.tenant_id == held.h_tenant, usage.workload_key == held.h_workload])

    def on(self, tenants: list[str]) -> Held:
        """What the others hold on `tenants`, as sets for the candidates' loop."""
        held = Held(set(), defaultdict(set))
        for r in self.rows.filter(_.tenant_id.isin(tenants or [""])).to_pyarrow().to_pylist():
            group, scope = r["type_group"], self.one_holder.get(r["type_group"])
            if scope == "subscription" and r["subscription_id"]:
                held.taken.add((group, r["subscription_id"]))
            elif scope == "tenant_workload":
                held.taken.add((group, r["tenant_id"], r["workload_key"]))
            elif scope is None and r["subscription_id"]:
                held.shared[(group, r["subscription_id"])].add(r["who"])
        return held


@dataclass(frozen=True)
class Held:
    """The one-holder scopes other partners hold, and who else holds each (type group, subscription)
    several partners may hold (ID and name)."""

    taken: set[tuple]
    shared: dict[tuple[str, str], set[str]]

    def blocks(self, group: str, row: dict) -> bool:
        """Whether another partner holds `group` alone on this usage row's scope (`OtherHolders.unheld`)."""
        return ((group, row["subscription_id"]) in self.taken
                or (group, row["tenant_id"], row["workload_key"]) in self.taken)

    def co_holders(self, group: str, subscriptions: set[str]) -> list[str]:
        """The other partners holding `group` on any of `subscriptions`."""
        return sorted(set().union(*(self.shared.get((group, s), set()) for s in subscriptions)))


def other_holders(tables: Tables, rules: RuleSet, partner: str, customers: ibis.Table, start: date,
                  end: date) -> OtherHolders:
    """The associations of partners other than `partner` on `customers` (a `tenant_id` table), in force
    on some day from `start` to `end` as the ledger stands on `end` (takeovers applied)."""
    # Only the associations with a version on these customers can hold a scope of theirs: the ledger of a
    # few thousand tenants is read, not every partner's (versions stay whole, so a correction that moved
    # an association elsewhere still wins).
    a = tables.associations
    near = a.semi_join(customers, a.tenant_id == customers.tenant_id).select(n_id="association_id").distinct()
    holding = ledger_as_of(replace(tables, associations=a.semi_join(near, a.association_id == near.n_id)),
                           rules, end).holding
    others = holding.filter(_.partner_id != partner, _.start_date <= end,
                            _.effective_end.isnull() | (_.effective_end >= start))
    others = others.semi_join(customers, others.tenant_id == customers.tenant_id)
    groups = rules.associations.type_groups
    group = ibis.cases(*[(others.type == t, g) for t, g in groups.items()], else_=ibis.null("string"))
    names = tables.partners.select(p_id=_.partner_id, p_name=_.name)
    others = others.left_join(names, others.partner_id == names.p_id)
    who = ibis.ifelse(others.p_name.isnull(), others.partner_id, others.partner_id + " " + others.p_name)
    rows = others.select("partner_id", "tenant_id", "subscription_id", "workload_key", type_group=group, who=who)
    return OtherHolders(rows, {groups[t]: scope for t, scope in rules.associations.one_holder.items()})
