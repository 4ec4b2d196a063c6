"""Scoring: every metric of every area and path, the path that counts, totals and qualification.

`score_expression` builds one Ibis expression with a row per (partner, area, metric) of the path that
counts, holding the metric's value and exact points (in 1/scale point) and the area's total and
qualification (R6, R7, R8). `score` executes it and returns a `ScoreReport`. Nothing here knows the
backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date

import ibis
from ibis import _

from partnerscore.engine.attribution import covered_once, mark_shared, tenants_usage, usage_with_subscription
from partnerscore.ledger.associations import Ledger, crediting, ledger_as_of, touching
from partnerscore.engine.connect import TABLE_NAMES, Tables, drop_materialized
from partnerscore.engine.keys import keyed
from partnerscore.engine.metrics import CLASSIFIERS, FORMULAS, PERCENT_FORMULAS
from partnerscore.engine.metrics.base import Context
from partnerscore.engine.plan import PLANS, stand_ins
from partnerscore.engine.months import scoring_month
from partnerscore.engine.report import ScoreReport, build_report
from partnerscore.errors import PartnerscoreError
from partnerscore.rules.load import RuleSet, rules_at
from partnerscore.rules.schema import AREAS


#: A run for at most this many partners first copies their tenants' usage into a table of its own
#: (`attribution.tenants_usage`), read by the attribution and the metrics in place of the usage table:
#: one scan of the usage table instead of one per reader. For many partners the copy grows with them
#: (a batch of all 679 partners at 10M usage rows: 7.5 s -> 9.0 s and 1.2 GB more); see performance.md.
FEW_PARTNERS = 50


@contextmanager
def scoring_context(tables: Tables, day: date, rules: RuleSet, recorded_on: date | None = None,
                    partners: list[str] | None = None, areas: list[str] | None = None) -> Iterator[Context]:
    """Everything the formulas read for scoring as of `day` (for every partner, or only `partners`;
    in every area, or only `areas`).

    The covered usage and each metric's result are computed once into temporary tables (dropped on
    exit): metrics share them, and each engine runs many small queries instead of one huge plan.
    Limiting to some partners narrows the ledger to what bears on their credit (their associations
    and any other on the subscriptions these name, for DPOR takeovers), so only their usage is attributed;
    for a few (`FEW_PARTNERS`), the usage table is read once, for their tenants.
    """
    month = scoring_month(day)
    ctx = Context(tables=tables, day=day, month=month, rules=rules, usage=usage_with_subscription(tables, month),
                  covered=None, scale=rules.points_scale, partners=tuple(partners) if partners else None,
                  areas=tuple(areas) if areas else tuple(AREAS))
    try:
        # Each stage is computed once: Spark would otherwise inline the ledger into every join of the
        # attribution and its analyser runs out of memory on the resulting plan.
        if ctx.partners and len(ctx.partners) <= FEW_PARTNERS:
            # The associations that bear on them, then apart their tenants' usage and their ledger.
            near = ctx.materialize(touching(tables.associations, ctx.partners))
            ctx.tables = replace(tables, usage=ctx.materialize(tenants_usage(tables, near)))
            ctx.usage = usage_with_subscription(ctx.tables, month)
            ledger = ledger_as_of(replace(tables, associations=near), rules, day, recorded_on)
        else:
            ledger = ledger_as_of(tables, rules, day, recorded_on, ctx.partners)
        holding = ctx.materialize(ledger.holding)
        credits = crediting(holding, rules.associations)
        if ctx.partners:
            credits = credits.filter(credits.partner_id.isin(ctx.partners))
        credits = ctx.materialize(mark_shared(credits, tables.subscriptions))
        ctx.covered = ctx.materialize(covered_once(ctx.tables, Ledger(holding, credits), month,
                                                   rules.associations.type_groups.values(),
                                                   scan_once=bool(ctx.partners)))
        yield ctx
    finally:
        for name, _sql in ctx.plan.temporaries:
            drop_materialized(tables.backend, name)


def _complete(ctx: Context, result: ibis.Table, percent: bool) -> ibis.Table:
    """A formula's result with a row for every partner: 0 points, and value 0 (null for percentages)."""
    partners = ctx.tables.partners.select("partner_id")
    if ctx.partners:
        partners = partners.filter(partners.partner_id.isin(ctx.partners))
    joined = partners.left_join(result, "partner_id")
    value = joined.value if percent else joined.value.fill_null(0.0)
    return joined.select(partners.partner_id, value=value, points=joined.points.fill_null(0))


def _metric_results(ctx: Context) -> ibis.Table:
    """Every formula's result for every partner, labelled with its area, path, metric and order."""
    parts = []
    for area_order, area in enumerate(AREAS):
        if area not in ctx.areas:
            continue
        area_ctx = ctx.for_area(area)
        for path_order, (path, metrics) in enumerate(area_ctx.area.paths.items()):
            for metric_order, (metric, rule) in enumerate(metrics.items()):
                key = ("result", rule.formula, path, rule.model_dump_json(exclude={"source"}),
                       repr(area_ctx.area.workload_lists), repr(area_ctx.area.certification_lists)
                       if "certif" in rule.formula else "")
                res = ctx.cached(key, lambda: ctx.materialize(_complete(
                    ctx, FORMULAS[rule.formula](area_ctx, rule), rule.formula in PERCENT_FORMULAS)))
                parts.append(res.mutate(
                    area=ibis.literal(area), path=ibis.literal(path), metric=ibis.literal(metric),
                    max_points=ibis.literal(rule.max_points), area_order=ibis.literal(area_order),
                    path_order=ibis.literal(path_order), metric_order=ibis.literal(metric_order)))
    return ibis.union(*parts)


def _chosen_paths(ctx: Context, totals: ibis.Table) -> ibis.Table:
    """The path that counts per (partner, area): classified, or the best total with ties to the first path."""
    chosen = []
    for area in ctx.areas:
        selection = ctx.rules.areas[area].path_selection
        of_area = totals.filter(totals.area == area)
        if selection.method in CLASSIFIERS:
            classify, default = CLASSIFIERS[selection.method]
            area_ctx = ctx.for_area(area)
            paths = ctx.cached(("path", selection.method, selection.model_dump_json()),
                               lambda: ctx.materialize(classify(area_ctx, selection.params)))
            paths = paths.rename(c_partner="partner_id", c_path="path")
            of_area = of_area.left_join(paths, of_area.partner_id == paths.c_partner)
            of_area = of_area.filter(of_area.path == of_area.c_path.fill_null(default)).drop("c_partner", "c_path")
        else:
            window = ibis.window(group_by="partner_id", order_by=[ibis.desc("total"), "path_order"])
            of_area = of_area.mutate(rank=ibis.row_number().over(window)).filter(_.rank == 0).drop("rank")
        chosen.append(of_area)
    return ibis.union(*chosen)


def score_expression(ctx: Context) -> ibis.Table:
    """One row per (partner, area, metric) of the counting path, with area total and qualification."""
    # Materialised: every area's path choice reads them, and Spark would otherwise inline the union of
    # every metric into each of those reads (its analyser runs out of memory on that plan).
    metrics = ctx.materialize(_metric_results(ctx))
    totals = ctx.materialize(metrics.group_by("partner_id", "area", "path", "area_order", "path_order").aggregate(
        total=_.points.sum(), weakest=_.points.min()))
    chosen = _chosen_paths(ctx, totals)
    qualify = ibis.cases(*[
        (chosen.area == area, (chosen.total >= r.qualify.min_total * ctx.scale)
         & (chosen.weakest >= r.qualify.min_metric_points * ctx.scale))
        for area, r in ctx.rules.areas.items()], else_=False)
    chosen = chosen.select("partner_id", "area", "path", total=chosen.total.cast("int64"), qualified=qualify)
    final = metrics.join(chosen, ["partner_id", "area", "path"])
    return final.order_by("partner_id", "area_order", "metric_order")


def plan_key(tables: Tables, day: date, rules: RuleSet, recorded_on: date | None, partners: list[str] | None,
             areas: list[str] | None) -> tuple:
    """What a plan's SQL depends on: backend, table names and types, whether IDs have keys and keys
    names (explanations are compiled on keys then, `keys.for_facts`), rules, day, the number of partners
    (a plan is compiled for stand-ins, `plan.stand_ins`), areas."""
    sources = tuple((getattr(tables, name).get_name(), repr(getattr(tables, name).schema())) for name in TABLE_NAMES)
    return (tables.backend.name, tables.backend.version, sources, tables.keyed, tables.tenant_keys is not None,
            rules.fingerprint, day, recorded_on, len(partners or ()), tuple(areas or ()))


def score(tables: Tables, day: date, *, rules: RuleSet | None = None, recorded_on: date | None = None,
          partners: list[str] | None = None, areas: list[str] | None = None,
          batch: int | None = None) -> ScoreReport:
    """Score every partner (or the listed ones) in all six areas (or the listed ones) as of `day`.

    The first run for a (rules, day, number of partners, backend) builds the Ibis expressions and
    records the SQL they compile to; later runs, for these partners or others, replay it
    (`engine/plan.py`). A store that keys its IDs is scored on the keys (`engine/keys.py`). A run for
    some partners executes its independent statements side by side when it can (`Plan.replay`).

    With `batch`, the partners are scored `batch` at a time, one statement after another (two side
    by side would hold twice the memory): a partner's score reads only the associations that bear on
    it and the usage of their tenants, so each run holds a slice of the covered usage and memory
    stays bounded however large the ledger grows (batches of one size share one plan).
    """
    rules = rules or rules_at(day)
    unknown = sorted(set(areas or ()) - set(AREAS))
    if unknown:
        raise PartnerscoreError(f"unknown area(s) {', '.join(unknown)}; the areas are {', '.join(AREAS)}")
    if batch:
        everyone = partners or tables.partners.select("partner_id").order_by("partner_id").to_pyarrow()
        ids = sorted(everyone) if partners else everyone.column("partner_id").to_pylist()
        reports = [_run(tables, day, rules, recorded_on, ids[i:i + batch], areas, side_by_side=False)
                   for i in range(0, len(ids), batch)]
        return ScoreReport(day, rules.version, [p for r in reports for p in r.partners])
    return _run(tables, day, rules, recorded_on, partners, areas, side_by_side=tables.shared and bool(partners))


def _run(tables: Tables, day: date, rules: RuleSet, recorded_on: date | None, partners: list[str] | None,
         areas: list[str] | None, *, side_by_side: bool) -> ScoreReport:
    """One run of `score`: replay the plan of its key, compiling it first if no run recorded it."""
    key = plan_key(tables, day, rules, recorded_on, partners, areas)
    plan, result = PLANS.get(key), None
    if plan is None:
        # Some partners' plan is compiled for stand-ins (whose run scores nobody), then replayed for them.
        asked = stand_ins(len(partners)) if partners else None
        with scoring_context(keyed(tables), day, rules, recorded_on, asked, areas) as ctx:
            expression = score_expression(ctx)
            if asked:
                expression = expression.filter(_.partner_id.isin(asked))
            result = ctx.query(expression)
        plan = ctx.plan
        PLANS.put(key, plan)
    if result is None or partners:
        (result,) = plan.replay(tables.backend, partners or (), side_by_side=side_by_side)
    return build_report(result.to_pylist(), day=day, rules=rules)
