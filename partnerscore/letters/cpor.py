"""What a CPOR claim packet says: per workload, the ids, the activity and the usage around it.

A claim is for a tenant and its workloads (CPOR_OSU) or subscriptions (CPOR_OSA, CPOR_REVREC). The
packet names each workload as the program's catalogue spells it (`rules/workloads.yaml`), dates the
claimed activity inside the claim window (the 12 months before the as-of day, as the proof-of-execution
checklist requires), and lists the monthly usage of the months before and after that activity from
the ledger's usage table. Nothing here formats text.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date

from ibis import _

from partnerscore.engine.connect import Tables
from partnerscore.engine.months import add_months, month_range, month_start
from partnerscore.errors import PartnerscoreError
from partnerscore.ingest.tables import MICROS_PER_DOLLAR
from partnerscore.letters.gather import Customer, Partner, find_customer, find_partner, holding, subscriptions_of
from partnerscore.letters.poe_check import claim_window, load_checklist
from partnerscore.rules.names import normalize, workload_catalog, workload_key

#: Months of usage shown on each side of the activity month.
MONTHS_AROUND = 3
#: Usage columns a packet can show, and how they are read (money is stored in micro-dollars).
METRICS = {
    "active_units": ("monthly active users (MAU)", _.active_units),
    "paid_units": ("paid units", _.paid_units),
    "acr_usd": ("Azure consumed revenue (USD)", _.acr_micros / MICROS_PER_DOLLAR),
    "revenue_usd": ("revenue (USD)", _.revenue_micros / MICROS_PER_DOLLAR),
}


@dataclass(frozen=True)
class MetricChange:
    """One usage measure before the activity (mean of the months before) and after it (latest month)."""

    metric: str
    label: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        """The relative change after/before - 1, or None without a non-zero baseline."""
        if self.before in (None, 0) or self.after is None:
            return None
        return self.after / self.before - 1

    @property
    def gap(self) -> str | None:
        """The side the ledger has no figure for ("before", "after" or "before and after"), or None."""
        sides = [side for side, figure in (("before", self.before), ("after", self.after)) if figure is None]
        return " and ".join(sides) or None


@dataclass(frozen=True)
class ClaimTarget:
    """One workload of the claim with its subscriptions, activity date and monthly usage."""

    workload: str
    subscription_ids: list[str]
    association: dict | None
    activity: date
    months: list[dict]
    metrics: list[str]
    changes: list[MetricChange]


@dataclass(frozen=True)
class CporPacket:
    """A CPOR claim packet for one partner and tenant."""

    partner: Partner
    customer: Customer
    day: date
    window_start: date
    targets: list[ClaimTarget]
    checklist: list[dict]
    metric_labels: dict[str, str]


def canonical_workload(name: str) -> str:
    """The workload's name as the program's catalogue spells it; an unknown name is an error."""
    entry = workload_catalog().get(workload_key(name))
    if entry is None:
        names = [e["name"] for e in workload_catalog().values()]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise PartnerscoreError(f"unknown workload {name!r}{hint}; a claim names workloads as the program's "
                                "lists spell them (partnerscore/rules/workloads.yaml)")
    return entry["name"]


def _usage(tables: Tables, tenant_id: str, key: str, subscription_ids: list[str], first: date,
           last: date) -> list[dict]:
    rows = tables.usage.filter(_.tenant_id == tenant_id, _.workload_key == key, _.month.between(first, last))
    if subscription_ids:
        rows = rows.filter(_.subscription_id.isin(subscription_ids))
    monthly = rows.group_by("month").aggregate(**{m: expr.sum() for m, (_label, expr) in METRICS.items()})
    return monthly.order_by("month").to_pyarrow().to_pylist()


def _subscriptions_with_usage(tables: Tables, tenant_id: str, key: str, first: date, last: date) -> list[str]:
    rows = tables.usage.filter(_.tenant_id == tenant_id, _.workload_key == key, _.month.between(first, last))
    return sorted(r["subscription_id"] for r in rows.select("subscription_id").distinct().to_pyarrow().to_pylist())


def _target(tables: Tables, tenant_id: str, workload: str, subscription_ids: list[str], association: dict | None,
            activity: date, window_start: date, day: date) -> ClaimTarget:
    key = normalize(workload)
    # Months before the activity are the baseline, but none before the claim window's first month.
    first_month = max(add_months(month_start(activity), -MONTHS_AROUND), month_start(window_start))
    last_month = min(add_months(month_start(activity), MONTHS_AROUND), month_start(day))
    found = {r["month"]: r for r in _usage(tables, tenant_id, key, subscription_ids, first_month, last_month)}
    months = [found.get(m, {"month": m, **dict.fromkeys(METRICS)}) for m in month_range(first_month, last_month)]
    metrics = [m for m in METRICS if any(row.get(m) is not None for row in months)]
    before = [row for row in months if row["month"] < month_start(activity)]
    after = [row for row in months if row["month"] > month_start(activity)]
    changes = []
    for metric in metrics:
        baseline = [row[metric] for row in before if row.get(metric) is not None]
        latest = [row[metric] for row in after if row.get(metric) is not None]
        changes.append(MetricChange(metric, METRICS[metric][0], sum(baseline) / len(baseline) if baseline else None,
                                    latest[-1] if latest else None))
    subs = subscription_ids or _subscriptions_with_usage(tables, tenant_id, key, first_month, last_month)
    return ClaimTarget(workload, subs, association, activity, months, metrics, changes)


def _activity(given: date | None, association: dict | None, window_start: date, day: date, what: str) -> date:
    """The claimed activity's day: given, else the association's start; inside the claim window."""
    if given is None and association is None:
        raise PartnerscoreError(f"the ledger holds no CPOR association for {what}; give --activity DATE, "
                                "the day of the work this claim documents")
    activity = given or association["start_date"]
    if not window_start <= activity <= day:
        origin = "--activity" if given else f"association {association['association_id']} started"
        raise PartnerscoreError(f"{origin} on {activity}, outside the claim window {window_start} – {day}: reviewers "
                                "reject old dates; give --activity DATE of work done in the last 12 months")
    return activity


def cpor_packet(tables: Tables, partner_id: str, tenant_id: str, day: date, *, workloads: list[str] | None = None,
                subscription_ids: list[str] | None = None, activity: date | None = None,
                location_id: str | None = None) -> CporPacket:
    """The claim packet for the named workloads (or, by default, the partner's CPOR associations on the tenant).

    With subscriptions (CPOR_OSA, CPOR_REVREC are per subscription) the usage is that of those
    subscriptions only; without workloads, every workload they used in the window is listed.
    """
    partner, customer = find_partner(tables, partner_id, location_id), find_customer(tables, tenant_id, partner_id)
    window_start, _day = claim_window(day)
    subs = [s["subscription_id"] for s in subscriptions_of(tables, tenant_id, day)]
    for sub_id in subscription_ids or []:
        if sub_id not in subs:
            raise PartnerscoreError(f"subscription {sub_id!r} is not one of tenant {tenant_id}'s subscriptions")
    cpor = [r for r in holding(tables, day, tenant_id) if r["partner_id"] == partner_id
            and r["type"].startswith("CPOR_") and r["status"] in ("in force", "not started", "ineligible")]
    by_workload = {workload_key(r["workload"]): r for r in cpor if r["workload"]}
    by_sub = {r["subscription_id"]: r for r in cpor if r["subscription_id"] and not r["workload"]}
    names = [canonical_workload(w) for w in workloads or []]
    if not names and subscription_ids:
        names = sorted({canonical_workload(w) for sub in subscription_ids
                        for w in _workloads_on(tables, tenant_id, sub, window_start, day)})
    if not names:
        # Associations that started before the window document old work: a claim needs recent work.
        recent = [r for r in by_workload.values() if activity or r["start_date"] >= window_start]
        names = sorted(canonical_workload(r["workload"]) for r in recent)
    if not names:
        held = f"no CPOR association started since {window_start}" if by_workload else "no CPOR association"
        raise PartnerscoreError(f"{partner.name} holds {held} for a workload on tenant {tenant_id}; name the "
                                "workloads to claim with --workload (and --activity, the day of the work)")
    targets = []
    for name in names:
        association = by_workload.get(normalize(name)) or next(
            (by_sub[s] for s in subscription_ids or [] if s in by_sub), None)
        when = _activity(activity, association, window_start, day, f"{name} on tenant {tenant_id}")
        targets.append(_target(tables, tenant_id, name, subscription_ids or [], association, when, window_start, day))
    checklist = [{"label": c.label, "required": c.required, "why": c.why} for c in load_checklist().checks]
    return CporPacket(partner, customer, day, window_start, targets, checklist,
                      {m: label for m, (label, _expr) in METRICS.items()})


def _workloads_on(tables: Tables, tenant_id: str, subscription_id: str, first: date, last: date) -> list[str]:
    rows = tables.usage.filter(_.tenant_id == tenant_id, _.subscription_id == subscription_id,
                               _.month.between(month_start(first), last))
    names = rows.select("workload").distinct().to_pyarrow().column("workload").to_pylist()
    known = [n for n in names if workload_key(n) in workload_catalog()]
    if not known:
        raise PartnerscoreError(f"subscription {subscription_id} has no usage of a catalogued workload since {first}; "
                                "name the workloads to claim with --workload")
    return known

