"""What the engine worker runs for the web app, beyond the `partnerscore.api` functions it calls as they
are: each a library call on the database file, returning a plain, picklable result.

These run in the worker process (`web/worker.py`); the web side names them as `partnerscore.web.jobs:NAME`.
Nothing here decides anything: the decision tools' documents are the library's own `to_json()`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from partnerscore.decisions.alerts import alerts as find_alerts
from partnerscore.decisions.candidates import Costs
from partnerscore.decisions.diff import diff as explain_diff
from partnerscore.decisions.forecast import (
    TREND_MODEL, backtest as run_backtest, forecast as make_forecast, with_projection,
)
from partnerscore.decisions.plan import plan as make_plan
from partnerscore.engine.as_of import last_reported_month
from partnerscore.engine.connect import Tables, open_duckdb
from partnerscore.engine.months import add_months, month_end, scoring_month
from partnerscore.ingest.quarantine import count_changes, count_quarantine, list_changes, list_quarantine


def ready(db: Path) -> bool:
    """Nothing: answered once the worker has imported the engine (the server waits for it at startup)."""
    return True


def _on(db: Path, call: Callable[[Tables], Any]) -> Any:
    """`call` on the database's tables (read-only), closing the connection afterwards."""
    tables = open_duckdb(db)
    try:
        return call(tables)
    finally:
        tables.backend.disconnect()


def partners(db: Path) -> list[dict]:
    """Every partner row (id, name, role, parent) of the database."""
    rows = _on(db, lambda t: t.partners.order_by("partner_id").to_pyarrow().to_pylist())
    return [{"partner_id": r["partner_id"], "name": r.get("name"), "role": r.get("role"),
             "parent_partner_id": r.get("parent_partner_id")} for r in rows]


def last_usage_month(db: Path) -> date | None:
    """The first day of the latest month with usage, the month of the default day (`engine.as_of`)."""
    return _on(db, last_reported_month)


def quarantine_page(db: Path, import_id: str, limit: int, offset: int) -> tuple[list, int]:
    """One page of an import's rejected rows, and how many there are in all."""
    return list_quarantine(db, import_id, limit=limit, offset=offset), count_quarantine(db, import_id)


def changes_page(db: Path, import_id: str, table: str | None, limit: int, offset: int) -> tuple[list, int]:
    """One page of the rows an import changed (of `table`, or of all), and how many there are in all."""
    return (list_changes(db, import_id, table, limit=limit, offset=offset),
            count_changes(db, import_id, table))


def plan(db: Path, partner: str, area: str, as_of: date, by: date | None, keep: bool, costs: Costs,
         customers: int) -> dict:
    """`partnerscore plan PARTNER AREA`: the cheapest verified actions that make the partner qualify."""
    return _on(db, lambda t: make_plan(t, partner, area, as_of, by=by, keep=keep, costs=costs,
                                       max_customers=customers).to_json())


def forecast(db: Path, partner: str, as_of: date, months: int, backtest: bool) -> dict:
    """`partnerscore forecast PARTNER [--backtest]`: the next month ends' points and the risks."""
    def compute(tables: Tables) -> dict:
        result = make_forecast(tables, partner, as_of, months)
        if backtest:  # the same model run from `months` months earlier, as the command runs it
            result.backtest = run_backtest(tables, partner, month_end(add_months(as_of.replace(day=1), -months)),
                                           months)
        return result.to_json()
    return _on(db, compute)


def diff(db: Path, partner: str, from_day: date, to_day: date, recorded_on: date | None,
         areas: list[str] | None) -> dict:
    """`partnerscore diff PARTNER --from --to`, and `usage_model` set when the later day's usage is projected."""
    def compute(tables: Tables) -> dict:
        last = last_reported_month(tables)
        projected = last is not None and scoring_month(to_day) > last
        seen = with_projection(tables, scoring_month(to_day)) if projected else tables
        result = explain_diff(seen, partner, from_day, to_day, recorded_on=recorded_on, areas=areas)
        return {**result.to_json(), "usage_model": TREND_MODEL if projected else None}
    return _on(db, compute)


def alerts(db: Path, partner: str, as_of: date, within: int) -> dict:
    """`partnerscore alerts PARTNER --within DAYS`: risks worst first, each with its fix."""
    def compute(tables: Tables) -> dict:
        found = [a.to_json() for a in find_alerts(tables, as_of, partner=partner, within=within)]
        return {"as_of": as_of.isoformat(), "within": within, "data": found, "count": len(found)}
    return _on(db, compute)
