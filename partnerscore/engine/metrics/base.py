"""What every metric formula shares: its inputs (`Context`), exact points, and row selection.

A formula takes the `Context` and its `MetricRule` and returns an Ibis table with one row per partner
that has anything to count: `partner_id`, `value` (the metric's raw figure, R14) and `points` as an
exact integer in units of 1/`ctx.scale` point (R6: points are computed exactly; the output rounds).
Optional `detail` columns are ignored by scoring.

Formulas also expose their per-entity `facts` (tenants, pairs, services, people) for `explain`, built
from the same expressions as the value so the explanation cannot drift from the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction

import ibis
import pyarrow as pa

from partnerscore.engine.attribution import COVERED_KEY, MEASURES, since_column
from partnerscore.engine.connect import Tables, materialize_sql, query_arrow, temporary_table
from partnerscore.engine.months import add_months, month_range
from partnerscore.engine.plan import Plan, new_run_id
from partnerscore.ingest.tables import MICROS_PER_DOLLAR
from partnerscore.rules.load import RuleSet
from partnerscore.rules.names import workload_key
from partnerscore.rules.schema import AreaRules, MetricRule


@dataclass
class Context:
    """Everything a formula may read: the tables, the covered usage, the day and the rules."""

    tables: Tables
    day: date
    month: date  # the scoring month M (R1)
    rules: RuleSet
    usage: ibis.Table  # every usage row with its subscription's program and cloud
    covered: ibis.Table  # one row per (partner, covered usage row), see attribution.covered_once
    scale: int
    area: AreaRules | None = None
    partners: tuple[str, ...] | None = None  # score only these partners (None: every partner)
    areas: tuple[str, ...] = ()  # the areas scored
    plan: Plan = field(default_factory=lambda: Plan(new_run_id()))
    _cache: dict = field(default_factory=dict)

    def for_area(self, area: str) -> "Context":
        """The same run seen from one area's rule file (shares caches and temporary tables)."""
        return replace(self, area=self.rules.areas[area])

    def m(self, offset: int = 0) -> date:
        """Month M + offset (offset is usually negative)."""
        return add_months(self.month, offset)

    def ttm(self, end_offset: int = 0) -> list[date]:
        """The twelve months ending at M + end_offset (TTM = M-11 … M; previous TTM = M-23 … M-12)."""
        return month_range(self.m(end_offset - 11), self.m(end_offset))

    def workloads(self, list_name: str) -> list[str]:
        """Canonical keys of a workload list of the current area file."""
        return [workload_key(name) for name in self.area.workload_lists[list_name]]

    def cached(self, key, build):
        """Share one expression between metrics and areas that compute the same thing (R13)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def shared(self, key, build) -> ibis.Table:
        """An intermediate table several metrics read, computed once per run into a temporary table."""
        return self.cached(key, lambda: self.materialize(build()))

    def query(self, expr: ibis.Table) -> pa.Table:
        """Execute `expr` as one of the run's results, recorded in its plan (replayed by `Plan.replay`)."""
        sql, schema = self.tables.backend.compile(expr), expr.schema().to_pyarrow()
        self.plan.finals.append((sql, schema))
        return query_arrow(self.tables.backend, sql).cast(schema)

    def materialize(self, expr: ibis.Table) -> ibis.Table:
        """Compute `expr` once into a temporary table, recorded in the run's plan and dropped at its end.

        Many metrics read the same intermediate tables; computing each once keeps both engines from
        re-running the attribution joins per metric (and keeps Spark's query plans small). An
        expression that compiles to the SQL of a table already made in this run reuses that table:
        metrics that build the same intermediate under different cache keys (e.g. the same covered
        MCV for four Business Applications metrics with different thresholds) compute it once.
        """
        sql = self.tables.backend.compile(expr)
        name = next((n for n, made in self.plan.temporaries if made == sql), None)
        if name is None:
            name = f"ps_{self.plan.run_id}_{len(self.plan.temporaries)}"
            materialize_sql(self.tables.backend, sql, name)
            self.plan.temporaries.append((name, sql))
        return temporary_table(self.tables.backend, name, expr.schema())


def usd(amount: float | int) -> int:
    """A dollar threshold of the rule data in the stored unit (micro-dollars)."""
    return int(Fraction(str(amount)) * MICROS_PER_DOLLAR)


def covers(rows: ibis.Table, groups: list[str]) -> ibis.Value:
    """Whether an association of any of the type `groups` covers a `covered_once` row."""
    return ibis.or_(*[rows[since_column(g)].notnull() for g in groups])


def covered_rows(ctx: Context, counts: list[str], workloads: list[str] | None = None,
                 extra: ibis.Value | None = None, by_type: bool = False) -> ibis.Table:
    """The usage rows covered for each partner by any of the `counts` type groups, each row once (R15).

    With `by_type` a row appears once per type group that covers it, with `type_group` and `since`
    (the first month of a covering association of that group), for metrics that score types separately.
    """
    rows = ctx.covered
    if workloads is not None:
        rows = rows.filter(rows.workload_key.isin(workloads))
    if extra is not None:
        rows = rows.filter(extra)
    if not by_type:
        return rows.filter(covers(rows, counts)).select("partner_id", *COVERED_KEY, *MEASURES)
    return ibis.union(*[
        rows.filter(rows[since_column(g)].notnull()).select(
            "partner_id", *COVERED_KEY, *MEASURES, type_group=ibis.literal(g), since=rows[since_column(g)])
        for g in counts])


def linear_points(units: ibis.Value, rule: MetricRule, scale: int, threshold: int | None = None) -> ibis.Value:
    """`units × per-unit points`, never below 0 nor above the maximum, in 1/scale points (R6)."""
    per_unit = rule.unit_points(threshold) * scale
    assert per_unit.denominator == 1, "scale must clear every per-unit denominator"
    raw = units.clip(lower=0).cast("int64") * int(per_unit)
    return ibis.least(raw, rule.max_points * scale)


def cap(points: ibis.Value, rule: MetricRule, scale: int) -> ibis.Value:
    """Points (in 1/scale) capped at the metric's maximum."""
    return ibis.least(points, rule.max_points * scale)


def floor_div(numerator: ibis.Value, denominator: ibis.Value | int) -> ibis.Value:
    """Whole units of `denominator` in a non-negative `numerator` (0 when negative)."""
    return ibis.ifelse(numerator > 0, (numerator // denominator).cast("int64"), 0)


def share_at_least(part: ibis.Value, whole: ibis.Value, share: str) -> ibis.Value:
    """Whether part ≥ share × whole, tested exactly in integers (e.g. active ≥ 40% of paid)."""
    fraction = Fraction(share)
    return part * fraction.denominator >= whole * fraction.numerator


def join_on(left: ibis.Table, right: ibis.Table, keys: list[str], how: str = "left") -> ibis.Table:
    """Join on same-named key columns and keep each key once (coalesced for an outer join).

    Both sides are taken as views: Ibis refuses predicates between two projections of one parent.
    """
    left, right = left.view(), right.view()
    joined = left.join(right, keys, how=how)
    columns = {k: ibis.coalesce(joined[k], joined[f"{k}_right"]) if how == "outer" else joined[k] for k in keys}
    columns.update({c: joined[c] for c in joined.columns if c not in keys and c.removesuffix("_right") not in keys})
    return joined.select(**columns)


def net_result(ctx: "Context", facts: ibis.Table, rule: MetricRule) -> ibis.Table:
    """A net metric's result from per-entity facts with `now` and `year_ago` flags: now − a year ago."""
    per_partner = facts.group_by("partner_id").aggregate(
        net=facts.now.cast("int64").sum() - facts.year_ago.cast("int64").sum())
    return result(per_partner, per_partner.net, linear_points(per_partner.net, rule, ctx.scale))


def result(table: ibis.Table, value: ibis.Value, points: ibis.Value) -> ibis.Table:
    """The standard result shape of a formula."""
    return table.select(partner_id=table.partner_id.cast("string"), value=value.cast("float64"),
                        points=points.cast("int64"))
