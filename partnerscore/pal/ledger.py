"""What the ledger knows that PAL needs: a Partner ID's location accounts, and a partner's PAL rows.

partnerscore reads the account structure from the `partners` table: a row whose `parent_partner_id`
names another partner is a location account (PLA) of that global account (PGA), except an indirect
reseller, whose parent is its indirect provider (data contract), and except under an indirect provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ibis import _

from partnerscore.engine.connect import Tables
from partnerscore.ledger.associations import versions_as_of

#: Roles whose parent/child link is a CSP relationship, not an account structure (data contract enum values).
RESELLER, PROVIDER = "indirect_reseller", "indirect_provider"


@dataclass(frozen=True)
class Location:
    """A location account (PLA) of a global account, as the ledger's `partners` table lists it."""

    partner_id: str
    name: str


def locations_of(tables: Tables, partner_id: str) -> list[Location]:
    """The location accounts the ledger lists under `partner_id`; empty when it is not a global account."""
    partners = tables.partners
    own = partners.filter(_.partner_id == partner_id).select("role").to_pyarrow().column("role").to_pylist()
    if own and own[0] == PROVIDER:
        return []
    children = partners.filter(_.parent_partner_id == partner_id, _.role.fill_null("") != RESELLER)
    rows = children.select("partner_id", "name").order_by("partner_id").to_pyarrow().to_pylist()
    return [Location(r["partner_id"], r["name"]) for r in rows]


def knows_partner(tables: Tables, partner_id: str) -> bool:
    """Whether the ledger's `partners` table lists this Partner ID at all."""
    partners = tables.partners
    return partners.filter(_.partner_id == partner_id).count().to_pyarrow().as_py() > 0


def pal_rows(tables: Tables, partner_id: str, day: date) -> list[dict]:
    """The partner's PAL associations in force on `day` (the version that holds), one dict per row."""
    current = versions_as_of(tables.associations, day)
    rows = current.filter(_.type == "PAL", _.partner_id == partner_id, _.start_date <= day,
                          _.end_date.isnull() | (_.end_date >= day))
    columns = ("association_id", "tenant_id", "subscription_id", "rbac_role", "principal_id", "principal_type")
    return rows.select(*columns).order_by("association_id").to_pyarrow().to_pylist()
