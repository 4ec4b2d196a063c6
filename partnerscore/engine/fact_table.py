"""The shape of a fact (`engine/facts.py`): one row per entity behind a metric, in uniform columns."""

from __future__ import annotations

import ibis

#: The columns of every formula's facts, after `partner_id`.
FACT_COLUMNS = ("entity_kind", "entity", "part", "now", "before", "contribution", "unit", "status")
MICROS = 1_000_000


def facts_table(table: ibis.Table, kind: str, entity, part, now, before, contribution, unit: str,
                status) -> ibis.Table:
    """`table` as facts: one row per entity in the columns of `FACT_COLUMNS` (with `partner_id`)."""
    return table.select(
        partner_id=table.partner_id.cast("string"), entity_kind=ibis.literal(kind), entity=entity.cast("string"),
        part=ibis.literal(part) if isinstance(part, str) or part is None else part.cast("string"),
        now=now.cast("float64"), before=before.cast("float64"), contribution=contribution.cast("float64"),
        unit=ibis.literal(unit), status=status.cast("string"))


def net_status(now: ibis.Value, before: ibis.Value, added: str, lost: str, kept: str, missed: str) -> ibis.Value:
    """The sentence of an entity of a net count: added, lost, kept, or never counted."""
    return ibis.cases((now & before, kept), (now, added), (before, lost), else_=missed)


def active_share(active: ibis.Value, paid: ibis.Value) -> ibis.Value:
    """Active units as a percentage of paid units (null without paid units)."""
    return ibis.ifelse(paid > 0, active * 100.0 / paid, ibis.null("float64"))


