"""The association ledger as a list a person can filter and page through, with each row's status."""

from __future__ import annotations

from datetime import date

import ibis
from ibis import _

from partnerscore.engine.connect import Tables
from partnerscore.ledger.associations import ledger_as_of
from partnerscore.rules.load import rules_at

STATUSES = ("in force", "ended", "not started", "ineligible", "taken over")
COLUMNS = ("association_id", "partner_id", "type", "tenant_id", "subscription_id", "workload", "rbac_role",
           "incentive", "poe_status", "indirect_provider_id", "start_date", "end_date", "effective_end",
           "recorded_at", "status", "reason")


def _status(t: ibis.Table, day: date) -> ibis.Value:
    return ibis.cases(
        (t.ineligible.notnull(), "ineligible"),
        (t.taken_over_on.notnull() & (t.taken_over_on <= day), "taken over"),
        (t.start_date > day, "not started"),
        (t.effective_end.notnull() & (t.effective_end < day), "ended"),
        else_="in force")


def list_associations(tables: Tables, day: date, *, partner: str | None = None, type: str | None = None,
                      tenant: str | None = None, status: str | None = None, limit: int = 50,
                      offset: int = 0) -> tuple[list[dict], int]:
    """The associations holding on `day` (latest version of each), filtered, with their status and reason.

    Returns one page of rows and the number of rows matching the filters.
    """
    holding = ledger_as_of(tables, rules_at(day), day).holding
    rows = holding.mutate(status=_status(holding, day), reason=ibis.coalesce(
        holding.ineligible, ibis.ifelse(holding.taken_over_on.notnull(),
                                        "taken over by " + holding.taken_over_by.fill_null("?") + " from "
                                        + holding.taken_over_on.cast("string"), ibis.null("string"))))
    if partner:
        rows = rows.filter((_.partner_id == partner) | (_.indirect_provider_id == partner))
    if type:
        rows = rows.filter(_.type == type.upper())
    if tenant:
        rows = rows.filter(_.tenant_id == tenant)
    if status:
        rows = rows.filter(_.status == status)
    total = rows.count().to_pyarrow().as_py()
    page = rows.select(*COLUMNS).order_by("partner_id", "association_id").limit(limit, offset=offset)
    return page.to_pyarrow().to_pylist(), total
