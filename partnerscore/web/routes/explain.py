"""Explain an area: what earned each point (customers, workloads, people) and every association's status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from partnerscore.web import schemas as s
from partnerscore.web.deps import Area, AsOf, CurrentPartner, DbDep
from partnerscore.web.routes import ERRORS

router = APIRouter(prefix="/api", tags=["explain"], responses=ERRORS)


@router.get("/partners/{partner_id}/areas/{area}/explain", response_model=s.ExplanationPublic)
async def read_explanation(partner_id: CurrentPartner, area: Area, db: DbDep, day: AsOf,
                           metric: Annotated[str | None, Query(description="One metric only.")] = None):
    """What earned each point of an area, what did not count and why, and the points left to gain."""
    explanation = await run_in_threadpool(db.explain, partner_id, area, day, metric)
    return explanation.to_json()
