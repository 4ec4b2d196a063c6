"""What-if: score a partner before and after hypothetical changes, without writing to the ledger."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from partnerscore.errors import PartnerscoreError, StoreError
from partnerscore.web import schemas as s
from partnerscore.web.data import DataService
from partnerscore.web.deps import AsOf, CurrentPartner, CurrentUser, DbDep, body_day
from partnerscore.web.errors import ApiError
from partnerscore.web.routes import ERRORS
from partnerscore.web.security import User

router = APIRouter(prefix="/api", tags=["whatif"], responses=ERRORS)

#: Changes that concern one partner: the partner in the path fills `partner_id` when it is left out.
PARTNER_CHANGES = ("add_association", "add_certification", "expire_certification")
LEDGER_MAX = 200_000


def _check_scope(db: DataService, user: User, partner_id: str, day, changes: list[dict]) -> None:
    """A user limited to some partners may change only what their partners' ledger holds."""
    if user.partners is None:
        return
    for i, change in enumerate(changes):
        other = change.get("partner_id")
        if other is not None and not user.may_see(str(other)):
            raise ApiError(403, f"change {i}: {user.name} may not change partner {other}")
    touching = [c for c in changes if c.get("action") in ("end_association", "move_subscription", "add_usage")]
    if not touching:
        return
    rows, _ = db.associations(day, partner=partner_id, limit=LEDGER_MAX, offset=0)
    own = {key: {r[key] for r in rows} for key in ("association_id", "subscription_id", "tenant_id")}
    for i, change in enumerate(changes):
        for key in ("association_id", "subscription_id", "tenant_id"):
            if change in touching and key in change and change[key] not in own[key]:
                raise ApiError(403, f"change {i}: {key} {change[key]!r} is not in partner {partner_id}'s ledger")


def run(db: DataService, user: User, partner_id: str, day, changes: list[dict]) -> dict:
    _check_scope(db, user, partner_id, day, changes)
    key = json.dumps(changes, sort_keys=True, default=str)
    try:
        return db.cached("whatif", (partner_id, day, key), lambda: db.whatif(partner_id, day, changes).to_json())
    except StoreError:
        raise
    except PartnerscoreError as exc:
        lines = str(exc).splitlines()
        raise ApiError(422, lines[0] if len(lines) == 1 else f"{len(lines)} problems in the scenario",
                       code="invalid_scenario", details=lines) from exc


@router.post("/partners/{partner_id}/whatif", response_model=s.WhatIfPublic)
async def run_whatif(request: Request, partner_id: CurrentPartner, scenario: s.WhatIfRequest, db: DbDep,
                     user: CurrentUser, default_day: AsOf):
    """Score the partner before and after the scenario's changes; the ledger is not written.

    Each change is an object with an `action`: `add_association`, `end_association`,
    `add_certification`, `expire_certification`, `move_subscription` or `add_usage`, and that
    change's fields (see `partnerscore.engine.whatif`). `partner_id` defaults to the partner in the path.
    A scenario that names what the ledger does not hold is refused (422 `invalid_scenario`, one detail
    per problem naming the change and the key; docs/whatif.md).
    """
    changes = [{**c, "partner_id": c.get("partner_id", partner_id)} if c.get("action") in PARTNER_CHANGES else c
               for c in scenario.changes]
    return await run_in_threadpool(run, db, user, partner_id, body_day(request, scenario.as_of), changes)
