"""Explain a partner's score in one area: what earned each point, what did not count, and why.

For every metric of the path that counts: the rule in one line, the entities behind the value
(`facts.FACTS`), the points missing and what one more unit is worth; then every association of the
partner with its status for this area (counts toward which metrics, or the reason it does not:
ineligible, a type this area does not count, not in force in the months scored). Partner Center's
"Customer eligibility" report gives the per-customer part; this adds associations and the arithmetic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import ibis
from ibis import _

from partnerscore.engine.connect import Tables
from partnerscore.engine.facts import FACTS
from partnerscore.engine.keys import for_facts
from partnerscore.engine.metrics.base import Context
from partnerscore.engine.months import add_months, scoring_month
from partnerscore.engine.plan import PLANS, stand_ins
from partnerscore.engine.report import build_report, round_half_up
from partnerscore.engine.scoring import plan_key, score_expression, scoring_context
from partnerscore.errors import PartnerscoreError
from partnerscore.ledger.associations import ledger_as_of
from partnerscore.rules.load import RuleSet, rules_at
from partnerscore.rules.schema import AREAS, AreaRules, MetricRule

#: What one more unit of a linear metric is, per formula ("to gain": 4 more net customers).
GAIN_UNITS = {"azure.net_customer_adds": "net customers", "modern_work.net_customer_adds": "net customers",
              "security.net_customer_adds": "net customers",
              "business_applications.net_customer_adds": "net customer × workload pairs",
              "azure.deployments": "Azure services", "modern_work.deployments": "net deployments",
              "security.deployments": "net deployments", "business_applications.deployments": "net deployments",
              "certified_people": "certified people", "stepped_certifications": "certified people"}

#: Rule parameters below which a formula gives 0 points whatever its value (the metric modules apply
#: them): per formula, the parameter, what must reach it, its currency sign, and the fact column whose
#: sum is that figure (None when the facts do not carry it). The threshold itself is read from the rule.
GATES = {
    "business_applications.usage_growth": ("min_baseline_mcv", "the MCV of M-12", "", "before"),
    "azure.usage_growth": ("min_ttm_acr_usd", "the covered ACR over the TTM", "$", None),
}


@dataclass
class MetricExplanation:
    """One metric: its points and what is behind them."""

    metric: str
    value: float | int | None
    points: float
    max_points: int
    rule: str
    to_gain: str
    facts: list[dict] = field(default_factory=list)
    why_zero: str | None = None


@dataclass
class Explanation:
    """A partner's score in one area, explained."""

    partner_id: str
    area: str
    as_of: date
    rules_version: str
    track: str | None
    points: float
    qualified: bool
    verdict: str
    metrics: list[MetricExplanation]
    associations: list[dict]

    def to_json(self) -> dict:
        doc = asdict(self)
        doc["as_of"] = self.as_of.isoformat()
        return doc


def _rule_text(rule: MetricRule) -> str:
    by_type = rule.params.get("by_type")
    if by_type:
        per = ", ".join(f"{t}: full at {n:,}" for t, n in by_type.items())
        return f"max {rule.max_points} points; per association type ({per}); the type earning more counts"
    if rule.threshold:
        return f"{round_half_up(rule.unit_points())} points per unit, full {rule.max_points} at {rule.threshold:,}"
    return f"{round_half_up(rule.unit_points())} point(s) per unit, max {rule.max_points}"


def _to_gain(rule: MetricRule, points: float) -> str:
    missing = round_half_up(rule.max_points - points)
    if missing <= 0:
        return "at maximum"
    if rule.params.get("by_type") or rule.formula.endswith("usage_growth"):
        return f"{missing:g} points below the maximum"
    per_unit = rule.unit_points()
    units = -(-missing // float(per_unit))
    return (f"{missing:g} points below the maximum: {units:g} more {GAIN_UNITS[rule.formula]} "
            f"({round_half_up(per_unit):g} each)")


def _why_zero(rule: MetricRule, value: float | None, points: float, facts: list[dict]) -> str | None:
    """Why a value worth at least one unit earns 0 points: the rule's gate it did not reach, or None."""
    gate = GATES.get(rule.formula)
    if gate is None or points > 0 or value is None or value < 1:
        return None
    param, what, sign, column = gate
    threshold = rule.params[param]
    figure = sum(f[column] for f in facts) if column else None
    if figure is not None and figure >= threshold:
        return None
    seen = "" if figure is None else f"; it is {sign}{_amount(figure)}"
    return f"this path gives points only once {what} reaches {sign}{threshold:,} (rule {param}){seen}"


def _amount(x: float) -> str:
    return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}"


def _counted_types(area: AreaRules, path: str) -> dict[str, list[str]]:
    """Association type groups each metric of a path counts."""
    found: dict[str, list[str]] = {}
    for metric, rule in area.paths[path].items():
        p = rule.params
        groups = set(p.get("counts", [])) | set(p.get("by_type", {}))
        for part in [p.get("azure"), p.get("m365"), *p.get("coverage", [])]:
            groups |= set((part or {}).get("counts", []))
        for group in groups:
            found.setdefault(group, []).append(metric)
    return found


def _association_rows(tables: Tables, rules: RuleSet, day: date, partner_id: str) -> ibis.Table:
    """The partner's associations in force on `day` (its own, and those naming it as indirect
    provider), with the ledger's reason when one is ineligible."""
    holding = ledger_as_of(tables, rules, day, partners=[partner_id]).holding
    holding = holding.filter((_.partner_id == partner_id) | (_.indirect_provider_id == partner_id))
    return holding.select("association_id", "partner_id", "type", "tenant_id", "subscription_id", "workload",
                          "start_date", "effective_end", "ineligible").order_by("association_id")


def _association_status(rules: RuleSet, day: date, rows: list[dict], partner_id: str, area: AreaRules,
                        path: str) -> list[dict]:
    """Each association with its status for this area: the metrics it counts toward, or why not."""
    groups = rules.associations.type_groups
    counted = _counted_types(area, path)
    window_start = add_months(scoring_month(day), -23)
    out = []
    for row in rows:
        group = groups[row["type"]]
        if row["ineligible"]:
            status = f"does not count: {row['ineligible']}"
        elif group not in counted:
            status = f"does not count here: {area.area} ({path}) counts {', '.join(sorted(counted))}"
        elif row["effective_end"] is not None and row["effective_end"] < window_start:
            status = f"does not count: ended {row['effective_end']}, before the months scored (from {window_start})"
        elif row["start_date"] > day:
            status = f"does not count yet: starts {row['start_date']}"
        else:
            via = " as CSP Tier 1 (indirect provider)" if row["partner_id"] != partner_id else ""
            status = f"counts{via} toward {', '.join(counted[group])}"
        out.append({**row, "status": status})
    return out


def explain(tables: Tables, partner_id: str, area: str, day: date, metric: str | None = None) -> Explanation:
    """Explain `partner_id`'s score in `area` as of `day` (optionally one metric only).

    One run computes the area's score and the facts of every path's metrics (which path counts is
    known only from the score), so the ledger and the covered usage are computed once, on the tenants'
    keys when the store can name them again (`keys.for_facts`). It is recorded like a score
    (`engine/plan.py`): explaining any partner in this area on this day again replays it.
    """
    if area not in AREAS:
        raise PartnerscoreError(f"unknown area {area!r}; choose one of {', '.join(AREAS)}")
    rules = rules_at(day)
    area_rules = rules.areas[area]
    known = list(dict.fromkeys(m for metrics in area_rules.paths.values() for m in metrics))
    if metric and metric not in known:
        raise PartnerscoreError(f"{area} has no metric {metric!r}; it has {', '.join(known)}")
    asked = [(path, m) for path, metrics in area_rules.paths.items() for m in metrics if not metric or m == metric]
    key = ("explain", plan_key(tables, day, rules, None, [partner_id], [area]), tuple(asked))
    plan = PLANS.get(key)
    if plan is None:  # compiled for a stand-in partner, replayed for this one (`engine/plan.py`)
        (stand_in,) = stand_ins(1)
        with scoring_context(for_facts(tables), day, rules, partners=[stand_in], areas=[area]) as ctx:
            ctx.query(score_expression(ctx).filter(_.partner_id == stand_in))
            area_ctx = ctx.for_area(area)
            for path, m in asked:
                ctx.query(_facts(area_ctx, stand_in, path, m))
            ctx.query(_association_rows(tables, rules, day, stand_in))
        plan = ctx.plan
        PLANS.put(key, plan)
    scored, *facts, associations = plan.replay(tables.backend, [partner_id], side_by_side=tables.shared)
    report = build_report(scored.to_pylist(), day=day, rules=rules)
    if not report.partners:
        raise PartnerscoreError(f"unknown partner {partner_id!r}; `partnerscore score` lists the partners")
    area_score = report.partner(partner_id).area(area)
    path = area_score.track or next(iter(area_rules.paths))
    of_path = {m: rows for (p, m), rows in zip(asked, facts) if p == path}
    shown = [m for m in area_score.metrics if m.metric in of_path]
    if not shown:  # the metric asked is another path's
        raise PartnerscoreError(f"{area} ({path}) has no metric {metric!r}; it has "
                                f"{', '.join(m.metric for m in area_score.metrics)}")
    metrics = [_metric_explanation(area_rules.paths[path][m.metric], m, of_path[m.metric].to_pylist()) for m in shown]
    associations = _association_status(rules, day, associations.to_pylist(), partner_id, area_rules, path)
    return Explanation(partner_id, area, day, rules.version, area_score.track, round_half_up(area_score.points),
                       area_score.qualified, _verdict(area_score, area_rules), metrics, associations)


def _facts(ctx: Context, partner_id: str, path: str, metric: str) -> ibis.Table:
    """The entities behind one metric, largest contribution first."""
    rule = ctx.area.paths[path][metric]
    facts = FACTS[rule.formula](ctx, rule).filter(_.partner_id == partner_id).drop("partner_id")
    # Every column breaks ties: a replayed explanation lists its facts in the same order as the first.
    return facts.order_by(ibis.desc(_.contribution.abs()), "entity", "part", "status", "now", "before")


def _metric_explanation(rule: MetricRule, m, rows: list[dict]) -> MetricExplanation:
    points = round_half_up(m.points)
    return MetricExplanation(m.metric, m.value, points, m.max_points, _rule_text(rule),
                             _to_gain(rule, points), rows, _why_zero(rule, m.value, points, rows))


def _verdict(area_score, area_rules: AreaRules) -> str:
    q = area_rules.qualify
    zero = [m.metric for m in area_score.metrics if m.points < q.min_metric_points]
    total = round_half_up(area_score.points)
    if area_score.qualified:
        return f"qualified: {total:g} ≥ {q.min_total} points and every metric has at least {q.min_metric_points}"
    reasons = []
    if area_score.points < q.min_total:
        reasons.append(f"{total:g} points, {round_half_up(q.min_total - area_score.points):g} short of {q.min_total}")
    if zero:
        reasons.append(f"below {q.min_metric_points} point in {', '.join(zero)}")
    return "not qualified: " + "; ".join(reasons)
