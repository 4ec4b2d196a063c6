"""The decision tools for the web: plan, forecast, diff and alerts, each a call of the library function
the command of the same name makes (`partnerscore.decisions`), cached per database state.

Nothing here decides anything: the documents are the library's own `to_json()`. The one composition
is a diff to a day whose month is not reported yet (a forecast's risk): its usage is projected with
the forecast's trend model (`decisions.forecast.with_projection`) before the library's `diff` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from partnerscore.decisions.alerts import alerts as find_alerts
from partnerscore.decisions.candidates import Costs, load_costs
from partnerscore.decisions.diff import diff as explain_diff
from partnerscore.decisions.forecast import (
    TREND_MODEL, backtest as run_backtest, forecast as make_forecast, last_reported_month, with_projection,
)
from partnerscore.decisions.plan import plan as make_plan
from partnerscore.engine.connect import Tables, open_duckdb
from partnerscore.engine.months import add_months, month_end, scoring_month
from partnerscore.limits import PLAN_CUSTOMERS, check_plan_by
from partnerscore.web.data import DataService
from partnerscore.web.errors import ApiError


def _on(db: DataService, call: Callable[[Tables], Any]) -> Any:
    """`call` on the database's tables (read-only), closing the connection afterwards."""
    tables = open_duckdb(db.db)
    try:
        return call(tables)
    finally:
        tables.backend.disconnect()


def costs(overrides: dict[str, float] | None = None) -> Costs:
    """The packaged costs, with `overrides` (action key → cost ≥ 0) replacing some of them."""
    packaged = load_costs()
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(packaged.actions))
    if unknown:
        raise ApiError(422, f"costs: unknown action {', '.join(unknown)}; the cost file knows "
                       f"{', '.join(sorted(packaged.actions))}", details={"unknown": unknown})
    negative = sorted(k for k, v in overrides.items() if v < 0)
    if negative:
        raise ApiError(422, f"costs: {', '.join(negative)} must be a number ≥ 0", details={"negative": negative})
    return Costs(packaged.currency, {**packaged.actions, **overrides}, packaged.notes)


def plan(db: DataService, partner: str, area: str, as_of: date, *, by: date | None = None, keep: bool = False,
         customers: int = 10, cost_overrides: dict[str, float] | None = None) -> dict:
    """`partnerscore plan PARTNER AREA`: the cheapest verified actions that make the partner qualify."""
    PLAN_CUSTOMERS.check(customers)
    check_plan_by(area, as_of, by)
    chosen = costs(cost_overrides)
    key = (partner, area, as_of, by, keep, customers, tuple(sorted(chosen.actions.items())))
    return db.cached("plan", key, lambda: _on(db, lambda t: make_plan(
        t, partner, area, as_of, by=by, keep=keep, costs=chosen, max_customers=customers).to_json()))


def forecast(db: DataService, partner: str, as_of: date, months: int = 6, backtest: bool = False) -> dict:
    """`partnerscore forecast PARTNER [--backtest]`: the next month ends' points and the risks."""
    def compute(tables: Tables) -> dict:
        result = make_forecast(tables, partner, as_of, months)
        if backtest:  # the same model run from `months` months earlier, as the command runs it
            result.backtest = run_backtest(tables, partner, month_end(add_months(as_of.replace(day=1), -months)),
                                           months)
        return result.to_json()
    return db.cached("forecast", (partner, as_of, months, backtest), lambda: _on(db, compute))


def diff(db: DataService, partner: str, from_day: date, to_day: date, *, recorded_on: date | None = None,
         areas: list[str] | None = None) -> dict:
    """`partnerscore diff PARTNER --from --to`, and `usage_model` set when the later day's usage is projected."""
    def compute(tables: Tables) -> dict:
        last = last_reported_month(tables)
        projected = last is not None and scoring_month(to_day) > last
        seen = with_projection(tables, scoring_month(to_day)) if projected else tables
        result = explain_diff(seen, partner, from_day, to_day, recorded_on=recorded_on, areas=areas)
        return {**result.to_json(), "usage_model": TREND_MODEL if projected else None}
    key = (partner, from_day, to_day, recorded_on, tuple(areas) if areas else None)
    return db.cached("diff", key, lambda: _on(db, compute))


def alerts(db: DataService, partner: str, as_of: date, within: int = 90) -> dict:
    """`partnerscore alerts PARTNER --within DAYS`: risks worst first, each with its fix."""
    def compute(tables: Tables) -> dict:
        found = [a.to_json() for a in find_alerts(tables, as_of, partner=partner, within=within)]
        return {"as_of": as_of.isoformat(), "within": within, "data": found, "count": len(found)}
    return db.cached("alerts", (partner, as_of, within), lambda: _on(db, compute))
