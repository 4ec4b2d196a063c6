"""The decision tools for the web: plan, forecast, diff and alerts, each a call of the library function
the command of the same name makes (`partnerscore.decisions`), cached per database state.

Nothing here decides anything: the documents are the library's own `to_json()`, computed in the engine
worker (`web/jobs.py`). Here the request's parameters are checked against the limits the command line
applies (`partnerscore.limits`) before any work starts.
"""

from __future__ import annotations

from datetime import date

from partnerscore.decisions.candidates import Costs, load_costs
from partnerscore.limits import PLAN_CUSTOMERS, check_plan_by
from partnerscore.web.data import DataService
from partnerscore.web.errors import ApiError


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
    key = (partner, area, as_of, by, keep, customers, chosen.currency, tuple(sorted(chosen.actions.items())))
    return db.decision("plan", (partner, area, as_of, by, keep, chosen, customers), key)


def forecast(db: DataService, partner: str, as_of: date, months: int = 6, backtest: bool = False) -> dict:
    """`partnerscore forecast PARTNER [--backtest]`: the next month ends' points and the risks."""
    return db.decision("forecast", (partner, as_of, months, backtest))


def diff(db: DataService, partner: str, from_day: date, to_day: date, *, recorded_on: date | None = None,
         areas: list[str] | None = None) -> dict:
    """`partnerscore diff PARTNER --from --to`, and `usage_model` set when the later day's usage is projected."""
    return db.decision("diff", (partner, from_day, to_day, recorded_on, tuple(areas) if areas else None))


def alerts(db: DataService, partner: str, as_of: date, within: int = 90) -> dict:
    """`partnerscore alerts PARTNER --within DAYS`: risks worst first, each with its fix."""
    return db.decision("alerts", (partner, as_of, within))
