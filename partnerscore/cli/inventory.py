"""`partnerscore associations`: a partner's association inventory with the points each carries.

Example:
    partnerscore associations 4650606 --db demo.duckdb --at 2026-10-31
    partnerscore associations 4650606 --db demo.duckdb --at 2026-10-31 --replays 0 --format csv
"""

from __future__ import annotations

from collections.abc import Iterable
from os.path import commonprefix
from typing import Annotated

import typer
from rich.table import Table

from partnerscore.cli import render
from partnerscore.cli.app import command
from partnerscore.cli.options import DbOption, Format, FormatOption, as_of_day, default_db
from partnerscore.engine.as_of import ScoringDay
from partnerscore.engine.connect import open_duckdb
from partnerscore.ledger.inventory import DEFAULT_REPLAYS, INVENTORY_COLUMNS, Inventory, inventory
from partnerscore.limits import INVENTORY_REPLAYS

#: Statuses whose reason the word alone does not give (who took over, which rule it breaks, the PoE state).
STATUS_WITH_REASON = ("taken over", "ineligible", "pending proof of execution")

AtOption = Annotated[str | None, typer.Option("--at", "--as-of", help=(
    "The day (YYYY-MM-DD); default the last day of the latest month the ledger holds usage for."))]


def _flat(row: dict) -> dict:
    """One CSV/table row: lists joined, per-area points as `area +points`."""
    return {**row, "feeds": ", ".join(row["feeds"]), "shared": "; ".join(row["shared"]),
            "points_by_area": ", ".join(f"{a} {p:+g}" for a, p in row["points_by_area"].items())}


def _areas(feeds: list[str]) -> str:
    """The areas an association feeds (the table's short form of `feeds`)."""
    return ", ".join(dict.fromkeys(f.split(".")[0] for f in feeds))


def _is_m365(row: dict) -> bool:
    """Whether the subscription is the tenant's Microsoft 365 stand-in (`<tenant>:m365`, partner-center.md)."""
    return row["subscription_id"] == f"{row['tenant_id']}:m365"


def shortest_prefixes(ids: Iterable[str], at_least: int = 8) -> dict[str, str]:
    """Each ID cut to the shortest prefix that no other of `ids` starts with (never under `at_least`).

    In sorted order an ID shares its longest common prefix with a neighbour, so one more character
    than that tells it apart from all of them.
    """
    ordered = sorted(set(ids))
    cut = {}
    for i, this in enumerate(ordered):
        shared = max((len(commonprefix([this, other])) for other in ordered[max(i - 1, 0):i + 2] if other != this),
                     default=0)
        cut[this] = this[:max(at_least, shared + 1)]
    return cut


def scope_texts(rows: list[dict]) -> list[str]:
    """Each row's scope: tenant, subscription and workload, one a line, each ID cut to the shortest
    prefix unique among the rows' IDs. The Microsoft 365 stand-in subscription reads as such."""
    tenants = shortest_prefixes(r["tenant_id"] for r in rows)
    subscriptions = shortest_prefixes(r["subscription_id"] for r in rows if r["subscription_id"] and not _is_m365(r))
    texts = []
    for row in rows:
        parts = [f"tenant {tenants[row['tenant_id']]}"]
        if _is_m365(row):
            parts.append("M365 of the tenant")
        elif row["subscription_id"]:
            parts.append(f"sub {subscriptions[row['subscription_id']]}")
        if row["workload"]:
            parts.append(row["workload"])
        texts.append("\n".join(parts))
    return texts


def _table(result: Inventory, day: ScoringDay, limit: int | None) -> None:
    rows = sorted((r.to_json() for r in result.rows),
                  key=lambda r: (not r["points"], r["points"] == 0, -abs(r["points"] or 0), r["association_id"]))
    table = Table(title=f"{result.partner_id} · associations {render.dated(day, result.rules_version)} · "
                        f"{result.total_points:g} points in the six areas · {result.replayed} replayed, "
                        f"{result.not_replayed} over the replay budget", title_justify="left")
    # The association ID is never cut, so it can be copied; a long scope ID folds onto more lines rather
    # than losing the characters that tell it apart.
    table.add_column("association", no_wrap=True)
    for column in ("type", "scope", "status", "feeds areas", "points", "why", "shared"):
        table.add_column(column, justify="right" if column == "points" else "left",
                         overflow="fold" if column == "scope" else "ellipsis")
    shown = rows[:limit]
    for r, scope in zip(shown, scope_texts(shown)):
        points = "—" if r["points"] is None else f"{r['points']:g}"
        why = r["why_points"] if not r["points_by_area"] else _flat(r)["points_by_area"]
        status = r["status"] + (f" ({r['reason']})" if r["status"] in STATUS_WITH_REASON else "")
        table.add_row(r["association_id"], r["type"] + (" (Tier 1)" if r["credited_as"] != "partner" else ""),
                      scope, status, _areas(r["feeds"]), points, why, _flat(r)["shared"])
    render.out.print(table)
    if limit is not None and len(rows) > limit:
        render.info(f"… {len(rows) - limit} more; --all lists every association")


@command("associations")
def associations(
    partner: Annotated[str, typer.Argument(help="Partner ID.")],
    db: DbOption = None,
    at: AtOption = None,
    replays: Annotated[int, typer.Option(
        help=f"Replay at most this many candidate associations (about a second each; {INVENTORY_REPLAYS.span}); "
             "0 replays none.")] = DEFAULT_REPLAYS,
    every: Annotated[bool, typer.Option("--replay-all", help="Replay every candidate (slow on big ledgers).")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="List every association in the table.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Every association of a partner: mechanism, scope, status, what it feeds, who else is on the same
    scope, and the points it carries (the score without it, by replay).

    Example:
        partnerscore associations 4650606 --db demo.duckdb --at 2026-10-31
    """
    INVENTORY_REPLAYS.check(replays, "--replays")
    tables = open_duckdb(db or default_db())
    day = as_of_day(at, tables, "--at")
    render.day_warnings(day)
    result = inventory(tables, partner, day.day, replays=None if every else replays)
    if fmt is Format.json:
        render.write_json(result.to_json())
    elif fmt is Format.csv:
        render.write_rows([_flat(r.to_json()) for r in result.rows], fmt, "associations", INVENTORY_COLUMNS)
    else:
        _table(result, day, None if show_all else 25)
