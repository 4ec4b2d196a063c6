"""Ledger findings: conflicts, ineligible associations and warnings, each with its reason."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from partnerscore.limits import PAGE_LIMIT, PAGE_OFFSET
from partnerscore.web import schemas as s, views
from partnerscore.web.deps import AsOf, CurrentUser, DbDep, check_partner_filter
from partnerscore.web.routes import ERRORS

router = APIRouter(prefix="/api", tags=["findings"], responses=ERRORS)


@router.get("/findings", response_model=s.FindingsPublic)
async def list_findings(
    db: DbDep, user: CurrentUser, day: AsOf,
    partner: Annotated[str | None, Query(description="Only this partner's findings.")] = None,
    severity: Annotated[Literal["conflict", "ineligible", "warning"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=PAGE_LIMIT.low, le=PAGE_LIMIT.high, description="Rows in the page.")] = PAGE_LIMIT.high,
    offset: Annotated[int, Query(ge=PAGE_OFFSET.low, le=PAGE_OFFSET.high, description="Rows to skip.")] = 0,
):
    """The findings of `partnerscore validate` on the partners this user may see, one page at a time
    (`count` is every matching finding)."""
    check_partner_filter(user, partner)
    return await run_in_threadpool(views.findings, db, day, user.partners, partner, severity, limit=limit,
                                   offset=offset)
