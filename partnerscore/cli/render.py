"""Presentation of command results: the only module of the CLI that prints.

Tables go through Rich; JSON and CSV are written plainly to stdout so they can be piped; errors and
bad rows go to stderr, one line each.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

from partnerscore.cli.options import Format
from partnerscore.engine.as_of import ScoringDay
from partnerscore.engine.report import ScoreReport, round_half_up
from partnerscore.engine.units import amount
from partnerscore.errors import PartnerscoreError

#: A terminal gets its own width; a pipe or file gets 120 columns so tables stay readable in docs.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False)


def write_json(document) -> None:
    """The document as indented JSON on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")


def write_rows(rows: Sequence[dict], fmt: Format, title: str, columns: Sequence[str] | None = None) -> None:
    """Rows of dicts as a Rich table, JSON list or CSV, with the given column order."""
    columns = list(columns or (rows[0].keys() if rows else []))
    if fmt is Format.json:
        write_json(list(rows))
    elif fmt is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        out.print(table)


def error_lines(lines: Iterable[str]) -> None:
    """One red line per problem on stderr."""
    for line in lines:
        err.print(line, style="red", soft_wrap=True, markup=False)


def warning_lines(lines: Iterable[str]) -> None:
    """One yellow line per warning on stderr."""
    for line in lines:
        err.print(line, style="yellow", soft_wrap=True, markup=False)


def info(line: str) -> None:
    """A status line on stderr (keeps stdout clean for JSON/CSV)."""
    err.print(line, soft_wrap=True, markup=False)


def dated(day: ScoringDay, rules: str | None = None) -> str:
    """A header's words for the day scored and how it was chosen, with the rule version if given:
    `as of 2026-10-31, the last month with usage · rules 2024-07-01`, `as of 2026-12-07 (--as-of)`."""
    return day.describe("--as-of") + (f" · rules {rules}" if rules else "")


def day_warnings(day: ScoringDay) -> None:
    """The day's warnings (months without usage, a ledger without usage), one yellow line each on stderr."""
    warning_lines(f"warning: {w}" for w in day.warnings)


def with_day(doc: dict, day: ScoringDay) -> dict:
    """A JSON document with `as_of_source` and `warnings` right after its `as_of`."""
    out = {}
    for key, value in doc.items():
        out[key] = value
        if key == "as_of":
            out.update(day.to_json())
    return out


def named(partner_id: str, names: dict[str, str] | None) -> dict:
    """`partner_id` and, right after it, the partner's `name` (None when the ledger has no name for it)."""
    return {"partner_id": partner_id, "name": (names or {}).get(partner_id)}


def score_rows(report: ScoreReport, names: dict[str, str] | None = None) -> list[dict]:
    """One flat row per partner, area and metric (CSV and Parquet form of a report), the partner named."""
    rows = []
    for partner in report.partners:
        for area in partner.areas:
            for metric in area.metrics:
                rows.append({
                    "as_of": report.as_of.isoformat(), **named(partner.partner_id, names), "area": area.area,
                    "track": area.track, "area_points": round_half_up(area.points), "qualified": area.qualified,
                    "metric": metric.metric, "value": metric.value, "points": round_half_up(metric.points),
                    "max_points": metric.max_points})
    return rows


def roll_up(report: ScoreReport, fmt: Format, sort: str = "points", names: dict[str, str] | None = None) -> None:
    """One row per partner and area: the partner's name, points, track, qualification and the weakest metric.

    CSV and JSON keep `qualified` a boolean and `points` a number; the table reads like `score`'s
    (yes/no, two decimals). An area whose every metric is at its maximum has no weakest metric.
    """
    rows = []
    for partner in report.partners:
        for area in partner.areas:
            weakest = min(area.metrics, key=lambda m: m.points / m.max_points)
            rows.append({**named(partner.partner_id, names), "area": area.area, "track": area.track,
                         "points": round_half_up(area.points), "qualified": area.qualified,
                         "weakest_metric": None if weakest.points >= weakest.max_points else
                         f"{weakest.metric} {round_half_up(weakest.points):g}/{weakest.max_points}"})
    keys = {"points": lambda r: (-r["points"], r["partner_id"], r["area"]),
            "partner": lambda r: (r["partner_id"], r["area"]), "area": lambda r: (r["area"], -r["points"])}
    if sort not in keys:
        raise PartnerscoreError(f"--sort {sort!r}: choose points, partner or area")
    rows = sorted(rows, key=keys[sort])
    if fmt is Format.table:
        rows = [{**r, "points": f"{r['points']:.2f}", "qualified": "yes" if r["qualified"] else "no",
                 "weakest_metric": r["weakest_metric"] or "—"} for r in rows]
    write_rows(rows, fmt, f"every partner {dated(_report_day(report))}")


def _report_day(report: ScoreReport) -> ScoringDay:
    """How the report's day was chosen (a report scored without a resolved day: named by the caller)."""
    return report.day or ScoringDay(report.as_of, "as_of", None)


def scores(report: ScoreReport, fmt: Format, names: dict[str, str] | None = None) -> None:
    """A score report: the contract's JSON, flat CSV, or one table per partner, each naming the partner.

    JSON is the data contract's document with fields added: `as_of_source` and `warnings` after
    `as_of` (how the day was chosen, what a reader must know about it), `name` after each `partner_id`.
    """
    if fmt is Format.json:
        doc = with_day(report.to_json(), _report_day(report))
        doc["partners"] = [{**named(p["partner_id"], names), **p} for p in doc["partners"]]
        write_json(doc)
        return
    if fmt is Format.csv:
        write_rows(score_rows(report, names), fmt, "scores")
        return
    metric_names = ["net_customer_adds", "intermediate_certifications", "advanced_certifications",
                    "usage_growth", "deployments"]
    short = {"net_customer_adds": "net adds", "intermediate_certifications": "interm.",
             "advanced_certifications": "advanced", "usage_growth": "growth", "deployments": "deploy."}
    # How the day was chosen heads the output once: in each table's title it would wrap a long name.
    out.print(f"PCS {dated(_report_day(report))}", markup=False)
    for partner in report.partners:
        name = (names or {}).get(partner.partner_id)
        label = f"{partner.partner_id} ({name})" if name else partner.partner_id
        table = Table(title=f"{label} — PCS as of {report.as_of} (rules {report.rules_version})",
                      title_justify="left")
        for column in ("area", "track", "points", "qualified", *[short[m] for m in metric_names]):
            table.add_column(column, justify="left" if column in ("area", "track") else "right")
        for area in partner.areas:
            by_name = {m.metric: m for m in area.metrics}
            cells = [f"{round_half_up(by_name[m].points):g}/{by_name[m].max_points}" if m in by_name else "—"
                     for m in metric_names]
            mark = "[green]yes[/green]" if area.qualified else "[red]no[/red]"
            table.add_row(area.area, area.track or "", f"{round_half_up(area.points):.2f}", mark, *cells)
        out.print(table)


def explanation(exp, fmt: Format, day: ScoringDay, limit: int | None = 10) -> None:
    """An area's explanation: verdict, each metric's facts, and the partner's associations."""
    if fmt is Format.json:
        write_json(exp.to_json())
        return
    if fmt is Format.csv:
        rows = [{"metric": m.metric, **fact} for m in exp.metrics for fact in m.facts]
        write_rows(rows, fmt, "facts", ["metric", "entity_kind", "entity", "part", "now", "before",
                                         "contribution", "unit", "status"])
        return
    track = f", {exp.track} path" if exp.track else ""
    out.print(f"[bold]{exp.partner_id} · {exp.area}{track} · {dated(day, exp.rules_version)}[/bold]")
    out.print(f"{exp.points:.2f} points — {exp.verdict}")
    for m in exp.metrics:
        out.print(f"\n[bold]{m.metric}[/bold]: {m.points:g}/{m.max_points} points, value {m.value} · {m.rule}")
        out.print(f"  to gain: {m.to_gain}")
        if m.why_zero:
            out.print(f"  why 0: {m.why_zero}", markup=False)
        statuses = Counter((fact["status"], fact["unit"]) for fact in m.facts)
        for (status, unit), count in statuses.most_common():
            added = sum(f["contribution"] for f in m.facts if (f["status"], f["unit"]) == (status, unit))
            out.print(f"  {count:>5} × {status}" + (f" ({amount(added, unit)})" if added else ""), markup=False)
        shown = m.facts if limit is None else m.facts[:limit]
        if shown:
            write_rows([{**f, "contribution": amount(f["contribution"], f["unit"])} for f in shown], Format.table, "",
                       ["entity", "part", "now", "before", "contribution", "status"])
        if len(shown) < len(m.facts):
            out.print(f"  … {len(m.facts) - len(shown)} more (--all shows every row, --format csv exports them)")
    write_rows(exp.associations, Format.table, "\nassociations",
               ["association_id", "type", "tenant_id", "subscription_id", "workload", "start_date", "effective_end",
                "status"])


def whatif(result, fmt: Format, day: ScoringDay, limit: int | None = 5) -> None:
    """Before → after per area, then each metric that moved with the entities that moved it."""
    doc = with_day(result.to_json(), day)
    rows = [{"area": a["area"], "metric": m["metric"], "before": m["before"], "after": m["after"], "delta": m["delta"],
             "value_before": m["value_before"], "value_after": m["value_after"]}
            for a in doc["areas"] for m in a["metrics"]]
    if fmt is not Format.table:
        write_json(doc) if fmt is Format.json else write_rows(rows, fmt, "what-if")
        return
    out.print(f"[bold]{doc['partner_id']} · what-if {dated(day)}[/bold] (the stored ledger is unchanged)")
    for area in doc["areas"]:
        change = area["points_after"] - area["points_before"]
        status = {(False, True): "[green]now qualifies[/green]", (True, False): "[red]stops qualifying[/red]"}.get(
            (area["qualified_before"], area["qualified_after"]), "qualified" if area["qualified_after"] else "not qualified")
        track = (f", {area['track_before']} → {area['track_after']} path"
                 if area["track_before"] != area["track_after"] else "")
        out.print(f"{area['area']:<24} {area['points_before']:>6.2f} → {area['points_after']:>6.2f} "
                  f"({change:+.2f})  {status}{track}")
    for area in doc["areas"]:
        for m in area["metrics"]:
            if m["delta"] or m["value_before"] != m["value_after"]:
                out.print(f"\n{area['area']} · {m['metric']}: {m['before']:g} → {m['after']:g} ({m['delta']:+g}), "
                          f"value {m['value_before']} → {m['value_after']}", markup=False)
                _movers(m, limit)


def _money(amount: float, currency: str) -> str:
    return f"{currency} {amount:,.0f}" if float(amount).is_integer() else f"{currency} {amount:,.2f}"


def _area_change_rows(before, after) -> list[dict]:
    rows = [{"metric": b.metric, "before": f"{round_half_up(b.points):g}", "after": f"{round_half_up(a.points):g}",
             "max": b.max_points} for b, a in zip(before.metrics, after.metrics)]
    rows.append({"metric": "total", "before": f"{round_half_up(before.points):g}",
                 "after": f"{round_half_up(after.points):g}", "max": 100})
    return rows


def plan(result, fmt: Format, day: ScoringDay) -> None:
    """A plan: the chosen actions with their cost, and the verified score before and after."""
    doc = result.to_json()
    if fmt is Format.json:
        write_json(doc)
        return
    if fmt is Format.csv:
        write_rows(doc["actions"], fmt, "plan", ["action_id", "kind", "count", "cost", "label"])
        return
    days = ", ".join(d.isoformat() for d in result.days)
    out.print(f"[bold]{result.partner_id} · {result.area} · plan {dated(day)} · to qualify on {days}[/bold]")
    if result.usage_model:
        out.print(f"usage after the last reported month is projected: {result.usage_model}")
    n = len(result.candidates)
    cost = _money(result.total_cost, result.currency)
    verdict = {
        "qualified already": "already qualifies: nothing to do",
        "plan": f"cheapest plan: {len(result.steps)} action(s), {cost} — verified by one what-if of all of them "
                f"({n} candidates, {result.rounds} solver round(s))",
        "plan (local search)": f"plan: {len(result.steps)} action(s), {cost} — found by dropping actions from every "
                               f"candidate and re-measuring around the result (the candidates interact too much for "
                               f"the additive model); verified by one what-if of all of them",
        "unreachable": f"no set of the {n} candidate actions qualifies; the best reachable score is with every "
                       f"candidate taken ({cost}):",
        "unverified": f"no plan verified within {result.rounds} solver rounds; the score with every candidate ({cost}):",
    }[result.status]
    out.print(verdict)
    if result.steps:
        write_rows([{"action": s.label, "count": s.count, "cost": _money(s.cost, result.currency)}
                    for s in result.steps], Format.table, "", ["action", "count", "cost"])
    for day in result.days:
        before, after = result.before[day], result.after[day]
        mark = "[green]qualified[/green]" if after.qualified else "[red]not qualified[/red]"
        track = f", {after.track} path" if after.track else ""
        out.print(f"\n{day}: {round_half_up(before.points):g} → {round_half_up(after.points):g} points{track}, {mark}")
        if result.status != "qualified already":
            write_rows(_area_change_rows(before, after), Format.table, "", ["metric", "before", "after", "max"])
        if not after.qualified:
            zero = [m.metric for m in after.metrics if m.points < 1]
            out.print("still short: " + (f"no point in {', '.join(zero)}" if zero else
                                         f"{round_half_up(after.points):g} points, below the minimum total"))


def alerts(found, fmt: Format, title: str, nothing: str = "") -> None:
    """Alerts, worst first: a table, JSON or CSV; `nothing` says what an empty list means."""
    rows = [a.to_json() for a in found]
    if fmt is Format.table:
        counts = Counter(a.severity for a in found)
        summary = (", ".join(f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low") if counts[s])
                   or "none" + (f": {nothing}" if nothing else ""))
        out.print(f"[bold]{title}[/bold]: {summary}")
        style = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "dim"}
        for a in found:
            due = f" (due {a.due})" if a.due else ""
            out.print(f"[{style[a.severity]}]{a.severity:<8}[/] {a.partner_id} · {a.kind}: {a.subject}{due}",
                      soft_wrap=True)
            out.print(f"         {a.message}", markup=False, soft_wrap=True)
            out.print(f"         fix: {a.fix}", markup=False, soft_wrap=True)
        return
    write_rows(rows, fmt, title, ["severity", "partner_id", "kind", "subject", "areas", "due", "message", "fix"])


def diff(result, fmt: Format, limit: int | None = 5) -> None:
    """Explained changes: per area that moved, the points on both days and the entities that moved them,
    each contribution in its unit; the areas that did not move in one line."""
    doc = result.to_json()
    if fmt is Format.json:
        write_json(doc)
        return
    if fmt is Format.csv:
        rows = [{"area": a["area"], "metric": m["metric"], "change": change, **e}
                for a in doc["areas"] for m in a["metrics"] for change in ("entered", "left", "changed")
                for e in m[change]]
        write_rows(rows, fmt, "diff", ["area", "metric", "change", "entity_kind", "entity", "part", "contribution",
                                       "unit", "status"])
        return
    recorded = f", as recorded on {result.recorded_on}" if result.recorded_on else ""
    rules = (f"rules {result.rules_from}" if result.rules_from == result.rules_to
             else f"rules {result.rules_from} → {result.rules_to}")
    out.print(f"[bold]{result.partner_id} · {result.from_day} → {result.to_day}{recorded} ({rules})[/bold]")
    if not result.areas:
        out.print("no change in any area" + (f" ({', '.join(result.unchanged)})" if result.unchanged else ""))
    elif result.unchanged:
        n = len(result.unchanged)
        out.print(f"{n} area{'s' if n != 1 else ''} unchanged: {', '.join(result.unchanged)}")
    for a in result.areas:
        _area_diff(a, limit)


def _area_diff(a, limit: int | None) -> None:
    """One area that moved: its points, the metrics that moved with their entities, the others named."""
    yes = {True: "yes", False: "no"}
    track = f", {a.track_from} → {a.track_to} path" if a.track_from != a.track_to else (
        f", {a.track_to} path" if a.track_to else "")
    out.print(f"\n[bold]{a.area}[/bold]: {a.points_from:g} → {a.points_to:g} points ({a.points_to - a.points_from:+g})"
              f"{track}, qualified {yes[a.qualified_from]} → {yes[a.qualified_to]}")
    for line in a.rule_changes:
        out.print(f"  rule change: {line}", markup=False)
    still = []
    for m in a.metrics:
        if not (m.entered or m.left or m.changed) and m.delta == 0 and m.value_from == m.value_to:
            still.append(m.metric)
            continue
        out.print(f"  {m.metric}: {m.points_from:g} → {m.points_to:g} ({m.delta:+g}), value {m.value_from} → "
                  f"{m.value_to}: {len(m.entered)} entered, {len(m.left)} left, {len(m.changed)} changed",
                  markup=False)
        _movers({change: getattr(m, change) for change in ("entered", "left", "changed")}, limit)
    if still:
        out.print(f"  unchanged: {', '.join(still)}", markup=False)


def _movers(moved: dict[str, list[dict]], limit: int | None) -> None:
    """The entities that entered, left or changed a metric, `limit` of each (None: all)."""
    for change in ("entered", "left", "changed"):
        rows = moved.get(change) or []
        for e in rows if limit is None else rows[:limit]:
            part = f" [{e['part']}]" if e["part"] else ""
            out.print(f"    {change:<7} {e['entity_kind']} {e['entity']}{part} {amount(e['contribution'], e.get('unit'))}: "
                      f"{e['status']}", markup=False)
        if limit is not None and len(rows) > limit:
            out.print(f"    … {len(rows) - limit} more {change} (--all shows every one)")


def forecast(result, fmt: Format, day: ScoringDay) -> None:
    """Projected points per area (and metric) at each month end, with the risks flagged."""
    doc = result.to_json()
    if fmt is Format.json:
        write_json(doc)
        return
    rows = [{"area": a.area, "day": m.day.isoformat(), "points": m.points, "qualified": m.qualified, "track": m.track,
             **m.metrics} for a in result.areas for m in [a.now, *a.months]]
    if fmt is Format.csv:
        write_rows(rows, fmt, "forecast")
        return
    reported = f"usage reported through {result.last_reported:%Y-%m}" if result.last_reported else "no usage reported"
    out.print(f"[bold]{result.partner_id} · forecast {dated(day)}[/bold] ({reported}; after that {result.model})")
    table = Table(title="points per area (✓ qualified)", title_justify="left")
    table.add_column("area")
    for m in [result.areas[0].now, *result.areas[0].months]:
        table.add_column(m.day.isoformat(), justify="right")
    for a in result.areas:
        table.add_row(a.area, *[f"{m.points:g}{' ✓' if m.qualified else ''}" for m in [a.now, *a.months]])
    out.print(table)
    for line in result.summary:
        out.print(line, markup=False, soft_wrap=True)
    risks = [(a.area, r) for a in result.areas for r in a.risks]
    if risks:
        out.print("at risk:")
    for area, risk in risks:
        out.print(f"  [red]{area}[/red]: {risk}", soft_wrap=True)
    if result.backtest:
        out.print("backtest (the same model run from an earlier day, mean absolute error in points): "
                  + ", ".join(f"{a} {e:g}" for a, e in result.backtest.items()))
