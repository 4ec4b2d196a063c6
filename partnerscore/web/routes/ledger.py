"""The association ledger: filter by partner, type, customer and status, one page at a time."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from partnerscore.ledger.listing import STATUSES
from partnerscore.limits import PAGE_LIMIT, PAGE_OFFSET
from partnerscore.web import schemas as s, views
from partnerscore.web.deps import AsOf, CurrentUser, DbDep, check_partner_filter
from partnerscore.web.routes import ERRORS

router = APIRouter(prefix="/api", tags=["ledger"], responses=ERRORS)

Status = Literal[STATUSES]  # type: ignore[valid-type]
AssociationType = Literal["CPOR_OSU", "CPOR_OSA", "CPOR_REVREC", "DPOR", "PAL", "CSP_DIRECT", "CSP_INDIRECT", "TPOR"]


@router.get("/associations", response_model=s.AssociationsPublic)
async def list_associations(
    db: DbDep, user: CurrentUser, day: AsOf,
    partner: Annotated[str | None, Query(description="Partner id (also its rows as indirect provider).")] = None,
    type: Annotated[AssociationType | None, Query(description="Association type.")] = None,
    tenant: Annotated[str | None, Query(description="Customer tenant id.")] = None,
    status: Annotated[Status | None, Query(description="Row status as of the day.")] = None,
    limit: Annotated[int, Query(ge=PAGE_LIMIT.low, le=PAGE_LIMIT.high, description="Rows in the page.")] = 50,
    offset: Annotated[int, Query(ge=PAGE_OFFSET.low, le=PAGE_OFFSET.high, description="Rows to skip.")] = 0,
):
    """The associations holding on a day with their status; conflicts carry the reason from validation."""
    check_partner_filter(user, partner)
    return await run_in_threadpool(views.associations, db, day, user.partners, partner=partner, type=type,
                                   tenant=tenant, status=status, limit=limit, offset=offset)
