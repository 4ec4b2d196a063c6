"""The decision tools' JSON endpoints: plan, forecast, diff and alerts of one partner (nothing is written)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from partnerscore.engine.months import add_months, month_end
from partnerscore.limits import ALERT_DAYS, FORECAST_MONTHS, check_projected_day
from partnerscore.rules.schema import AREAS
from partnerscore.web import decisions, schemas as s
from partnerscore.web.deps import Area, AsOf, CurrentPartner, CurrentUser, DbDep, body_day
from partnerscore.web.errors import ApiError
from partnerscore.web.routes import ERRORS

router = APIRouter(prefix="/api", tags=["decisions"], responses=ERRORS)

Months = Annotated[int, Query(ge=FORECAST_MONTHS.low, le=FORECAST_MONTHS.high, description="Month ends to project.")]
Within = Annotated[int, Query(ge=ALERT_DAYS.low, le=ALERT_DAYS.high, description="Days to look ahead.")]


def previous_month_end(day: date) -> date:
    """The last month end before `day` (a diff's default earlier day)."""
    return month_end(add_months(day.replace(day=1), -1))


def diff_days(day: date, from_day: date | None, to_day: date | None) -> tuple[date, date]:
    """A diff's two days: `to` defaults to the as-of day, `from` to the month end before `to`; a `to`
    whose usage would be projected past a forecast's reach is refused (`limits.check_projected_day`)."""
    to_day = to_day or day
    from_day = from_day or previous_month_end(to_day)
    if to_day < from_day:
        raise ApiError(422, f"to {to_day} is before from {from_day}; swap the days")
    check_projected_day(to_day, day, "to")
    return from_day, to_day


def check_areas(areas: list[str] | None) -> list[str] | None:
    unknown = [a for a in areas or [] if a not in AREAS]
    if unknown:
        raise ApiError(404, f"unknown area {unknown[0]!r}; choose one of {', '.join(AREAS)}")
    return areas or None


@router.get("/plan-costs", response_model=s.CostsPublic)
async def read_plan_costs(user: CurrentUser):
    """The packaged cost of each kind of action a plan chooses among; a plan request may override any of them."""
    packaged = decisions.costs()
    data = [{"action": k, "cost": v, "note": packaged.notes.get(k, "")} for k, v in packaged.actions.items()]
    return {"currency": packaged.currency, "data": data, "count": len(data)}


@router.post("/partners/{partner_id}/areas/{area}/plan", response_model=s.PlanPublic)
async def make_plan(http: Request, partner_id: CurrentPartner, area: Area, request: s.PlanRequest, db: DbDep,
                    default_day: AsOf):
    """The cheapest set of actions (associations, renewals, certifications) that makes the partner qualify.

    Each candidate's effect is measured by what-if replay, OR-Tools CP-SAT chooses the cheapest
    combination, and the choice is verified by one what-if of all of it (`partnerscore plan`). Slow
    the first time (tens of seconds); the result is cached per database state and request.
    """
    return await run_in_threadpool(decisions.plan, db, partner_id, area, body_day(http, request.as_of),
                                   by=request.by, keep=request.keep, customers=request.customers,
                                   cost_overrides=request.costs)


@router.get("/partners/{partner_id}/forecast", response_model=s.ForecastPublic)
async def read_forecast(partner_id: CurrentPartner, db: DbDep, day: AsOf, months: Months = 6,
                        backtest: Annotated[bool, Query(description="Also score the model against history.")] = False):
    """Projected points per area and metric at the next month ends, and the areas and metrics at risk.

    The ledger's end dates and expiries count as recorded; usage after the last reported month
    follows the stated trend model (`partnerscore forecast`). One scoring per month end.
    """
    return await run_in_threadpool(decisions.forecast, db, partner_id, day, months, backtest)


@router.get("/partners/{partner_id}/diff", response_model=s.DiffPublic)
async def read_diff(partner_id: CurrentPartner, db: DbDep, day: AsOf,
                    from_day: Annotated[date | None, Query(alias="from", description="The earlier day; default the month end before `to`.")] = None,
                    to_day: Annotated[date | None, Query(alias="to", description="The later day; default the as-of day.")] = None,
                    recorded_on: Annotated[date | None, Query(description="Only association rows imported by then.")] = None,
                    area: Annotated[list[str] | None, Query(description="Only these areas.")] = None):
    """Why the score moved between two days: per area and metric, the entities that entered or left,
    and the rule-version change if one happened (`partnerscore diff`). A later day in a month not
    reported yet uses projected usage (`usage_model` says how), which shows who is behind a forecast risk.
    """
    first, last = diff_days(day, from_day, to_day)
    return await run_in_threadpool(decisions.diff, db, partner_id, first, last, recorded_on=recorded_on,
                                   areas=check_areas(area))


@router.get("/partners/{partner_id}/alerts", response_model=s.AlertsPublic)
async def read_alerts(partner_id: CurrentPartner, db: DbDep, day: AsOf, within: Within = 90):
    """Association-loss and score risks within the horizon, worst first, each with its fix (`partnerscore alerts`)."""
    return await run_in_threadpool(decisions.alerts, db, partner_id, day, within)
