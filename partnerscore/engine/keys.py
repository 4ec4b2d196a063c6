"""Score on integer keys: the canonical tables with every tenant and subscription ID replaced by its key.

Tenant and subscription IDs are strings — in Partner Center 36-character GUIDs — and the attribution
joins and groups millions of usage rows on them. A store gives each ID an integer key once, at import
(`ingest/write.py` `assign_keys`), and keeps it beside the ID in every table that holds one
(`ingest/tables.py` `KEYED`). `keyed` swaps the IDs for their keys; the rules' expressions run
unchanged, since they only compare IDs for equality and never show them. A score reports partners,
areas and metrics, so nothing needs mapping back. Explanations list tenants: on a store's tables they
are computed on the keys too (`for_facts`), and each fact's tenant key is shown as its ID again
(`with_tenant_ids`).
"""

from __future__ import annotations

from dataclasses import replace

import ibis
from ibis import _

from partnerscore.engine.connect import Tables

#: ID column -> the column holding its integer key.
KEY_OF = {"tenant_id": "tenant_key", "subscription_id": "subscription_key"}


def keyed(tables: Tables) -> Tables:
    """`tables` with IDs replaced by their integer keys; unchanged when the store keys no IDs."""
    if not tables.keyed:
        return tables
    return replace(tables, customers=_swap(tables.customers), subscriptions=_swap(tables.subscriptions),
                   associations=_swap(tables.associations), usage=_swap(tables.usage), keyed=False)


def _swap(table: ibis.Table) -> ibis.Table:
    """`table` with each ID column holding its key instead (null stays null), in the same column order."""
    ids = {column: table[key] for column, key in KEY_OF.items() if column in table.columns}
    return table.mutate(**ids).drop(*(KEY_OF[column] for column in ids))


def for_facts(tables: Tables) -> Tables:
    """`keyed(tables)` when the tenants' keys can be shown as their IDs again (`Tables.tenant_keys`),
    else `tables`: explanations list tenants."""
    return keyed(tables) if tables.tenant_keys is not None else tables


def with_tenant_ids(tables: Tables, table: ibis.Table) -> ibis.Table:
    """`table` with its `tenant_id` column holding the tenant's ID, also when `tables` were keyed
    (`keyed`) and it holds the tenant's key."""
    if not table.tenant_id.type().is_integer():
        return table
    ids = tables.tenant_keys.select(k_key=_.tenant_key, k_id=_.tenant_id)
    named = table.left_join(ids, table.tenant_id == ids.k_key)
    return named.mutate(tenant_id=named.k_id).drop("k_key", "k_id")
