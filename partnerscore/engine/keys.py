"""Score on integer keys: the canonical tables with every tenant and subscription ID replaced by its key.

Tenant and subscription IDs are strings — in Partner Center 36-character GUIDs — and the attribution
joins and groups millions of usage rows on them. A store gives each ID an integer key once, at import
(`ingest/write.py` `assign_keys`), and keeps it beside the ID in every table that holds one
(`ingest/tables.py` `KEYED`). `keyed` swaps the IDs for their keys; the rules' expressions run
unchanged, since they only compare IDs for equality and never show them. A score reports partners,
areas and metrics, so nothing needs mapping back; explanations, which list tenants, are built on the
IDs themselves.
"""

from __future__ import annotations

from dataclasses import replace

import ibis

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
