"""A partner's customers: the tenants a partner may be shown, plan for and name in a scenario.

A partner's customers are the tenants on which it holds or held an association of any type, at any
time and in any recorded version (ineligible, ended, taken over or not started yet alike):

- the tenant of every association row whose `partner_id` is the partner;
- for an indirect provider, the tenant of every row naming it as `indirect_provider_id` (its
  resellers' CSP_INDIRECT rows: the rows that credit it as CSP Tier 1, R2);
- and the tenant that owns a subscription such a row names, when the row gives another tenant
  (coverage follows the subscription, so the engine credits that tenant's usage).

A reseller whose `parent_partner_id` names the provider does not make all of its tenants the
provider's: only the rows naming the provider do. A reseller may buy through several providers, and
a CPOR or a row naming no provider credits the provider nothing, so those tenants are the reseller's
business alone (the same reading as crediting, `ledger/associations.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
from ibis import _

from partnerscore.engine.connect import Tables


def _rows_of(tables: Tables, partner: str) -> ibis.Table:
    """Every recorded association row naming `partner`, as the partner or as the indirect provider."""
    a = tables.associations
    return a.filter((a.partner_id == partner) | (a.indirect_provider_id == partner))


def partner_customers(tables: Tables, partner: str) -> ibis.Table:
    """The tenants that are `partner`'s customers (module docstring), one `tenant_id` column, each once.

    Args:
        tables: the canonical tables.
        partner: a partner ID; an unknown one has no customers.
    Returns:
        An unexecuted Ibis table of distinct `tenant_id`.

    >>> from partnerscore.engine.connect import Tables
    >>> import ibis
    >>> con = ibis.duckdb.connect()
    >>> a = con.create_table("associations", ibis.memtable({"partner_id": ["P1", "P2", "R1"],
    ...     "indirect_provider_id": [None, None, "P1"], "tenant_id": ["T1", "T2", "T3"],
    ...     "subscription_id": ["S1", "S2", None]}))
    >>> s = con.create_table("subscriptions", ibis.memtable({"subscription_id": ["S1", "S2"],
    ...     "tenant_id": ["T1", "T4"]}))
    >>> tables = Tables(con, None, None, s, a, None, None)
    >>> sorted(partner_customers(tables, "P1").to_pyarrow().column("tenant_id").to_pylist())
    ['T1', 'T3']
    >>> sorted(partner_customers(tables, "P2").to_pyarrow().column("tenant_id").to_pylist())
    ['T2', 'T4']
    """
    rows = _rows_of(tables, partner)
    named = rows.select(c_tenant=_.tenant_id.cast("string"))  # a store's columns may be NOT NULL, or not
    owners = tables.subscriptions.select(o_sub=_.subscription_id, o_tenant=_.tenant_id.cast("string"))
    owning = rows.join(owners, rows.subscription_id == owners.o_sub).select(c_tenant=owners.o_tenant)
    return named.union(owning, distinct=True).rename(tenant_id="c_tenant")


@dataclass(frozen=True)
class PartnerEntities:
    """What a partner's viewer may name: its customers, their subscriptions, its associations, its people."""

    tenants: frozenset[str]
    subscriptions: frozenset[str]
    associations: frozenset[str]
    people: frozenset[str]


def partner_entities(tables: Tables, partner: str) -> PartnerEntities:
    """`partner`'s customers (`partner_customers`) with their subscriptions (those the subscriptions table
    gives them, and those the partner's rows name), its association IDs and its people's person IDs."""
    tenants = partner_customers(tables, partner)
    subs = tables.subscriptions.semi_join(tenants, tables.subscriptions.tenant_id == tenants.tenant_id)
    rows = _rows_of(tables, partner)
    named = rows.filter(_.subscription_id.notnull()).select("subscription_id")
    people = tables.certifications.filter(_.partner_id == partner).select("person_id").distinct()

    def values(table: ibis.Table, column: str) -> frozenset[str]:
        return frozenset(table[column].to_pyarrow().to_pylist())

    return PartnerEntities(values(tenants, "tenant_id"),
                           values(subs.select("subscription_id").union(named, distinct=True), "subscription_id"),
                           values(rows.select("association_id").distinct(), "association_id"),
                           values(people, "person_id"))
