"""Who am I, the six solution areas and their rules, and the partners a user may see."""

from __future__ import annotations

from fastapi import APIRouter

from partnerscore.web import schemas as s, views
from partnerscore.web.deps import AsOf, CurrentPartner, CurrentUser, DbDep, known_partners
from partnerscore.web.routes import ERRORS

router = APIRouter(prefix="/api", tags=["partners"], responses=ERRORS)


@router.get("/me", response_model=s.MePublic)
async def read_me(user: CurrentUser):
    """The signed-in user, their role and the partners they may see."""
    return user.to_json()


@router.get("/areas", response_model=s.AreasPublic)
async def list_areas(user: CurrentUser, day: AsOf):
    """The six solution areas with their tracks, metrics, maximum points and thresholds in force."""
    return views.areas(day)


async def visible_partners(db: DbDep, user: CurrentUser) -> list[dict]:
    rows = (await known_partners(db)).values()
    return [r for r in rows if user.may_see(r["partner_id"])]


@router.get("/partners", response_model=s.PartnersPublic)
async def list_partners(db: DbDep, user: CurrentUser):
    """The partners this user may see."""
    rows = await visible_partners(db, user)
    return {"data": rows, "count": len(rows)}


@router.get("/partners/{partner_id}", response_model=s.PartnerPublic)
async def read_partner(partner_id: CurrentPartner, db: DbDep):
    """One partner (403 outside the user's partners, 404 when unknown)."""
    return (await known_partners(db))[partner_id]
