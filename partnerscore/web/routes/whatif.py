"""What-if: score a partner before and after hypothetical changes, without writing to the ledger."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from partnerscore.engine.connect import open_duckdb
from partnerscore.errors import PartnerscoreError, StoreError
from partnerscore.ledger.customers import PartnerEntities, partner_entities
from partnerscore.web import schemas as s
from partnerscore.web.data import DataService
from partnerscore.web.deps import AsOf, CurrentPartner, CurrentUser, DbDep, body_day
from partnerscore.web.errors import ApiError
from partnerscore.web.routes import ERRORS
from partnerscore.web.security import User

router = APIRouter(prefix="/api", tags=["whatif"], responses=ERRORS)

#: Changes that concern one partner: the partner in the path fills `partner_id` when it is left out.
PARTNER_CHANGES = ("add_association", "add_certification", "expire_certification")
#: The keys of a change that name an entity, checked in this order against what the partner's viewer may
#: name, and what the refusal calls those entities.
ENTITY_NAMES = {"tenant_id": "customers", "subscription_id": "customers' subscriptions",
                "association_id": "associations", "person_id": "people"}


def _entities(db: DataService, partners: list[str]) -> PartnerEntities:
    """The partners' customers, their subscriptions, associations and people (cached per database state)."""
    def read(partner_id: str) -> PartnerEntities:
        tables = open_duckdb(db.db)
        try:
            return partner_entities(tables, partner_id)
        finally:
            tables.backend.disconnect()
    each = [db.cached("partner_entities", (p,), lambda p=p: read(p)) for p in partners]
    return PartnerEntities(*(frozenset().union(*(getattr(e, name) for e in each))
                             for name in ("tenants", "subscriptions", "associations", "people")))


def _taken(db: DataService, partners: list[str], association_ids: list[str], people: list[str]) -> set[str]:
    """Which of `association_ids` and `people` a partner outside `partners` holds (a new ID names no one's)."""
    def read() -> set[str]:
        tables = open_duckdb(db.db)
        try:
            a, c = tables.associations, tables.certifications
            held = a.filter(a.association_id.isin(association_ids or [""]), ~a.partner_id.isin(partners))
            certified = c.filter(c.person_id.isin(people or [""]), ~c.partner_id.isin(partners))
            return set(held.association_id.to_pyarrow().to_pylist()) | set(certified.person_id.to_pyarrow().to_pylist())
        finally:
            tables.backend.disconnect()
    return db.cached("taken_entities", (tuple(partners), tuple(association_ids), tuple(people)), read)


def _outside(change: dict, own: PartnerEntities, taken: set[str]) -> str | None:
    """The first key of `change` naming an entity a viewer of the partner may not name, or None.

    Tenants and subscriptions must be the partner's customers' (`ledger/customers.py`); an association
    to end must be the partner's; a new association's ID and a person may be new, but not another's.
    """
    allowed = {"tenant_id": own.tenants, "subscription_id": own.subscriptions}
    for key in ENTITY_NAMES:
        if change.get(key) is None:
            continue
        value = str(change[key])
        if key in allowed and value not in allowed[key]:
            return key
        if key == "association_id" and (value in taken or (change.get("action") == "end_association"
                                                             and value not in own.associations)):
            return key
        if key == "person_id" and value in taken and value not in own.people:
            return key
    return None


def _check_scope(db: DataService, user: User, partner_id: str, changes: list[dict]) -> None:
    """A user limited to some partners may change only those partners, and name only their customers,
    subscriptions, associations and people (`ledger/customers.py`): 403 naming the change and the key."""
    if user.partners is None:
        return
    for i, change in enumerate(changes):
        other = change.get("partner_id")
        if other is not None and not user.may_see(str(other)):
            raise ApiError(403, f"change {i}: {user.name} may not change partner {other}")
    partners = sorted({partner_id} | {str(c["partner_id"]) for c in changes if c.get("partner_id") is not None})
    own = _entities(db, partners)
    ids = sorted({str(c["association_id"]) for c in changes if c.get("association_id")} - own.associations)
    people = sorted({str(c["person_id"]) for c in changes if c.get("person_id")} - own.people)
    taken = _taken(db, partners, ids, people) if ids or people else set()
    for i, change in enumerate(changes):
        key = _outside(change, own, taken)
        if key is not None:
            raise ApiError(403, f"change {i}: {key} {change[key]!r} is not one of the {ENTITY_NAMES[key]} of "
                           f"{', '.join(partners)}; {user.name} may name only those")


def run(db: DataService, user: User, partner_id: str, day, changes: list[dict]) -> dict:
    _check_scope(db, user, partner_id, changes)
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
