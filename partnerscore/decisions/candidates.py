"""Candidate actions for `plan`: what a partner could do to gain points in one area, found in its data.

Every candidate is a list of what-if changes (`engine/whatif.py`) with a cost from the cost file:

- *associations*: the partner's own customers (`ledger/customers.py`) with usage the area counts (in
  M-1 or M) that no association of this partner covers for a metric that still lacks points: link a
  PAL (with a write role), request a DPOR, or claim the CPOR type the licensing program allows. Which
  types count, on which workloads and programs, comes from the rule version (`counts`, `by_type`,
  parts, `coverage`) and the association rules; the cheapest type covering the most is kept per
  customer. A scope another partner holds where the program allows one holder is never offered, and a
  PAL names the other partners linked there (`holders.py`).
- *renewals*: associations and certifications that count now and end before the target day.
- *certifications*: people of the partner one exam away from a list the area counts (they hold a
  certification, not one of this list), new people, and for stepped metrics the completion of an
  unmet step, which the last step's people require.

The plan's solver decides how many of each to take; the engine measures what each is worth.
"""

from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import ibis
import yaml
from ibis import _

from partnerscore.decisions.holders import Held, OtherHolders, other_holders
from partnerscore.engine.attribution import covered_usage
from partnerscore.engine.connect import Tables, register_arrow
from partnerscore.engine.metrics import skilling
from partnerscore.engine.metrics.base import Context
from partnerscore.engine.months import add_months, scoring_month
from partnerscore.engine.whatif import AddAssociation, AddCertification, Change, EndAssociation
from partnerscore.errors import PartnerscoreError
from partnerscore.ledger.associations import Ledger, ledger_as_of
from partnerscore.ledger.customers import partner_customers
from partnerscore.rules.load import RuleSet
from partnerscore.rules.names import workload_key
from partnerscore.rules.schema import AreaRules, Step

SKILLING = ("certified_people", "stepped_certifications")
MEASURES = ("acr_micros", "paid_units", "active_units", "revenue_micros")
#: The association type a planner can add for a type group, and its cost key (CSP and TPOR are sales
#: relationships, not something to request).
ACTIONABLE = {"PAL": "link_pal", "DPOR": "request_dpor", "CPOR_OSU": "claim_cpor_osu",
              "CPOR_OSA": "claim_cpor_osa", "CPOR_REVREC": "claim_cpor_revrec"}
#: How an action names the other partners holding the same scope, where several may (`holders.py`).
SHARED = {"PAL": "also linked there: {who} (PAL credits every linked partner)"}


@dataclass(frozen=True)
class Costs:
    """What each kind of action costs (per customer, association or person), in one currency."""

    currency: str
    actions: dict[str, float]
    notes: dict[str, str]


def load_costs(path: Path | str | None = None) -> Costs:
    """The packaged cost file, with the keys of `path` (if given) overriding it.

    A cost file names at least one action under `actions:`: a file with only a `currency:` would
    relabel the packaged amounts, so it is refused rather than read as "no override".
    """
    example = "e.g. `actions: {request_dpor: 400}`"
    data = yaml.safe_load(resources.files("partnerscore.decisions").joinpath("costs.yaml").read_text())
    actions = {k: float(v["cost"]) for k, v in data["actions"].items()}
    notes = {k: v.get("note", "") for k, v in data["actions"].items()}
    currency = data["currency"]
    if path is not None:
        try:
            override = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise PartnerscoreError(f"{path}: cannot read the cost file: {exc}") from exc
        if not isinstance(override, dict):
            raise PartnerscoreError(f"{path}: a cost file is a mapping with `actions:` (and optionally "
                                    f"`currency:`), {example}")
        if not override.get("actions"):
            raise PartnerscoreError(f"{path}: no `actions:`; list the actions to price under `actions:`, "
                                    f"{example} (partnerscore/decisions/costs.yaml has every key)")
        if not isinstance(override["actions"], dict):
            raise PartnerscoreError(f"{path}: `actions:` must map each action to its cost, {example}")
        currency = override.get("currency", currency)
        for key, value in override["actions"].items():
            if key not in actions:
                raise PartnerscoreError(f"{path}: actions.{key}: unknown action; the cost file knows "
                                        f"{', '.join(sorted(actions))}")
            cost = value.get("cost") if isinstance(value, dict) else value
            if not isinstance(cost, (int, float)) or cost < 0:
                raise PartnerscoreError(f"{path}: actions.{key}: cost must be a number ≥ 0, got {cost!r}")
            actions[key] = float(cost)
    return Costs(currency, actions, notes)


@dataclass
class Action:
    """One candidate: `units[i]` are the changes of its (i+1)-th unit (a binary action has one unit)."""

    id: str
    kind: str
    label: str
    unit_cost: float
    units: list[list[Change]]
    requires: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    names: list[str] = field(default_factory=list)

    def describe(self, count: int = 1) -> str:
        """The label for taking `count` units (naming the people when the units are people)."""
        text = self.label.replace("{who}", ", ".join(self.names[:count])).replace("{count}", str(count))
        return text.replace("{people}", "person" if count == 1 else "people")

    @property
    def max_count(self) -> int:
        return len(self.units)

    def changes(self, count: int = 1) -> list[Change]:
        return [c for unit in self.units[:count] for c in unit]


@dataclass(frozen=True)
class Scope:
    """One way usage counts toward a metric: the type groups that count it, on which workloads."""

    key: str
    groups: tuple[str, ...]
    workloads: frozenset[str] | None
    azure_only: bool
    osu_programs: tuple[str, ...] | None = None

    def matches(self, row: dict) -> bool:
        if self.azure_only and row["cloud"] != "azure":
            return False
        return self.workloads is None or row["workload_key"] in self.workloads


def _scopes(area: AreaRules, metrics: set[str]) -> list[Scope]:
    """The scopes of the area's usage metrics in `metrics`, over every path."""
    found: dict[str, Scope] = {}

    def keys(list_name):
        return frozenset(workload_key(n) for n in area.workload_lists[list_name]) if list_name else None

    for path, rules in area.paths.items():
        for metric, rule in rules.items():
            if metric not in metrics or rule.formula in SKILLING:
                continue
            p, azure = rule.params, rule.formula.startswith("azure.")
            parts = []
            if "by_type" in p:
                parts += [(f"{t}", (t,), p.get("workloads"), False, None) for t in p["by_type"]]
            elif "counts" in p:
                parts.append(("", tuple(p["counts"]), p.get("workloads"), azure, None))
            for label in ("azure", "m365"):
                if label in p:
                    parts.append((label, tuple(p[label]["counts"]), p[label]["workloads"], label == "azure", None))
            for i, cov in enumerate(p.get("coverage", [])):
                programs = tuple(p.get("cpor_osu_programs") or ()) or None
                parts.append((f"coverage{i}", tuple(cov["counts"]), cov["workloads"], False, programs))
            for label, groups, workloads, az, programs in parts:
                key = f"{path}.{metric}.{label}"
                found[key] = Scope(key, groups, keys(workloads), az, programs)
    return list(found.values())


def area_usage(area: AreaRules) -> tuple[frozenset[str], bool]:
    """The workload keys the area's rules read, and whether they read every Azure row (Azure formulas).

    Measuring on usage restricted to these rows scores the area exactly as on all rows; `plan` checks
    that on the empty scenario and falls back to every row if it ever differs.
    """
    names = {n for metrics in area.paths.values() for rule in metrics.values() for n in _lists(rule.params)}
    names |= set(_lists(area.path_selection.params))
    keys = frozenset(workload_key(n) for list_name in names for n in area.workload_lists.get(list_name, []))
    azure = any(r.formula.startswith("azure.") for m in area.paths.values() for r in m.values())
    return keys, azure or area.path_selection.method == "azure_customer_segment"


def _lists(params: dict) -> list[str]:
    found = [params[k] for k in ("workloads", "excluded_workloads") if isinstance(params.get(k), str)]
    for part in [params.get("azure"), params.get("m365"), *params.get("coverage", [])]:
        if part and isinstance(part.get("workloads"), str):
            found.append(part["workloads"])
    return found


def _eligible(group: str, program: str | None, scope: Scope, rules: RuleSet) -> bool:
    a = rules.associations
    if group == "DPOR":
        return program not in a.dpor_not_on_programs
    if group in a.cpor_programs:
        return program in a.cpor_programs[group]
    if group == "CPOR_OSU" and scope.osu_programs is not None:
        return program in scope.osu_programs
    return group in ACTIONABLE


def _pal_role(rules: RuleSet) -> str:
    exact = rules.associations.pal_roles["exact"]
    return next((r for r in exact if r.lower() == "contributor"), exact[0])


def association_candidates(tables: Tables, partner: str, area: AreaRules, rules: RuleSet, day: date,
                           as_of: date, metrics: set[str], costs: Costs, max_customers: int) -> list[Action]:
    """Associations to add for the partner's customers whose usage the area counts but it does not cover."""
    scopes = _scopes(area, metrics)
    if not scopes:
        return []
    month = scoring_month(day)
    recent = [add_months(month, -1), month]
    customers = partner_customers(tables, partner)
    others = other_holders(tables, rules, partner, customers, as_of, day)
    subs = tables.subscriptions.select(s_id=_.subscription_id, program=_.program, cloud=_.cloud)
    usage = tables.usage.filter(_.month.isin(recent))
    usage = usage.semi_join(customers, usage.tenant_id == customers.tenant_id)
    usage = usage.join(subs, usage.subscription_id == subs.s_id).drop("s_id")
    usage = usage.filter(_any(_in_scope(usage, s) for s in scopes) & _any(usage[m].fill_null(0) != 0 for m in MEASURES))
    ledger = ledger_as_of(tables, rules, day)
    mine = Ledger(ledger.holding, ledger.credits.filter(_.partner_id == partner))  # attribute this partner's only
    covered = covered_usage(tables, mine, month).filter(_.month.isin(recent)).select(
        "tenant_id", "subscription_id", "workload_key", "month", "type_group").distinct().to_pyarrow()
    have = {(r["tenant_id"], r["subscription_id"], r["workload_key"], r["month"], r["type_group"])
            for r in covered.to_pylist()}
    programs = [None, *tables.subscriptions.select("program").distinct().to_pyarrow().column(0).to_pylist()]
    # Only the customers that will rank first come into Python: on a large data set the loop below
    # over every customer's rows took seconds per hundred thousand rows.
    top = _largest_customers(usage, register_arrow(tables.backend, "ps_plan_covered", covered), scopes, rules,
                             month, programs, others, max_customers)
    rows = usage.filter(_.tenant_id.isin(top)).to_pyarrow().to_pylist()
    held = others.on(top)
    names = {r["tenant_id"]: r["name"]
             for r in tables.customers.filter(_.tenant_id.isin(top)).select("tenant_id", "name").to_pyarrow().to_pylist()}

    options: dict[tuple[str, str], dict] = {}
    size: dict[str, list] = {}
    for row in rows:
        key = (row["tenant_id"], row["subscription_id"], row["workload_key"], row["month"])
        for scope in scopes:
            if not scope.matches(row) or any((*key, g) in have for g in scope.groups):
                continue
            for group in scope.groups:
                if group in ACTIONABLE and _eligible(group, row["program"], scope, rules) \
                        and not held.blocks(group, row):
                    opt = options.setdefault((row["tenant_id"], group), {"subs": set(), "workloads": {}, "covers": set()})
                    opt["subs"].add(row["subscription_id"])
                    opt["workloads"][row["workload_key"]] = row["workload"]
                    opt["covers"].add((scope.key, row["subscription_id"], row["workload_key"]))
            if row["month"] == month:
                s = size.setdefault(row["tenant_id"], [set(), 0, 0])
                s[0].add(scope.key)
                s[1] += (row["acr_micros"] or 0) + (row["revenue_micros"] or 0)
                s[2] += row["paid_units"] or 0
    return _customer_actions(options, size, names, held, partner, as_of, rules, costs, max_customers)


def _in_scope(usage: ibis.Table, scope: Scope) -> ibis.Value:
    """`Scope.matches` as an expression on usage rows joined to their subscription."""
    test = ibis.literal(True)
    if scope.azure_only:
        test &= usage.cloud == "azure"
    if scope.workloads is not None:
        test &= usage.workload_key.isin(sorted(scope.workloads))
    return test


def _any(tests) -> ibis.Value:
    return functools.reduce(operator.or_, tests)


def _largest_customers(usage: ibis.Table, covered: ibis.Table, scopes: list[Scope], rules: RuleSet, month: date,
                       programs: list[str | None], others: OtherHolders, count: int) -> list[str]:
    """The `count` customers `_customer_actions` ranks first, in SQL: among the customers with an
    action to offer (a type the program allows there, on a scope no other partner holds alone), the
    most scopes with uncovered usage in month M, then the most ACR and revenue, then paid units (a row
    counts once per scope it is uncovered in, as in the loop)."""
    keys = ("tenant_id", "subscription_id", "workload_key", "month")
    pairs, offered = [], []
    for scope in scopes:
        rows = usage.filter(_in_scope(usage, scope))
        held = covered.filter(covered.type_group.isin(list(scope.groups))).select(**{f"c_{k}": k for k in keys})
        free = rows.anti_join(held, [rows[k] == held[f"c_{k}"] for k in keys])
        pairs.append(free.select("tenant_id", "month", "acr_micros", "revenue_micros", "paid_units",
                                 scope=ibis.literal(scope.key)))
        for group in (g for g in scope.groups if g in ACTIONABLE):
            allowed = [p for p in programs if _eligible(group, p, scope, rules)]
            if allowed:
                offered.append(others.unheld(free.filter(_program_in(free, allowed)), group).select("tenant_id"))
    if not offered:
        return []
    both = ibis.union(*pairs)
    in_m = both.month == month
    ranked = both.group_by("tenant_id").aggregate(
        scopes=both.scope.nunique(where=in_m),
        value=(both.acr_micros.fill_null(0) + both.revenue_micros.fill_null(0)).sum(where=in_m).fill_null(0),
        paid=both.paid_units.fill_null(0).sum(where=in_m).fill_null(0))
    can = ibis.union(*offered, distinct=True).rename(o_tenant="tenant_id")
    ranked = ranked.semi_join(can, ranked.tenant_id == can.o_tenant)
    ranked = ranked.order_by([ibis.desc("scopes"), ibis.desc("value"), ibis.desc("paid"), "tenant_id"]).limit(count)
    return ranked.tenant_id.to_pyarrow().to_pylist()


def _program_in(rows: ibis.Table, allowed: list[str | None]) -> ibis.Value:
    """Whether each row's licensing program is one of `allowed` (None: a subscription without one)."""
    named = [p for p in allowed if p is not None]
    test = rows.program.isin(named) if named else ibis.literal(False)
    return (test | rows.program.isnull()) if None in allowed else test


def _customer_actions(options, size, names, held: Held, partner, as_of, rules, costs, max_customers) -> list[Action]:
    by_tenant: dict[str, list[tuple[str, dict]]] = {}
    for (tenant, group), opt in options.items():
        by_tenant.setdefault(tenant, []).append((group, opt))
    ranked = sorted(by_tenant, key=lambda t: (-len(size.get(t, [()])[0]), -size.get(t, [0, 0])[1],
                                              -size.get(t, [0, 0, 0])[2], t))
    actions = []
    for tenant in ranked[:max_customers]:
        kept = []
        for group, opt in sorted(by_tenant[tenant], key=lambda go: (costs.actions[ACTIONABLE[go[0]]], -len(go[1]["covers"]))):
            if any(opt["covers"] <= other["covers"] for _, other in kept):
                continue  # a cheaper type already covers everything this one would
            kept.append((group, opt))
        for group, opt in kept:
            also = held.co_holders(group, opt["subs"])
            actions.append(_association_action(tenant, names.get(tenant, tenant), group, opt, partner, as_of,
                                               rules, costs, also))
    return actions


def _association_action(tenant, name, group, opt, partner, as_of, rules, costs, also: list[str]) -> Action:
    kind = ACTIONABLE[group]
    changes: list[Change] = []
    if group == "CPOR_OSU":
        for i, workload in enumerate(sorted(opt["workloads"].values())):
            changes.append(AddAssociation(action="add_association", association_id=f"plan-osu-{tenant}-{i}",
                                          partner_id=partner, type="CPOR_OSU", tenant_id=tenant, workload=workload,
                                          start_date=as_of))
        what = f"claim CPOR_OSU for {', '.join(sorted(opt['workloads'].values()))}"
    else:
        role = _pal_role(rules) if group == "PAL" else None
        for i, sub in enumerate(sorted(opt["subs"])):
            changes.append(AddAssociation(action="add_association", association_id=f"plan-{group.lower()}-{tenant}-{i}",
                                          partner_id=partner, type=group, tenant_id=tenant, subscription_id=sub,
                                          rbac_role=role, start_date=as_of))
        n = len(opt["subs"])
        verb = {"PAL": f"link PAL ({role})", "DPOR": "request DPOR"}.get(group, f"claim {group}")
        what = f"{verb} on {n} subscription{'s' if n > 1 else ''}"
    shared = "; " + SHARED.get(group, "also held there by {who}").format(who=", ".join(also)) if also else ""
    return Action(id=f"{group.lower()}:{tenant}", kind=kind, label=f"{what} of customer {name} ({tenant}){shared}",
                  unit_cost=costs.actions[kind], units=[changes])


def renewal_candidates(tables: Tables, partner: str, area: AreaRules, rules: RuleSet, as_of: date, last_day: date,
                       metrics: set[str], costs: Costs, max_renewals: int) -> list[Action]:
    """Counting associations of the partner that end between `as_of` and the last target day."""
    if last_day <= as_of:
        return []
    groups = {g for s in _scopes(area, metrics) for g in s.groups}
    held = ledger_as_of(tables, rules, as_of).holding
    ending = held.filter((_.partner_id == partner) & _.ineligible.isnull() & _.taken_over_on.isnull()
                         & _.end_date.notnull() & (_.end_date >= as_of) & (_.end_date < last_day))
    rows = ending.to_pyarrow().to_pylist()
    type_groups = rules.associations.type_groups
    rows = [r for r in rows if type_groups[r["type"]] in groups]
    rows.sort(key=lambda r: (r["end_date"], r["association_id"]))
    until = date(last_day.year + 1, last_day.month, min(last_day.day, 28))
    return [Action(id=f"renew:{r['association_id']}", kind="renew_association",
                   label=f"renew {r['type']} {r['association_id']} of customer {r['tenant_id']} "
                         f"(ends {r['end_date']}) until {until}",
                   unit_cost=costs.actions["renew_association"],
                   units=[[EndAssociation(action="end_association", association_id=r["association_id"], end_date=until)]])
            for r in rows[:max_renewals]]


@dataclass
class _People:
    counting: dict[str, set[str]] = field(default_factory=dict)
    everyone: list[str] = field(default_factory=list)
    expiring: list[dict] = field(default_factory=list)


def _people(tables: Tables, partner: str, area: AreaRules, rules: RuleSet, day: date, lists: set[str]) -> _People:
    ctx = Context(tables=tables, day=day, month=scoring_month(day), rules=rules, usage=None, covered=None,
                  scale=rules.points_scale, area=area)
    found = _People()
    for name in sorted(lists):
        held = skilling.people(ctx, name).filter(_.partner_id == partner)
        found.counting[name] = {r["person_id"] for r in held.to_pyarrow().to_pylist()}
    certs = tables.certifications.filter(_.partner_id == partner).to_pyarrow().to_pylist()
    found.everyone = sorted({r["person_id"] for r in certs})
    found.expiring = certs
    return found


def _cert_name(area: AreaRules, list_name: str, as_of: date, last_day: date) -> str | None:
    for cert in area.certification_lists[list_name]:
        if (cert.counts_until is None or cert.counts_until >= last_day) and (cert.retires_on is None or cert.retires_on > as_of):
            return cert.name
    return None


def certification_candidates(tables: Tables, partner: str, area: AreaRules, rules: RuleSet, as_of: date,
                             last_day: date, metrics: set[str], costs: Costs, path: str | None) -> list[Action]:
    """People to certify (existing, new, or a whole unmet step) and certifications to renew, on `path`
    (the path that counts; the certification lists are the same on every path, their steps are not)."""
    path = path or next(iter(area.paths))
    skilling_rules = {}
    for metric, rule in area.paths[path].items():
        if metric in metrics and rule.formula in SKILLING:
            skilling_rules.setdefault(metric, []).append((path, rule))
    if not skilling_rules:
        return []
    lists = set()
    for entries in skilling_rules.values():
        for _path, rule in entries:
            if rule.formula == "certified_people":
                lists.add(rule.params["certifications"])
            else:
                lists |= {Step.model_validate(s).certifications for s in rule.params["steps"]} | {rule.params["last_step"]}
    people = _people(tables, partner, area, rules, as_of, lists)
    actions: dict[str, Action] = {}
    for metric, entries in skilling_rules.items():
        for path, rule in entries:
            for action in _skilling_actions(metric, path, rule, area, people, partner, as_of, last_day, costs):
                actions.setdefault(action.id, action)
    actions.update({a.id: a for a in _cert_renewals(area, people, lists, partner, as_of, last_day, costs)})
    return list(actions.values())


def _certify(partner, people_ids, cert, as_of) -> list[list[Change]]:
    return [[AddCertification(action="add_certification", partner_id=partner, person_id=p, certification=cert,
                              earned_on=as_of)] for p in people_ids]


def _list_actions(list_name, metric, area, people, partner, as_of, last_day, costs, max_new, requires=()) -> list[Action]:
    cert = _cert_name(area, list_name, as_of, last_day)
    if cert is None:
        return []
    ready = [p for p in people.everyone if p not in people.counting[list_name]]
    new = [f"new-{list_name}-{i + 1}" for i in range(max_new)]
    out = []
    if ready:
        out.append(Action(id=f"certify:{list_name}", kind="certify_person", metrics=(metric,), requires=requires,
                          names=ready, label="certify {who} (certified already, one exam away) in " + cert,
                          unit_cost=costs.actions["certify_person"], units=_certify(partner, ready, cert, as_of)))
    if new:
        out.append(Action(id=f"certify-new:{list_name}", kind="certify_new_person", metrics=(metric,), requires=requires,
                          names=new, label="certify {count} new {people} in " + cert,
                          unit_cost=costs.actions["certify_new_person"],
                          units=_certify(partner, new, cert, as_of)))
    return out


def _skilling_actions(metric, path, rule, area, people, partner, as_of, last_day, costs) -> list[Action]:
    max_units = math.ceil(rule.max_points / rule.unit_points())
    if rule.formula == "certified_people":
        return _list_actions(rule.params["certifications"], metric, area, people, partner, as_of, last_day, costs, max_units)
    requires, out = [], []
    for i, step in enumerate(Step.model_validate(s) for s in rule.params["steps"]):
        missing = step.min_people - len(people.counting[step.certifications])
        cert = _cert_name(area, step.certifications, as_of, last_day)
        if missing <= 0 or cert is None:
            continue
        ready = [p for p in people.everyone if p not in people.counting[step.certifications]][:missing]
        new = [f"new-{step.certifications}-{j + 1}" for j in range(missing - len(ready))]
        cost = len(ready) * costs.actions["certify_person"] + len(new) * costs.actions["certify_new_person"]
        who = ", ".join(ready + [f"{len(new)} new" if new else ""]).strip(", ")
        action = Action(id=f"step:{metric}:{i + 1}", kind="certify_person" if not new else "certify_new_person",
                        label=f"complete step {i + 1} of {metric} ({path} path): certify {who} in {cert}",
                        unit_cost=cost, units=[[c for u in _certify(partner, ready + new, cert, as_of) for c in u]],
                        metrics=(metric,))
        out.append(action)
        requires.append(action.id)
    out += _list_actions(rule.params["last_step"], metric, area, people, partner, as_of, last_day, costs, max_units,
                         tuple(requires))
    return out


def _cert_renewals(area, people, lists, partner, as_of, last_day, costs) -> list[Action]:
    if last_day <= as_of:
        return []
    counting = set().union(*people.counting.values()) if people.counting else set()
    out = []
    for row in people.expiring:
        expires = row["expires_on"]
        if row["person_id"] in counting and expires is not None and as_of <= expires < last_day:
            renewed = date(expires.year + 1, expires.month, min(expires.day, 28))
            out.append(Action(id=f"renew-cert:{row['person_id']}:{row['cert_key']}", kind="renew_certification",
                              label=f"renew {row['certification']} of {row['person_id']} (expires {expires})",
                              unit_cost=costs.actions["renew_certification"],
                              units=[[AddCertification(action="add_certification", partner_id=partner,
                                                       person_id=row["person_id"], certification=row["certification"],
                                                       earned_on=as_of, expires_on=renewed)]]))
    return out
