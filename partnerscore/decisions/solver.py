"""The solver of `plan`: CP-SAT over measured effects, with verification and cuts.

The model: each action's count (0/1, or 0…n for people) adds its measured effect to every metric's
points; a metric's points are capped at its maximum; the partner qualifies when every metric has at
least the rule's minimum and the area at least its minimum total (R7), on every target day. Points are
integers in 1/scale point, costs integers in cents, so the model is exact arithmetic.

`solve_verified` verifies each choice with the engine; where the verified points fall short of the
model (actions that overlap or interact), the shortfall becomes a constraint on that combination (and
every combination containing it) and the model is solved again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ortools.sat.python import cp_model

from partnerscore.decisions.candidates import Action

MAX_ROUNDS = 6


@dataclass
class Problem:
    """What the solver sees: points in 1/scale units per (day, metric), and each action's effect."""

    days: list[date]
    metrics: list[str]
    base: dict[tuple[date, str], int]
    max_points: dict[str, int]
    min_total: dict[date, int]
    min_metric: dict[date, int]
    actions: list[Action]
    effects: dict[str, dict[tuple[date, str], int]]
    cents: dict[str, int]
    #: Verified combinations: (counts, true points per (day, metric)). Each makes the model exact at
    #: that combination and lowers every combination containing it by the same shortfall.
    cuts: list[tuple[dict[str, int], dict[tuple[date, str], int]]] = field(default_factory=list)

    def raw(self, counts: dict[str, int]) -> dict[tuple[date, str], int]:
        """Uncapped modeled points of a choice: the effects added to the base."""
        return {key: base + sum(self.effects[a][key] * n for a, n in counts.items()) for key, base in self.base.items()}

    def penalties(self) -> list[dict[tuple[date, str], int]]:
        """Each cut's shortfall per (day, metric) under the current effects (a choice the model cannot
        explain gets a shortfall no metric survives)."""
        out = []
        for chosen, true in self.cuts:
            raw = self.raw(chosen)
            short = {k: raw[k] - true[k] for k in true if true[k] < min(raw[k], self.max_points[k[1]])}
            out.append(short or {k: raw[k] + 1 for k in true})
        return out

    def modeled(self, counts: dict[str, int]) -> dict[tuple[date, str], int]:
        """Uncapped modeled points of a choice, with the largest shortfall of the cuts it contains."""
        raw = self.raw(counts)
        active = [p for (chosen, _t), p in zip(self.cuts, self.penalties())
                  if all(counts.get(a, 0) >= n for a, n in chosen.items())]
        return {k: v - max((p.get(k, 0) for p in active), default=0) for k, v in raw.items()}


def solve(problem: Problem) -> dict[str, int] | None:
    """The cheapest counts per action that qualify on every day under the model; None if none does.

    Among the cheapest, the one with the most modeled points.
    """
    model = cp_model.CpModel()
    x = {a.id: model.NewIntVar(0, a.max_count, a.id) for a in problem.actions}
    for a in problem.actions:
        for req in a.requires:
            if req in x:
                model.Add(x[a.id] <= a.max_count * x[req])
            else:
                model.Add(x[a.id] == 0)
    cut_flags, penalties = [], problem.penalties()
    for i, (chosen, _true) in enumerate(problem.cuts):
        flag, reached = model.NewBoolVar(f"cut{i}"), []
        for aid, n in chosen.items():
            b = model.NewBoolVar(f"cut{i}_{aid}")
            model.Add(x[aid] <= n - 1).OnlyEnforceIf(b.Not())
            reached.append(b)
        model.AddBoolOr([flag] + [b.Not() for b in reached])
        cut_flags.append(flag)
    points = []
    for day in problem.days:
        day_points = []
        for metric in problem.metrics:
            key, cap = (day, metric), problem.max_points[metric]
            q = model.NewIntVar(problem.min_metric[day], cap, f"q_{day}_{metric}")
            raw = problem.base[key] + sum(problem.effects[a.id][key] * x[a.id] for a in problem.actions)
            model.Add(q <= raw)
            for penalty, flag in zip(penalties, cut_flags):
                if penalty.get(key):
                    model.Add(q <= raw - penalty[key] * flag)
            day_points.append(q)
        model.Add(sum(day_points) >= problem.min_total[day])
        points += day_points
    cost = sum(problem.cents[a.id] * x[a.id] for a in problem.actions)
    model.Minimize(cost)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30
    if solver.Solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    model.Add(cost <= round(solver.ObjectiveValue()))
    model.ClearObjective()
    model.Maximize(sum(points))
    if solver.Solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover - feasible above
        return None
    return {a.id: solver.Value(x[a.id]) for a in problem.actions if solver.Value(x[a.id])}


def solve_verified(problem: Problem, verify, max_rounds: int = MAX_ROUNDS):
    """Solve, verify the choice, add the shortfall as a cut and solve again until a choice verifies.

    `verify(counts)` returns the true points per (day, metric) in 1/scale units. Returns (counts,
    verified points, rounds); counts is None when the model has no qualifying choice, and the last
    verified choice is returned unqualified when the rounds run out.
    """
    last = (None, None)
    for round_no in range(1, max_rounds + 1):
        counts = solve(problem)
        if counts is None:
            return None, last[1], round_no
        true = verify(counts)
        if qualifies(problem, true):
            return counts, true, round_no
        problem.cuts.append((dict(counts), true))
        last = (counts, true)
    return last[0], last[1], max_rounds


def qualifies(problem: Problem, points: dict[tuple[date, str], int]) -> bool:
    for day in problem.days:
        day_points = [points[(day, m)] for m in problem.metrics]
        if sum(day_points) < problem.min_total[day] or min(day_points) < problem.min_metric[day]:
            return False
    return True
