"""Which entities moved a metric: per-entity facts of two scores, compared.

`diff` compares a partner's facts on two days; `whatif` compares them before and after a scenario.
Both ask the engine's own per-entity facts (`engine/facts.py`, the ones `explain` shows) and report
the customers, pairs, services and people that entered a metric, left it, or changed their share.
"""

from __future__ import annotations

from datetime import date

from ibis import _

from partnerscore.engine.connect import Tables
from partnerscore.engine.facts import FACTS
from partnerscore.engine.keys import for_facts
from partnerscore.engine.plan import PLANS, stand_ins
from partnerscore.engine.report import AreaScore
from partnerscore.engine.scoring import plan_key, scoring_context
from partnerscore.rules.load import rules_at


def metric_facts(tables: Tables, partner: str, day: date,
                 wanted: dict[str, AreaScore]) -> dict[tuple[str, str], list[dict]]:
    """Per-entity facts of each wanted area's counting path and metrics on `day`, for one partner
    (one scoring context, narrowed to the partner and the wanted areas; recorded and replayed like a
    score's, `engine/plan.py`)."""
    rules = rules_at(day)
    asked = [(area, area_score.track or next(iter(rules.areas[area].paths)), m.metric)
             for area, area_score in wanted.items() for m in area_score.metrics]
    key = ("facts", plan_key(tables, day, rules, None, [partner], list(wanted)), tuple(asked))
    plan = PLANS.get(key)
    if plan is None:  # compiled for a stand-in partner, replayed for this one (`engine/plan.py`)
        (stand_in,) = stand_ins(1)
        with scoring_context(for_facts(tables), day, rules, partners=[stand_in], areas=list(wanted)) as ctx:
            for area, path, metric in asked:
                actx = ctx.for_area(area)
                rule = actx.area.paths[path][metric]
                ctx.query(FACTS[rule.formula](actx, rule).filter(_.partner_id == stand_in).drop("partner_id"))
        plan = ctx.plan
        PLANS.put(key, plan)
    results = plan.replay(tables.backend, [partner], side_by_side=tables.shared)
    return {(area, metric): rows.to_pylist() for (area, _path, metric), rows in zip(asked, results)}


def moves(before: list[dict], after: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """Entities counted only after (entered), only before (left), and in both with another contribution
    (a person: or another status); each with its change of contribution in the metric's `unit`."""
    # A person is listed whenever they hold a counting certification: one in a step that earns nothing
    # of its own adds 0 to the value, yet meeting that step is what lets the last step count.
    def counted(rows):
        return {(r["entity_kind"], r["entity"], r["part"]): r for r in rows
                if r["contribution"] or r["entity_kind"] == "person"}
    b, a = counted(before), counted(after)

    def row(r, contribution):
        return {"entity_kind": r["entity_kind"], "entity": r["entity"], "part": r["part"],
                "contribution": contribution, "unit": r["unit"], "status": r["status"]}
    entered = [row(a[k], a[k]["contribution"]) for k in sorted(a.keys() - b.keys(), key=str)]
    left = [{**row(b[k], -b[k]["contribution"]), "status": "was: " + b[k]["status"]}
            for k in sorted(b.keys() - a.keys(), key=str)]
    changed = [row(a[k], a[k]["contribution"] - b[k]["contribution"]) for k in sorted(a.keys() & b.keys(), key=str)
               if a[k]["contribution"] != b[k]["contribution"]
               or (k[0] == "person" and a[k]["status"] != b[k]["status"])]
    return entered, left, sorted(changed, key=lambda r: -abs(r["contribution"]))
