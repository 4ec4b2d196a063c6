"""What the DPOR request and the PAL sheet say, read from the ledger as of a day.

Each function takes the canonical tables (`engine.connect.Tables`), reads the partner, the customer,
the customer's subscriptions and the associations holding on the day (with their status and reason,
`ledger.listing.list_associations`), and returns a plain value the templates render. Nothing here
formats text: a front end may render the same values as it likes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

from ibis import _

from partnerscore.engine.connect import Tables
from partnerscore.errors import PartnerscoreError
from partnerscore.ledger.associations import versions_as_of
from partnerscore.ledger.customers import partner_customers
from partnerscore.ledger.listing import list_associations
from partnerscore.rules.load import rules_at

#: More associations than one tenant ever holds: list_associations pages, the letters want them all.
ALL_ROWS = 1_000_000


@dataclass(frozen=True)
class Partner:
    """The partner a letter is for; `location_id` is the location PartnerID it links and claims with."""

    partner_id: str
    name: str
    location_id: str


@dataclass(frozen=True)
class Customer:
    """The customer (one Entra tenant) a letter is about."""

    tenant_id: str
    name: str
    country: str | None


def _rows(expr) -> list[dict]:
    return expr.to_pyarrow().to_pylist()


def _unknown(kind: str, value: str, known: list[str], fix: str) -> PartnerscoreError:
    close = difflib.get_close_matches(value, known, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return PartnerscoreError(f"unknown {kind} {value!r}: not in the ledger{hint}; {fix}")


def find_partner(tables: Tables, partner_id: str, location_id: str | None = None) -> Partner:
    """The partner with this PartnerID; the ledger's id is its location PartnerID unless `location_id` says otherwise."""
    found = _rows(tables.partners.filter(_.partner_id == partner_id).select("partner_id", "name"))
    if not found:
        known = [r["partner_id"] for r in _rows(tables.partners.select("partner_id"))]
        raise _unknown("partner", partner_id, known, "check the PartnerID (the partners table lists them)")
    return Partner(partner_id, found[0]["name"], location_id or partner_id)


def find_customer(tables: Tables, tenant_id: str, partner_id: str | None = None) -> Customer:
    """The customer whose tenant id this is; with `partner_id`, only when it is that partner's customer
    (`ledger/customers.py`): a letter for a partner names none of another partner's customers."""
    found = _rows(tables.customers.filter(_.tenant_id == tenant_id).select("tenant_id", "name", "country"))
    if not found:
        raise PartnerscoreError(f"unknown tenant {tenant_id!r}: not in the ledger's customers; "
                                "check the tenant id (Entra ID → Overview → Tenant ID)")
    if partner_id is not None:
        theirs = partner_customers(tables, partner_id).filter(_.tenant_id == tenant_id)
        if not theirs.count().to_pyarrow().as_py():
            raise PartnerscoreError(f"tenant {tenant_id} is not a customer of partner {partner_id}: it holds and "
                                    "held no association there; a letter is for one of the partner's own customers "
                                    f"(`partnerscore associations {partner_id}` lists them)")
    return Customer(**found[0])


def subscriptions_of(tables: Tables, tenant_id: str, day: date) -> list[dict]:
    """The tenant's subscriptions with `active` (started by `day`, not ended before it)."""
    subs = tables.subscriptions.filter(_.tenant_id == tenant_id).order_by("subscription_id")
    rows = _rows(subs.select("subscription_id", "program", "cloud", "start_date", "end_date"))
    for row in rows:
        row["active"] = row["start_date"] <= day and (row["end_date"] is None or row["end_date"] >= day)
    return rows


def holding(tables: Tables, day: date, tenant_id: str, type: str | None = None) -> list[dict]:
    """Every association on the tenant holding on `day`, with its status and reason."""
    rows, _total = list_associations(tables, day, tenant=tenant_id, type=type, limit=ALL_ROWS)
    return rows


def _pick(subscriptions: list[dict], wanted: list[str] | None, tenant_id: str) -> list[dict]:
    """The named subscriptions of the tenant, in the order given; an unknown one is an error."""
    by_id = {s["subscription_id"]: s for s in subscriptions}
    picked = []
    for sub_id in wanted or []:
        if sub_id not in by_id:
            raise _unknown("subscription", sub_id, list(by_id),
                           f"name one of tenant {tenant_id}'s subscriptions ({', '.join(list(by_id)[:5]) or 'none'})")
        picked.append(by_id[sub_id])
    return picked


@dataclass(frozen=True)
class DporSubscription:
    """One subscription the customer is asked to designate the partner on, and who holds it now."""

    subscription_id: str
    program: str
    current_partner: str | None
    current_since: date | None
    ours: bool


@dataclass(frozen=True)
class DporRequest:
    """A customer-facing DPOR request: the partner, the customer and the subscriptions to designate."""

    partner: Partner
    customer: Customer
    day: date
    subscriptions: list[DporSubscription]
    already_ours: list[str] = field(default_factory=list)


def dpor_request(tables: Tables, partner_id: str, tenant_id: str, day: date,
                 subscription_ids: list[str] | None = None, location_id: str | None = None) -> DporRequest:
    """The DPOR request for the tenant's Azure subscriptions (or the ones named).

    By default every Azure subscription active on `day` whose program can carry a DPOR that counts
    (not CSP: the CSP partner holds it, R4) and that the partner is not already DPOR of.
    """
    partner, customer = find_partner(tables, partner_id, location_id), find_customer(tables, tenant_id, partner_id)
    blocked = rules_at(day).associations.dpor_not_on_programs
    subs = subscriptions_of(tables, tenant_id, day)
    dpor = {r["subscription_id"]: r for r in holding(tables, day, tenant_id, "DPOR") if r["status"] == "in force"}
    names = {r["partner_id"]: r["name"] for r in _rows(tables.partners.select("partner_id", "name"))}
    if subscription_ids:
        chosen = _pick(subs, subscription_ids, tenant_id)
        for sub in chosen:
            if sub["cloud"] != "azure":
                raise PartnerscoreError(f"subscription {sub['subscription_id']} is a {sub['cloud']} subscription; "
                                        "the DPOR letter gives the Azure portal steps: name an Azure subscription")
            if sub["program"] in blocked:
                raise PartnerscoreError(f"subscription {sub['subscription_id']} is on {sub['program']}: a DPOR there "
                                        "does not count (the CSP partner holds it); name another subscription")
    else:
        chosen = [s for s in subs if s["cloud"] == "azure" and s["active"] and s["program"] not in blocked]
    already = [s["subscription_id"] for s in chosen
               if dpor.get(s["subscription_id"], {}).get("partner_id") == partner_id]
    if not subscription_ids:
        chosen = [s for s in chosen if s["subscription_id"] not in already]
    if not chosen:
        reason = (f"{partner.name} is already the DPOR of all of them ({', '.join(already)})" if already
                  else f"it has no Azure subscription active on {day} outside {', '.join(blocked)}")
        raise PartnerscoreError(f"no subscription of tenant {tenant_id} to ask a DPOR for: {reason}")
    rows = []
    for sub in chosen:
        current = dpor.get(sub["subscription_id"])
        holder = current["partner_id"] if current else None
        rows.append(DporSubscription(
            sub["subscription_id"], sub["program"],
            f"{names.get(holder, holder)} ({holder})" if holder else None,
            current["start_date"] if current else None, holder == partner_id))
    return DporRequest(partner, customer, day, rows, already if not subscription_ids else [])


@dataclass(frozen=True)
class PalLink:
    """A PAL association the ledger holds for the partner on the tenant, and whether its role counts."""

    principal_id: str | None
    principal_type: str | None
    rbac_role: str | None
    subscription_id: str | None
    status: str
    reason: str | None


@dataclass(frozen=True)
class PalSheet:
    """The PAL instruction sheet: who links, with which role, on which subscriptions, with which PartnerID."""

    partner: Partner
    customer: Customer
    day: date
    audience: str
    principal: str | None
    subscriptions: list[dict]
    links: list[PalLink]
    eligible_roles: list[str]
    eligible_suffixes: list[str]


AUDIENCES = ("engineer", "customer")


def _principals(tables: Tables, day: date, tenant_id: str, partner_id: str) -> dict[str, tuple]:
    """The identity (principal id and type) each of the partner's PAL associations on the tenant names."""
    current = versions_as_of(tables.associations, day).filter(
        _.type == "PAL", _.tenant_id == tenant_id, _.partner_id == partner_id)
    return {r["association_id"]: (r["principal_id"], r["principal_type"])
            for r in _rows(current.select("association_id", "principal_id", "principal_type"))}


def pal_sheet(tables: Tables, partner_id: str, tenant_id: str, day: date, *, audience: str = "engineer",
              subscription_ids: list[str] | None = None, principal: str | None = None,
              location_id: str | None = None) -> PalSheet:
    """The PAL sheet for the tenant's active Azure subscriptions (or the ones named).

    The eligible roles come from the association rules in force (`pal_roles`); the ledger's PAL
    associations of the partner on the tenant show which identities are linked and whether their
    role counts.
    """
    if audience not in AUDIENCES:
        raise PartnerscoreError(f"unknown audience {audience!r}; choose {' or '.join(AUDIENCES)}")
    partner, customer = find_partner(tables, partner_id, location_id), find_customer(tables, tenant_id, partner_id)
    subs = subscriptions_of(tables, tenant_id, day)
    chosen = (_pick(subs, subscription_ids, tenant_id) if subscription_ids
              else [s for s in subs if s["cloud"] == "azure" and s["active"]])
    if not chosen:
        raise PartnerscoreError(f"tenant {tenant_id} has no Azure subscription active on {day}; "
                                "PAL credits the Azure resources a linked identity manages")
    who = _principals(tables, day, tenant_id, partner_id)
    links = [PalLink(*who.get(r["association_id"], (None, None)), r["rbac_role"], r["subscription_id"],
                     r["status"], r["reason"])
             for r in holding(tables, day, tenant_id, "PAL") if r["partner_id"] == partner_id]
    if principal is None and len({link.principal_id for link in links if link.principal_id}) == 1:
        principal = links[0].principal_id
    roles = rules_at(day).associations.pal_roles
    return PalSheet(partner, customer, day, audience, principal,
                    [{k: s[k] for k in ("subscription_id", "program", "cloud")} for s in chosen],
                    links, list(roles["exact"]), list(roles["suffix"]))
