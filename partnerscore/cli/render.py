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
from partnerscore.engine.report import ScoreReport, round_half_up

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


def score_rows(report: ScoreReport) -> list[dict]:
    """One flat row per partner, area and metric (CSV form of a report)."""
    rows = []
    for partner in report.partners:
        for area in partner.areas:
            for metric in area.metrics:
                rows.append({
                    "as_of": report.as_of.isoformat(), "partner_id": partner.partner_id, "area": area.area,
                    "track": area.track, "area_points": round_half_up(area.points), "qualified": area.qualified,
                    "metric": metric.metric, "value": metric.value, "points": round_half_up(metric.points),
                    "max_points": metric.max_points})
    return rows


def scores(report: ScoreReport, fmt: Format) -> None:
    """A score report: the contract's JSON, flat CSV, or one table per partner."""
    if fmt is Format.json:
        write_json(report.to_json())
        return
    if fmt is Format.csv:
        write_rows(score_rows(report), fmt, "scores")
        return
    metric_names = ["net_customer_adds", "intermediate_certifications", "advanced_certifications",
                    "usage_growth", "deployments"]
    short = {"net_customer_adds": "net adds", "intermediate_certifications": "interm.",
             "advanced_certifications": "advanced", "usage_growth": "growth", "deployments": "deploy."}
    for partner in report.partners:
        table = Table(title=f"{partner.partner_id} — PCS as of {report.as_of} (rules {report.rules_version})",
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


def explanation(exp, fmt: Format, limit: int | None = 10) -> None:
    """An area's explanation: verdict, each metric's facts, and the partner's associations."""
    if fmt is Format.json:
        write_json(exp.to_json())
        return
    if fmt is Format.csv:
        rows = [{"metric": m.metric, **fact} for m in exp.metrics for fact in m.facts]
        write_rows(rows, fmt, "facts", ["metric", "entity_kind", "entity", "part", "now", "before",
                                         "contribution", "status"])
        return
    track = f", {exp.track} path" if exp.track else ""
    out.print(f"[bold]{exp.partner_id} · {exp.area}{track} · as of {exp.as_of} (rules {exp.rules_version})[/bold]")
    out.print(f"{exp.points:.2f} points — {exp.verdict}")
    for m in exp.metrics:
        out.print(f"\n[bold]{m.metric}[/bold]: {m.points:g}/{m.max_points} points, value {m.value} · {m.rule}")
        out.print(f"  to gain: {m.to_gain}")
        statuses = Counter(fact["status"] for fact in m.facts)
        for status, count in statuses.most_common():
            out.print(f"  {count:>5} × {status}", markup=False)
        shown = m.facts if limit is None else m.facts[:limit]
        if shown:
            write_rows(shown, Format.table, "", ["entity", "part", "now", "before", "contribution", "status"])
        if len(shown) < len(m.facts):
            out.print(f"  … {len(m.facts) - len(shown)} more (--all shows every row, --format csv exports them)")
    write_rows(exp.associations, Format.table, "\nassociations",
               ["association_id", "type", "tenant_id", "subscription_id", "workload", "start_date", "effective_end",
                "status"])


def whatif(result, fmt: Format) -> None:
    """Before → after per area and metric, changed rows only in the table view."""
    doc = result.to_json()
    rows = [{"area": a["area"], "metric": m["metric"], "before": m["before"], "after": m["after"], "delta": m["delta"],
             "value_before": m["value_before"], "value_after": m["value_after"]}
            for a in doc["areas"] for m in a["metrics"]]
    if fmt is not Format.table:
        write_json(doc) if fmt is Format.json else write_rows(rows, fmt, "what-if")
        return
    out.print(f"[bold]{doc['partner_id']} · what-if as of {doc['as_of']}[/bold] (the stored ledger is unchanged)")
    for area in doc["areas"]:
        change = area["points_after"] - area["points_before"]
        status = {(False, True): "[green]now qualifies[/green]", (True, False): "[red]stops qualifying[/red]"}.get(
            (area["qualified_before"], area["qualified_after"]), "qualified" if area["qualified_after"] else "not qualified")
        out.print(f"{area['area']:<24} {area['points_before']:>6.2f} → {area['points_after']:>6.2f} "
                  f"({change:+.2f})  {status}")
    changed = [r for r in rows if r["delta"]]
    if changed:
        write_rows(changed, Format.table, "metrics that changed",
                   ["area", "metric", "before", "after", "delta", "value_before", "value_after"])
