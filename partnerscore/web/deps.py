"""Route dependencies: the database, the signed-in user, and the partner a request may see.

Every query is scoped here: `CurrentPartner` refuses a partner outside the user's list (403, before
even saying whether it exists), and `Scope` is the set of partners a listing may return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from partnerscore.engine.as_of import out_of_range, scoring_day
from partnerscore.errors import DayOutOfRange
from partnerscore.rules.schema import AREAS
from partnerscore.web.data import DataService
from partnerscore.web.errors import ApiError
from partnerscore.web.security import CSRF_FIELD, CSRF_HEADER, User, UserStore, csrf_valid

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class AppState:
    """What every request of one app shares."""

    data: DataService
    users: UserStore
    default_as_of: date | None = None


async def app_state(request: Request) -> AppState:
    return request.app.state.ps


State = Annotated[AppState, Depends(app_state)]


async def data_service(request: Request) -> DataService:
    return request.app.state.ps.data


DbDep = Annotated[DataService, Depends(data_service)]


async def current_user(request: Request) -> User:
    """The user of a request: by `Authorization: Bearer <token>`, else by the signed session cookie.

    A cookie-authenticated request that changes something must carry the session's CSRF token (form
    field `csrf_token` or header `X-CSRF-Token`); a token-authenticated one need not, since a browser
    never sends the Authorization header on its own.
    """
    users = request.app.state.ps.users
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "send the API token as `Authorization: Bearer <token>`")
        user = users.by_token(token.strip())
        if user is None:
            raise ApiError(401, "the API token is not valid; ask an admin for a new one (`partnerscore users add`)")
        request.state.user = user
        return user
    name = request.session.get("user")
    user = users.by_name(name) if name else None
    if user is None or request.session.get("tok") != user.token_sha256[:16]:
        raise ApiError(401, "sign in at /login, or send an API token in the Authorization header")
    if request.method not in SAFE_METHODS:
        submitted = request.headers.get(CSRF_HEADER)
        if submitted is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            submitted = (await request.form()).get(CSRF_FIELD)
        if not csrf_valid(request.session, submitted if isinstance(submitted, str) else None):
            raise ApiError(403, "missing or wrong CSRF token; reload the page and try again", code="csrf_failed")
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def require_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise ApiError(403, f"only an admin may do this; {user.name} is a {user.role}")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


async def known_partners(db: DbDep) -> dict[str, dict]:
    rows = await db.acached("partners", (), db.partners)
    return {row["partner_id"]: row for row in rows}


async def current_partner(partner_id: Annotated[str, Path(description="Partner id, e.g. 4650101.")],
                          user: CurrentUser, db: DbDep) -> str:
    """The partner in the path, if the user may see it (403 otherwise) and it exists (404)."""
    if not user.may_see(partner_id):
        raise ApiError(403, f"{user.name} may not see partner {partner_id}")
    if partner_id not in await known_partners(db):
        raise ApiError(404, f"no partner {partner_id} in the database")
    return partner_id


CurrentPartner = Annotated[str, Depends(current_partner)]


def check_partner_filter(user: User, partner: str | None) -> None:
    """A listing filtered to one partner: refuse a partner outside the user's list."""
    if partner is not None and not user.may_see(partner):
        raise ApiError(403, f"{user.name} may not see partner {partner}")


async def scope(user: CurrentUser) -> frozenset[str] | None:
    """The partners a listing may return (None = every partner)."""
    return user.partners


Scope = Annotated[frozenset[str] | None, Depends(scope)]


async def as_of(request: Request, user: CurrentUser, db: DbDep, as_of: Annotated[date | None, Query(description=(
        "Score as of this day (YYYY-MM-DD); default the server's --as-of, else the last day of the latest month "
        "the ledger holds usage for."))] = None) -> date:
    """The day a request scores. How it was chosen and its warnings (a month without usage) are kept on
    `request.state.as_of_day`: pages show them, and `day_note.DayNote` adds them to the JSON."""
    server = request.app.state.ps.default_as_of
    try:
        day = scoring_day(await db.last_usage_month(), as_of or server, source="as_of" if as_of else "server")
    except DayOutOfRange as exc:
        raise ApiError(422, str(exc), code="invalid_request",
                       details=[{"loc": ["query", "as_of"], "message": str(exc)}]) from None
    request.state.as_of_day = day
    return day.day


AsOf = Annotated[date, Depends(as_of)]


def body_day(request: Request, given: date | None) -> date:
    """The day a request's body names (what-if, plan) in place of its query's: checked (422), and kept
    as the request's day, so that the page and the JSON say how it was chosen."""
    chosen = request.state.as_of_day
    if given is None:
        return chosen.day
    try:
        day = scoring_day(chosen.last_usage, given)
    except DayOutOfRange as exc:
        raise ApiError(422, str(exc), code="invalid_request",
                       details=[{"loc": ["body", "as_of"], "message": str(exc)}]) from None
    request.state.as_of_day = day
    return day.day


async def solution_area(area: Annotated[str, Path(description="Solution area id, e.g. modern_work.")]) -> str:
    if area not in AREAS:
        raise ApiError(404, f"unknown area {area!r}; choose one of {', '.join(AREAS)}")
    return area


Area = Annotated[str, Depends(solution_area)]

#: The query parameters that name a day; `days_in_range` checks every one on every request.
DAY_PARAMETERS = ("as_of", "from", "to", "recorded_on", "by", "anniversary")


async def days_in_range(request: Request) -> None:
    """Refuse (422) a day in the query before the first rule version or more than a year ahead.

    Registered on the whole app, so that no route, present or future, scores a day the engine cannot
    (`as_of=9999-12-31` overflowed the calendar with a 500). A value that is no date is left to the
    route's own validation, which names it.
    """
    for name in DAY_PARAMETERS:
        try:
            day = date.fromisoformat(request.query_params.get(name) or "")
        except ValueError:
            continue
        reason = out_of_range(day)
        if reason:
            raise ApiError(422, f"{name} {reason}", code="invalid_request",
                           details=[{"loc": ["query", name], "message": reason}])
