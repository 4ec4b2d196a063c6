"""The decision tools' pages: plan, forecast, diff and alerts. Each renders the model its JSON twin
(`routes/decisions.py`) returns, from the same call (`web/decisions.py`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from partnerscore.engine.as_of import out_of_range
from partnerscore.limits import PLAN_CUSTOMERS, plan_horizon
from partnerscore.web import charts, decisions, schemas as s, views
from partnerscore.web.deps import Area, AsOf, CurrentPartner, DbDep, body_day, known_partners
from partnerscore.web.errors import ApiError
from partnerscore.web.pages import _query, render
from partnerscore.web.routes.decisions import Months, Within, check_areas, diff_days

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
ROWS = 50  # entities listed per metric on the diff page (the JSON twin has them all)
RISK_DAY = re.compile(r" at (\d{4}-\d{2}-\d{2})")


def _day(text: str | None, field: str) -> date | None:
    """A date from a form or query field; empty means none (a form sends every field)."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ApiError(422, f"{field}: {text!r} is not a date (YYYY-MM-DD)", code="invalid_request") from None
    if reason := out_of_range(day):
        raise ApiError(422, f"{field}: {reason}", code="invalid_request")
    return day


async def _name(db, partner_id: str) -> str | None:
    return (await known_partners(db))[partner_id].get("name")


# --- plan ---------------------------------------------------------------------------------------

async def _plan_page(request: Request, db, partner_id: str, area: str, day: date, form: dict, result=None):
    packaged = decisions.costs()
    return render(request, "plan.html", {
        "partner_id": partner_id, "name": await _name(db, partner_id), "area": area,
        "title": views.rules(day).areas[area].title, "as_of": day, "form": form, "currency": packaged.currency,
        "costs": [{"action": k, "cost": form["costs"].get(k, v), "note": packaged.notes.get(k, "")}
                  for k, v in packaged.actions.items()],
        "plan": result, "api_url": f"/api/partners/{partner_id}/areas/{area}/plan",
        "customers_limit": PLAN_CUSTOMERS, "horizon": plan_horizon(area, day)})


@router.get("/partners/{partner_id}/areas/{area}/plan")
async def plan_form(request: Request, partner_id: CurrentPartner, area: Area, db: DbDep, day: AsOf,
                    by: str | None = None, keep: bool = False,
                    customers: Annotated[int, Query(ge=PLAN_CUSTOMERS.low, le=PLAN_CUSTOMERS.high)] = 10):
    """The plan form, prefilled from the query (a forecast risk links here with `by` and `keep`)."""
    form = {"by": _day(by, "by"), "keep": keep, "customers": customers, "costs": {}}
    return await _plan_page(request, db, partner_id, area, day, form)


@router.post("/partners/{partner_id}/areas/{area}/plan")
async def plan_run(request: Request, partner_id: CurrentPartner, area: Area, db: DbDep, default_day: AsOf):
    """The form submitted (with its CSRF token): make the plan and show it under the form."""
    fields = await request.form()
    day = body_day(request, _day(fields.get("as_of"), "as_of"))
    try:
        customers = int(fields.get("customers") or 10)
        overrides = {k[5:]: float(v) for k, v in fields.items() if k.startswith("cost.") and v != ""}
    except ValueError as exc:
        raise ApiError(422, f"customers and costs must be numbers: {exc}", code="invalid_request") from None
    form = {"by": _day(fields.get("by"), "by"), "keep": fields.get("keep") == "on",
            "customers": PLAN_CUSTOMERS.check(customers), "costs": overrides}
    packaged = decisions.costs().actions
    changed = {k: v for k, v in overrides.items() if packaged.get(k) != v}
    doc = await run_in_threadpool(decisions.plan, db, partner_id, area, day, by=form["by"], keep=form["keep"],
                                  customers=form["customers"], cost_overrides=changed)
    return await _plan_page(request, db, partner_id, area, day, form, s.PlanPublic.model_validate(doc))


# --- forecast -------------------------------------------------------------------------------------

def risk_links(forecast: s.ForecastPublic) -> list[dict]:
    """Each risk sentence of the forecast with its area, metric and day, for the links to the
    entities behind it (a diff to that day) and to a plan that keeps qualifying through it (when the
    day is within a plan's horizon, `limits.plan_horizon`)."""
    metrics = {a.area: set(a.now.metrics) for a in forecast.areas}
    out = []
    for a in forecast.areas:
        for text in a.risks:
            found = RISK_DAY.search(text)
            first = text.split(" ", 1)[0]
            out.append({"area": a.area, "text": text, "day": found.group(1) if found else None,
                        "metric": first if first in metrics[a.area] else None,
                        "at_risk": not text.startswith("(not at risk)"),
                        "plannable": bool(found) and date.fromisoformat(found.group(1))
                        <= plan_horizon(a.area, forecast.as_of)})
    return out


@router.get("/partners/{partner_id}/forecast")
async def forecast_page(request: Request, partner_id: CurrentPartner, db: DbDep, day: AsOf, months: Months = 6,
                        backtest: bool = False):
    doc = await run_in_threadpool(decisions.forecast, db, partner_id, day, months, backtest)
    forecast = s.ForecastPublic.model_validate(doc)
    risks = risk_links(forecast)
    return render(request, "forecast.html", {
        "f": forecast, "name": await _name(db, partner_id), "as_of": day, "months": months, "backtest": backtest,
        "risks": risks, "risk_cells": {(r["area"], r["metric"], r["day"]) for r in risks if r["at_risk"]},
        "min_metric": {a: r.qualify.min_metric_points for a, r in views.rules(day).areas.items()},
        "chart": charts.forecast_chart(forecast, views.rules(day).areas[forecast.areas[0].area].qualify.min_total),
        "json_url": f"/api/partners/{partner_id}/forecast?{_query(as_of=day, months=months, backtest=backtest or None)}"})


# --- diff ----------------------------------------------------------------------------------------

@router.get("/partners/{partner_id}/diff")
async def diff_page(request: Request, partner_id: CurrentPartner, db: DbDep, day: AsOf,
                    from_: Annotated[str | None, Query(alias="from")] = None, to: str | None = None,
                    area: str | None = None, metric: str | None = None, recorded_on: str | None = None):
    first, last = diff_days(day, _day(from_, "from"), _day(to, "to"))
    areas = check_areas([area] if area else None)
    recorded = _day(recorded_on, "recorded_on")
    doc = await run_in_threadpool(decisions.diff, db, partner_id, first, last, recorded_on=recorded, areas=areas)
    query = _query(**{"as_of": day, "from": first, "to": last, "area": area, "recorded_on": recorded})
    return render(request, "diff.html", {
        "d": s.DiffPublic.model_validate(doc), "name": await _name(db, partner_id), "as_of": day, "area": area,
        "metric": metric, "rows": ROWS, "json_url": f"/api/partners/{partner_id}/diff?{query}"})


# --- alerts --------------------------------------------------------------------------------------

@router.get("/partners/{partner_id}/alerts")
async def alerts_page(request: Request, partner_id: CurrentPartner, db: DbDep, day: AsOf, within: Within = 90):
    doc = await run_in_threadpool(decisions.alerts, db, partner_id, day, within)
    return render(request, "alerts.html", {
        "a": s.AlertsPublic.model_validate(doc), "partner_id": partner_id, "name": await _name(db, partner_id),
        "as_of": day, "json_url": f"/api/partners/{partner_id}/alerts?{_query(as_of=day, within=within)}"})
