"""Scores as of a day: every visible partner, one partner's six areas, one area and its trend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from partnerscore.limits import TREND_MONTHS
from partnerscore.web import schemas as s, views
from partnerscore.web.deps import Area, AsOf, CurrentPartner, CurrentUser, DbDep, check_partner_filter
from partnerscore.web.routes import ERRORS

router = APIRouter(prefix="/api", tags=["scores"], responses=ERRORS)


def scores_json(db: DbDep, day, partners: frozenset[str] | None) -> bytes:
    names = {r["partner_id"]: r for r in db.partners()}
    return views.scores(db.score(day, partners), names).model_dump_json().encode()


@router.get("/scores", response_model=s.ScoresPublic)
async def list_scores(db: DbDep, user: CurrentUser, day: AsOf,
                      partner: Annotated[list[str] | None, Query(description="Only these partners.")] = None):
    """Every visible partner's six areas as of a day (the serialized result is cached per database state)."""
    for p in partner or []:
        check_partner_filter(user, p)
    partners = frozenset(partner) if partner else user.partners
    body = await db.acached("scores_json", (day, partners), lambda: scores_json(db, day, partners))
    return Response(body, media_type="application/json")


@router.get("/partners/{partner_id}/scores", response_model=s.ScorePublic)
async def read_partner_scores(partner_id: CurrentPartner, db: DbDep, day: AsOf):
    """One partner's six areas: points against the qualifying line, each metric against its maximum."""
    def compute() -> bytes:
        names = {r["partner_id"]: r for r in db.partners()}
        report = db.score(day, frozenset([partner_id]))
        return views.score(views.partner_report(db, partner_id, day), report, names).model_dump_json().encode()
    body = await db.acached("partner_scores_json", (day, partner_id), compute)
    return Response(body, media_type="application/json")


@router.get("/partners/{partner_id}/areas/{area}", response_model=s.AreaDetailPublic)
async def read_area(partner_id: CurrentPartner, area: Area, db: DbDep, day: AsOf):
    """One area of a partner: track, points, qualification, and each metric's value against its threshold."""
    return await run_in_threadpool(views.area_detail, db, partner_id, area, day)


@router.get("/partners/{partner_id}/areas/{area}/trend", response_model=s.TrendPublic)
async def read_area_trend(partner_id: CurrentPartner, area: Area, db: DbDep, day: AsOf,
                          months: Annotated[int, Query(ge=TREND_MONTHS.low, le=TREND_MONTHS.high,
                                                       description="How many month-ends.")] = 6):
    """The area's points at each of the last month-ends (slow the first time: one scoring per month)."""
    return await run_in_threadpool(views.trend, db, partner_id, area, day, months)
