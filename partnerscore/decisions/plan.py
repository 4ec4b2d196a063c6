"""The cheapest set of actions that makes a partner qualify in one area (`partnerscore plan`).

1. Candidates come from the data (`candidates.py`), each with a cost from the cost file.
2. The engine measures each candidate's effect on every metric's points: one batched what-if run
   scores every candidate alone (`variants.py`); a candidate that requires others (the last step of a
   stepped skilling metric) is measured on top of them.
3. OR-Tools CP-SAT chooses how many of each to take at the least cost, with the effects added per
   metric, each metric capped at its maximum, every metric at least the rule's minimum and the area at
   least its minimum total (R7), on every target day.
4. The chosen set is verified by one what-if of all its changes together. Where candidates interact
   (two cover the same customer, a percentage rounds down) the verified points fall short of the model;
   the shortfall becomes a constraint on that combination and the model is solved again.
5. Effects measured one at a time cannot see synergies (growth that needs two customers together). If
   no verified choice comes out, each effect is raised to its marginal effect on top of every other
   candidate and the model solved again; failing that, if all candidates together qualify, actions are
   dropped from that set while it still qualifies (each step verified), and the model is re-measured
   around the result once more (status `plan (local search)`: verified, but not proven cheapest).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from math import lcm

from partnerscore.decisions.candidates import (
    Action, Costs, area_usage, association_candidates, certification_candidates, load_costs, renewal_candidates,
)
from partnerscore.decisions.forecast import TREND_MODEL, last_reported_month, with_projection
from partnerscore.decisions.solver import Problem, qualifies, solve_verified
from partnerscore.decisions.variants import score_variants
from partnerscore.engine.connect import Tables
from partnerscore.engine.months import month_end, month_range, scoring_month
from partnerscore.engine.report import AreaScore
from partnerscore.engine.scoring import score
from partnerscore.errors import PartnerscoreError
from partnerscore.rules.load import rules_at
from partnerscore.rules.schema import AREAS

MAX_BATCH = 32


@dataclass
class PlanStep:
    """One chosen action: how many of it, and what it costs."""

    action_id: str
    kind: str
    label: str
    count: int
    cost: float


@dataclass
class PlanResult:
    """The plan for one partner and area: the actions, their cost and the verified scores."""

    partner_id: str
    area: str
    as_of: date
    days: list[date]
    currency: str
    status: str  # qualified already | plan | unreachable | unverified
    steps: list[PlanStep]
    before: dict[date, AreaScore]
    after: dict[date, AreaScore]
    candidates: list[Action]
    rounds: int = 0
    usage_model: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    changes: list = field(default_factory=list)

    @property
    def total_cost(self) -> float:
        return sum(s.cost for s in self.steps)

    def to_json(self) -> dict:
        def area_json(scores):
            return {d.isoformat(): a.to_json() for d, a in scores.items()}
        return {"partner_id": self.partner_id, "area": self.area, "as_of": self.as_of.isoformat(),
                "days": [d.isoformat() for d in self.days], "status": self.status, "currency": self.currency,
                "total_cost": self.total_cost, "actions": [vars(s) for s in self.steps],
                "before": area_json(self.before), "after": area_json(self.after),
                "candidates": len(self.candidates), "rounds": self.rounds, "usage_model": self.usage_model,
                "seconds": self.seconds, "scenario": [c.model_dump(mode="json") for c in self.changes]}


def target_days(as_of: date, by: date | None, keep: bool) -> list[date]:
    """The days to qualify on: `by` (default `as_of`), or with `keep` every month end from `as_of` to `by`."""
    by = by or as_of
    if by < as_of:
        raise PartnerscoreError(f"--by {by} is before the day the actions are taken ({as_of})")
    if not keep:
        return [by]
    ends = [month_end(m) for m in month_range(as_of.replace(day=1), by.replace(day=1))]
    return sorted({d for d in ends if as_of <= d <= by} | {by})


def _units(area: AreaScore, scale: int) -> dict[str, int]:
    return {m.metric: int(m.points * scale) for m in area.metrics}


def baseline(tables: Tables, partner: str, area: str, days: list[date]) -> tuple[Tables, dict[date, AreaScore], bool]:
    """The tables to plan on (with projected usage when a target month has no data yet) and the
    partner's score in the area on each target day."""
    if area not in AREAS:
        raise PartnerscoreError(f"unknown area {area!r}; choose one of {', '.join(AREAS)}")
    last_month = last_reported_month(tables)
    projected = last_month is not None and scoring_month(days[-1]) > last_month
    work = with_projection(tables, scoring_month(days[-1])) if projected else tables
    before = {}
    for day in days:
        report = score(work, day, partners=[partner], areas=[area])
        if not report.partners:
            raise PartnerscoreError(f"unknown partner {partner!r}; `partnerscore score` lists the partners")
        before[day] = report.partner(partner).area(area)
    return work, before, projected


def candidates_for(tables: Tables, partner: str, area: str, as_of: date, days: list[date],
                   before: dict[date, AreaScore], costs: Costs, max_customers: int = 10,
                   max_renewals: int = 10) -> list[Action]:
    """Candidate actions for the metrics below their maximum on some target day."""
    rules = rules_at(days[-1])
    area_rules = rules.areas[area]
    short = {m.metric for a in before.values() for m in a.metrics if m.points < m.max_points}
    track = before[days[-1]].track
    return (certification_candidates(tables, partner, area_rules, rules, as_of, days[-1], short, costs, track)
            + renewal_candidates(tables, partner, area_rules, rules, as_of, days[-1], short, costs, max_renewals)
            + association_candidates(tables, partner, area_rules, rules, days[-1], as_of, short, costs, max_customers))


def plan(tables: Tables, partner: str, area: str, as_of: date, *, by: date | None = None, keep: bool = False,
         costs: Costs | None = None, max_customers: int = 10, max_renewals: int = 10) -> PlanResult:
    """The cheapest actions (taken on `as_of`) that make `partner` qualify in `area` on the target days.

    Args:
        by: the day to qualify on (default `as_of`); usage of months not yet reported is projected.
        keep: qualify on every month end from `as_of` to `by`, not only on `by`.
        costs: the cost of each kind of action (default: the packaged `costs.yaml`).
        max_customers: how many customers (largest first) to consider adding associations for.
    Returns:
        A `PlanResult`: status `plan`, `qualified already`, `unreachable` (no set of the candidates
        qualifies; `after` is then the score with every candidate) or `unverified`.
    """
    costs = costs or load_costs()
    clock = [time.perf_counter()]
    days = target_days(as_of, by, keep)
    work, before, projected = baseline(tables, partner, area, days)
    clock.append(time.perf_counter())
    result = PlanResult(partner, area, as_of, days, costs.currency, "qualified already", [], before, before, [],
                        usage_model=TREND_MODEL if projected else None)
    if all(a.qualified for a in before.values()):
        result.seconds = {"score": round(clock[1] - clock[0], 2)}
        return result
    actions = candidates_for(work, partner, area, as_of, days, before, costs, max_customers, max_renewals)
    result.candidates = actions
    clock.append(time.perf_counter())
    problem = measure(work, partner, area, as_of, days, actions, before)
    clock.append(time.perf_counter())
    scale = _scale(days)
    verified: dict[tuple, dict[date, AreaScore]] = {}

    def verify(counts: dict[str, int]) -> dict[tuple[date, str], int]:
        after = _verify(work, partner, area, as_of, days, actions, counts, before)
        verified[tuple(sorted((k, v) for k, v in counts.items() if v))] = after
        return {(d, m): v for d, a in after.items() for m, v in _units(a, scale).items()}

    counts, true, result.rounds = solve_verified(problem, verify)
    if counts is None or true is None or not qualifies(problem, true):
        # Effects measured one at a time miss synergies (a percentage that only grows with two customers
        # together): measure each action's effect on top of all the others too, keep the larger, solve again.
        optimistic(work, partner, area, as_of, days, actions, problem)
        counts, true, rounds = solve_verified(problem, verify)
        result.rounds += rounds
    if counts is not None and true is not None and qualifies(problem, true):
        result.status = "plan"
    else:
        counts = {a.id: a.max_count for a in actions}
        if qualifies(problem, verify(counts)):
            counts = drop_actions(work, partner, area, as_of, days, actions, counts, problem)
            local = around(work, partner, area, as_of, days, actions, counts, problem)
            better, true, rounds = solve_verified(local, verify)
            result.rounds += rounds
            if better is not None and true is not None and qualifies(local, true) and \
                    sum(local.cents[a] * n for a, n in better.items()) < sum(local.cents[a] * n for a, n in counts.items()):
                counts = better
            verify(counts)
            result.status = "plan (local search)"
        else:
            result.status = "unreachable"
    result.after = verified[tuple(sorted((k, v) for k, v in counts.items() if v))]
    chosen = [(a, counts[a.id]) for a in actions if counts.get(a.id)]  # candidate order: requirements first
    result.steps = [PlanStep(a.id, a.kind, a.describe(n), n, a.unit_cost * n) for a, n in chosen]
    result.changes = [c for a, n in chosen for c in a.changes(n)]
    clock.append(time.perf_counter())
    result.seconds = {name: round(b - a, 2) for name, a, b in
                      zip(("score", "candidates", "measure", "solve_and_verify"), clock, clock[1:])}
    return result


def _scale(days: list[date]) -> int:
    scale = 1
    for day in days:
        scale = lcm(scale, rules_at(day).points_scale)
    return scale


def _with_requirements(action: Action, by_id: dict[str, Action], count: int = 1) -> list:
    return [c for req in action.requires for c in by_id[req].changes()] + action.changes(count)


def measure(tables: Tables, partner: str, area: str, as_of: date, days: list[date], actions: list[Action],
            before: dict[date, AreaScore]) -> Problem:
    """Each action's effect on each metric's points, from batched what-if runs (one unit, alone or on
    top of the actions it requires)."""
    scale = _scale(days)
    by_id = {a.id: a for a in actions}
    contexts = sorted({a.requires for a in actions if a.requires})
    variants = [[]] + [[c for r in ctx for c in by_id[r].changes()] for ctx in contexts]
    variants += [_with_requirements(a, by_id) for a in actions]
    scores = _score_batches(tables, partner, as_of, days, variants,
                            area_usage(rules_at(days[-1]).areas[area]), area)
    if any(scores[d][0].area(area).to_json() != before[d].to_json() for d in days):
        scores = _score_batches(tables, partner, as_of, days, variants, None, area)  # every usage row, to be safe
    for day in days:
        if scores[day][0].area(area).to_json() != before[day].to_json():
            raise PartnerscoreError(f"internal: the batched what-if of {partner} differs from its score on {day}; "
                                    "please report this with the data set")
    area_of = {d: [s.area(area) for s in scores[d]] for d in days}
    context_index = {ctx: 1 + i for i, ctx in enumerate(contexts)}
    effects = {}
    for i, a in enumerate(actions):
        ref = context_index.get(a.requires, 0)
        effects[a.id] = {}
        for day in days:
            now, then = _units(area_of[day][1 + len(contexts) + i], scale), _units(area_of[day][ref], scale)
            effects[a.id].update({(day, m): now[m] - then[m] for m in now})
    base_area = next(iter(before.values()))
    metrics = [m.metric for m in base_area.metrics]
    return Problem(
        days=days, metrics=metrics,
        base={(d, m): v for d in days for m, v in _units(before[d], scale).items()},
        max_points={m.metric: m.max_points * scale for m in base_area.metrics},
        min_total={d: rules_at(d).areas[area].qualify.min_total * scale for d in days},
        min_metric={d: rules_at(d).areas[area].qualify.min_metric_points * scale for d in days},
        actions=actions, effects=effects, cents={a.id: round(a.unit_cost * 100) for a in actions})


def optimistic(tables: Tables, partner: str, area: str, as_of: date, days: list[date], actions: list[Action],
               problem: Problem) -> None:
    """Raise each effect to the action's marginal effect on top of every other candidate (the last unit
    of a counted action), where that is larger than its effect alone."""
    full = {a.id: a.max_count for a in actions}
    by_id = {a.id: a for a in actions}

    def changes(counts):
        return [c for aid, n in counts.items() for c in by_id[aid].changes(n)]

    variants = [changes(full)] + [changes({**full, a.id: a.max_count - 1}) for a in actions]
    scores = _score_batches(tables, partner, as_of, days, [[]] + variants,
                            area_usage(rules_at(days[-1]).areas[area]), area)
    scale = _scale(days)
    for day in days:
        top = _units(scores[day][1].area(area), scale)
        for a, without in zip(actions, scores[day][2:]):
            rest = _units(without.area(area), scale)
            for metric, value in top.items():
                key = (day, metric)
                problem.effects[a.id][key] = max(problem.effects[a.id][key], value - rest[metric])


def drop_actions(tables: Tables, partner: str, area: str, as_of: date, days: list[date], actions: list[Action],
                 counts: dict[str, int], problem: Problem) -> dict[str, int]:
    """From a qualifying choice, drop the dearest action (or one unit of it) that leaves the partner
    qualified, one batched what-if per step, until none can go: the fallback when the interactions
    defeat the additive model (no optimality proof, but every step is verified)."""
    by_id = {a.id: a for a in actions}
    usage_rows = area_usage(rules_at(days[-1]).areas[area])
    scale = _scale(days)
    for _step in range(2 * len(actions) + 5):
        trials = []
        for aid, n in counts.items():
            for fewer in sorted({0, n // 2, n - 1}):
                if n and fewer < n:
                    trials.append(({**counts, aid: fewer}, by_id[aid].unit_cost * (n - fewer)))
        if not trials:
            break
        variants = [[c for aid, n in t.items() for c in by_id[aid].changes(n)] for t, _saved in trials]
        scores = _score_batches(tables, partner, as_of, days, [[]] + variants, usage_rows, area)
        ok = []
        for i, (trial, saved) in enumerate(trials):
            points = {(d, m): v for d in days for m, v in _units(scores[d][i + 1].area(area), scale).items()}
            if qualifies(problem, points):
                ok.append((saved, sum(points.values()), i))
        if not ok:
            break
        counts = trials[max(ok)[2]][0]
    return {aid: n for aid, n in counts.items() if n}


def around(tables: Tables, partner: str, area: str, as_of: date, days: list[date], actions: list[Action],
           counts: dict[str, int], problem: Problem) -> Problem:
    """The model re-measured around a verified choice: each action's effect is one unit more or one
    unit less of it, on top of that choice, so the model is exact at the choice and sees the
    interactions near it."""
    by_id = {a.id: a for a in actions}

    def changes(c):
        return [ch for aid, n in c.items() for ch in by_id[aid].changes(n)]

    steps = [(a.id, +1) for a in actions if counts.get(a.id, 0) < a.max_count]
    steps += [(a.id, -1) for a in actions if counts.get(a.id, 0) > 0]
    variants = [changes(counts)] + [changes({**counts, aid: counts.get(aid, 0) + d}) for aid, d in steps]
    scores = _score_batches(tables, partner, as_of, days, [[]] + variants,
                            area_usage(rules_at(days[-1]).areas[area]), area)
    scale = _scale(days)
    effects = {a.id: {} for a in actions}
    at = {}
    for day in days:
        at.update({(day, m): v for m, v in _units(scores[day][1].area(area), scale).items()})
        for (aid, d), other in zip(steps, scores[day][2:]):
            for m, v in _units(other.area(area), scale).items():
                delta = (v - at[(day, m)]) * d
                effects[aid][(day, m)] = max(effects[aid].get((day, m), delta), delta)
    for a in actions:
        for key in at:
            effects[a.id].setdefault(key, 0)
    base = {k: v - sum(effects[aid][k] * n for aid, n in counts.items()) for k, v in at.items()}
    return Problem(problem.days, problem.metrics, base, problem.max_points, problem.min_total, problem.min_metric,
                   actions, effects, problem.cents)


def _score_batches(tables, partner, as_of, days, variants, usage_rows, area) -> dict[date, list]:
    """Every variant's score per day, in batches of at most MAX_BATCH clones (each batch re-checks
    the empty scenario first)."""
    scores: dict[date, list] = {d: [] for d in days}
    first, rest = variants[:MAX_BATCH], variants[MAX_BATCH:]
    chunks = [first] + [[[]] + rest[i:i + MAX_BATCH - 1] for i in range(0, len(rest), MAX_BATCH - 1)]
    for n, chunk in enumerate(chunks):
        batch = score_variants(tables, partner, as_of, days, chunk, usage_rows, areas=[area])
        for day in days:
            scores[day] += batch[day] if n == 0 else batch[day][1:]
    return scores


def _verify(tables: Tables, partner: str, area: str, as_of: date, days: list[date], actions: list[Action],
            counts: dict[str, int], before: dict[date, AreaScore]) -> dict[date, AreaScore]:
    """The chosen actions' changes applied together, scored by the engine on every target day.

    Scored as a batch of two clones, the empty scenario and the chosen changes, so that it replays the
    plan the measuring batches compiled instead of compiling one more (seconds). The empty clone must
    equal the partner's score, as in `measure`; if it does not, the batch runs on every usage row.
    """
    by_id = {a.id: a for a in actions}
    changes = [c for aid, n in sorted(counts.items()) for c in by_id[aid].changes(n)]
    variants = [[], changes]
    scores = _score_batches(tables, partner, as_of, days, variants,
                            area_usage(rules_at(days[-1]).areas[area]), area)
    if any(scores[d][0].area(area).to_json() != before[d].to_json() for d in days):
        scores = _score_batches(tables, partner, as_of, days, variants, None, area)
    return {day: scores[day][1].area(area) for day in days}
