"""Score many what-if variants of one partner in a single engine run.

The engine scores every partner independently, so a batch of what-ifs can be one scoring: the batch
holds one *clone* of the partner per variant (`<partner>#<i>`), each with the partner's associations
and certifications plus that variant's changes, over a slice of the data that holds only what can
touch the partner's score (the tenants it has associations with or that a change names, their
subscriptions and usage, and every DPOR on them). The one cross-partner rule of the ledger, the DPOR
takeover (R4), is kept apart per clone by giving each clone its own copy of the tenants that carry a
DPOR (ids prefixed `v<i>~`, which keeps their order); other tenants are shared by every clone.

Variant 0 should be the empty scenario: callers compare it with a plain score of the stored tables
to check that the slice holds everything the partner's score depends on.
"""

from __future__ import annotations

from datetime import date

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _

from partnerscore.engine.connect import TABLE_NAMES, Tables, register_arrow
from partnerscore.engine.report import PartnerScore
from partnerscore.engine.scoring import score
from partnerscore.engine.whatif import (
    AddAssociation, AddUsage, Change, EndAssociation, MoveSubscription, changed_tables,
)


def clone_id(partner: str, index: int) -> str:
    """The partner id of a variant's clone in the batch."""
    return f"{partner}#{index}"


def _prefix(index: int) -> str:
    return f"v{index}~"


def _tenants_named(variants: list[list[Change]], sub_tenant: dict[str, str]) -> tuple[set[str], set[str]]:
    """Tenants the changes name, and those that must be copied per clone (DPOR added, sub moved, usage)."""
    named, private = set(), set()
    for change in (c for v in variants for c in v):
        if isinstance(change, (AddAssociation, AddUsage)):
            named.add(change.tenant_id)
            if isinstance(change, AddUsage) or change.type == "DPOR":
                private.add(change.tenant_id)
        elif isinstance(change, MoveSubscription) and change.subscription_id in sub_tenant:
            named.add(sub_tenant[change.subscription_id])
            private.add(sub_tenant[change.subscription_id])
    return named, private


def _slice(tables: Tables, partner: str, variants: list[list[Change]],
           usage_rows: tuple[frozenset[str], bool] | None) -> tuple[dict[str, pa.Table], set[str]]:
    """The rows that can touch `partner`'s score, and the tenants each clone needs its own copy of.

    `usage_rows` (workload keys, every Azure row or not) narrows usage to what one area reads.
    """
    own = tables.associations.filter((_.partner_id == partner) | (_.indirect_provider_id == partner))
    tenants = set(own.select("tenant_id").distinct().to_pyarrow().column(0).to_pylist())
    moved = [c.subscription_id for v in variants for c in v if isinstance(c, MoveSubscription)]
    sub_tenant = {}
    if moved:
        rows = tables.subscriptions.filter(_.subscription_id.isin(moved)).to_pyarrow().to_pylist()
        sub_tenant = {r["subscription_id"]: r["tenant_id"] for r in rows}
    named, private = _tenants_named(variants, sub_tenant)
    tenants = sorted(tenants | named)
    usage = tables.usage.filter(_.tenant_id.isin(tenants))
    if usage_rows is not None:
        keys, azure = usage_rows
        wanted = usage.workload_key.isin(sorted(keys)) if keys else ibis.literal(False)
        if azure:
            subs = tables.subscriptions.filter(_.cloud == "azure").select(az_sub=_.subscription_id)
            usage = usage.left_join(subs, usage.subscription_id == subs.az_sub)
            wanted = usage.workload_key.isin(sorted(keys)) | usage.az_sub.notnull() if keys else usage.az_sub.notnull()
            usage = usage.filter(wanted).drop("az_sub")
        else:
            usage = usage.filter(wanted)
    data = {
        "partners": tables.partners.filter(_.partner_id == partner).to_pyarrow(),
        "customers": tables.customers.filter(_.tenant_id.isin(tenants)).to_pyarrow(),
        "subscriptions": tables.subscriptions.filter(_.tenant_id.isin(tenants)).to_pyarrow(),
        "usage": usage.to_pyarrow(),
        "associations": tables.associations.filter(
            _.tenant_id.isin(tenants) & ((_.partner_id == partner) | (_.indirect_provider_id == partner)
                                         | (_.type == "DPOR"))).to_pyarrow(),
        "certifications": tables.certifications.filter(_.partner_id == partner).to_pyarrow(),
    }
    dpor = pc.equal(data["associations"]["type"], "DPOR")
    private |= set(pc.filter(data["associations"]["tenant_id"], dpor).to_pylist())
    return data, private


def _renamed(table: pa.Table, columns: tuple[str, ...], prefix: str, mask=None) -> pa.Table:
    schema = table.schema
    for name in columns:
        col = table[name]
        new = pc.binary_join_element_wise(pa.scalar(prefix), col, "")
        table = table.set_column(table.schema.get_field_index(name), name, new if mask is None else pc.if_else(mask, new, col))
    return table.cast(schema)


def _replaced(table: pa.Table, column: str, old: str, new: str) -> pa.Table:
    col = table[column]
    return table.set_column(table.schema.get_field_index(column), column,
                            pc.if_else(pc.equal(col, old), pa.scalar(new, col.type), col)).cast(table.schema)


def _batch(data: dict[str, pa.Table], private: set[str], partner: str, count: int) -> dict[str, pa.Table]:
    """Shared rows once, private tenants' rows and the partner's own rows once per clone."""
    private_values = pa.array(sorted(private), pa.string())
    parts: dict[str, list[pa.Table]] = {n: [] for n in TABLE_NAMES}
    for name in ("customers", "subscriptions", "usage"):
        mine = pc.is_in(data[name]["tenant_id"], value_set=private_values)
        parts[name].append(data[name].filter(pc.invert(mine)))
    for i in range(count):
        prefix, clone = _prefix(i), clone_id(partner, i)
        for name, ids in (("customers", ("tenant_id",)), ("subscriptions", ("subscription_id", "tenant_id")),
                          ("usage", ("tenant_id", "subscription_id"))):
            mine = data[name].filter(pc.is_in(data[name]["tenant_id"], value_set=private_values))
            parts[name].append(_renamed(mine, ids, prefix))
        assoc = data["associations"]
        assoc = _renamed(assoc, ("tenant_id", "subscription_id"), prefix,
                         pc.is_in(assoc["tenant_id"], value_set=private_values))
        assoc = _renamed(assoc, ("association_id",), prefix)
        assoc = _replaced(_replaced(assoc, "partner_id", partner, clone), "indirect_provider_id", partner, clone)
        parts["associations"].append(assoc)
        parts["certifications"].append(_replaced(data["certifications"], "partner_id", partner, clone))
        parts["partners"].append(_replaced(data["partners"], "partner_id", partner, clone))
    return {name: pa.concat_tables(tables) for name, tables in parts.items()}


def _translated(change: Change, partner: str, index: int, private: set[str]) -> Change:
    """A change of the partner's ledger, as the same change of clone `index`."""
    prefix, clone = _prefix(index), clone_id(partner, index)
    update: dict = {}
    if hasattr(change, "partner_id") and change.partner_id == partner:
        update["partner_id"] = clone
    if isinstance(change, (AddAssociation, EndAssociation)):
        update["association_id"] = prefix + change.association_id
    if isinstance(change, (AddAssociation, AddUsage)) and change.tenant_id in private:
        update["tenant_id"] = prefix + change.tenant_id
        if change.subscription_id:
            update["subscription_id"] = prefix + change.subscription_id
    if isinstance(change, AddAssociation) and change.indirect_provider_id == partner:
        update["indirect_provider_id"] = clone
    if isinstance(change, MoveSubscription):
        update["subscription_id"] = prefix + change.subscription_id
    return change.model_copy(update=update)


def _register(backend, batch: dict[str, pa.Table]) -> Tables:
    return Tables(backend, *(register_arrow(backend, f"ps_plan_{n}", batch[n]) for n in TABLE_NAMES))


def score_variants(tables: Tables, partner: str, as_of: date, days: list[date], variants: list[list[Change]],
                   usage_rows: tuple[frozenset[str], bool] | None = None,
                   areas: list[str] | None = None) -> dict[date, list[PartnerScore]]:
    """Each variant's score of `partner` on each day (in `areas`, default all), from one engine run per day.

    Changes are made on `as_of` (as `whatif` makes them); every day scored is on or after it.
    """
    data, private = _slice(tables, partner, variants, usage_rows)
    batch = _batch(data, private, partner, len(variants))
    registered = _register(tables.backend, batch)
    changes = [_translated(c, partner, i, private) for i, v in enumerate(variants) for c in v]
    if changes:
        changed = changed_tables(registered, changes, as_of)
        # Under the batch's own names again: the engine keys its compiled plans by table names, so every
        # batch, whichever tables its changes touch, then replays the plan the first batch compiled.
        registered = _register(tables.backend, {n: getattr(changed, n).to_pyarrow() for n in TABLE_NAMES})
    results = {}
    for day in days:
        report = score(registered, day, areas=areas)
        by_id = {p.partner_id: p for p in report.partners}
        results[day] = [by_id[clone_id(partner, i)] for i in range(len(variants))]
    return results
