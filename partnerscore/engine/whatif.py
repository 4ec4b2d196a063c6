"""What-if by replay: score a changed copy of the ledger with the unchanged engine.

A scenario is a list of changes — add or end an association, add or expire a certification, move a
subscription to another licensing program, add expected usage (`engine/scenario.py` reads one,
`engine/scenario_checks.py` checks it against the ledger). The changes become temporary tables beside
the stored ones (`ps_whatif_<table>` = stored rows with the changes applied); the engine then scores
those tables exactly as it scores the stored ones. The stored ledger is never written.
(OpenFisca calls this a reform: a changed copy, scored by the unchanged formulas.)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

import pyarrow as pa

from partnerscore.engine.connect import TABLE_NAMES, Tables, register_arrow
from partnerscore.engine.movers import metric_facts, moves
from partnerscore.engine.report import AreaScore, PartnerScore, ScoreReport, round_half_up
# The scenario's changes and its reader are part of what-if's interface (plan, alerts and the
# inventory build changes; the front ends read scenarios), so they are importable from here too.
from partnerscore.engine.scenario import (  # noqa: F401
    AddAssociation, AddCertification, AddUsage, Change, EndAssociation, ExpireCertification, MoveSubscription,
    load_scenario, parse_scenario,
)
from partnerscore.engine.scoring import score
from partnerscore.errors import PartnerscoreError
from partnerscore.ingest.tables import MICROS_PER_DOLLAR
from partnerscore.rules.load import RuleSet, rules_at
from partnerscore.rules.names import cert_key, workload_key
from partnerscore.rules.schema import AREAS


def _rows(tables: Tables, name: str) -> pa.Table:
    return getattr(tables, name).to_pyarrow()


def _apply(tables: Tables, changes: list[Change], day: date) -> dict[str, pa.Table]:
    """The changed tables, as Arrow (only the tables a change touches)."""
    arrow: dict[str, pa.Table] = {}
    rows: dict[str, list[dict]] = {}

    def edit(name: str) -> list[dict]:
        """The rows of a small table, to change in place (associations, certifications, subscriptions)."""
        if name not in rows:
            rows[name] = _rows(tables, name).to_pylist()
        return rows[name]

    for change in changes:
        if isinstance(change, AddAssociation):
            edit("associations").append(_association_row(change, edit("associations")))
        elif isinstance(change, EndAssociation):
            versions = edit("associations")
            holding = _holding_version(versions, change.association_id, day)
            versions.append({**holding, "end_date": change.end_date, "recorded_at": day, "known_from": day,
                             "version_seq": _next_seq(versions), "imported_at": datetime.now(),
                             "import_id": "whatif"})
        elif isinstance(change, AddCertification):
            edit("certifications").append({
                "partner_id": change.partner_id, "person_id": change.person_id,
                "certification": change.certification, "cert_key": cert_key(change.certification),
                "earned_on": change.earned_on, "expires_on": change.expires_on})
        elif isinstance(change, ExpireCertification):
            key = (change.partner_id, change.person_id, cert_key(change.certification))
            hits = [r for r in edit("certifications") if (r["partner_id"], r["person_id"], r["cert_key"]) == key]
            if not hits:
                raise PartnerscoreError(f"{change.person_id} of {change.partner_id} holds no {change.certification!r}")
            for row in hits:
                row["expires_on"] = change.expires_on
        elif isinstance(change, MoveSubscription):
            hits = [r for r in edit("subscriptions") if r["subscription_id"] == change.subscription_id]
            if not hits:
                raise PartnerscoreError(f"no subscription {change.subscription_id!r}")
            hits[0]["program"] = change.program
        elif isinstance(change, AddUsage):
            # Usage can hold millions of rows: append in Arrow rather than through Python rows.
            base = arrow.get("usage") or _rows(tables, "usage")
            arrow["usage"] = pa.concat_tables([base, pa.Table.from_pylist([_usage_row(change)], schema=base.schema)])
    for name, changed in rows.items():
        arrow[name] = pa.Table.from_pylist(changed, schema=_rows(tables, name).schema)
    return arrow


def _next_seq(rows: list[dict]) -> int:
    return max((r["version_seq"] for r in rows), default=0) + 1


def _holding_version(rows: list[dict], association_id: str, day: date) -> dict:
    versions = [r for r in rows if r["association_id"] == association_id and r["known_from"] <= day]
    if not versions:
        raise PartnerscoreError(f"no association {association_id!r} is known on {day}")
    return dict(max(versions, key=lambda r: (r["known_from"], r["version_seq"])))


def _association_row(change: AddAssociation, rows: list[dict]) -> dict:
    row = change.model_dump(exclude={"action"})
    return {**row, "workload_key": workload_key(change.workload) if change.workload else None,
            "principal_id": None, "principal_type": None, "recorded_at": None,
            "known_from": change.start_date, "version_seq": _next_seq(rows),
            "imported_at": datetime.now(), "import_id": "whatif"}


def _usage_row(change: AddUsage) -> dict:
    def micros(amount):
        return None if amount is None else round(amount * MICROS_PER_DOLLAR)
    return {"month": date.fromisoformat(change.month + "-01"), "tenant_id": change.tenant_id,
            "subscription_id": change.subscription_id, "workload": change.workload,
            "workload_key": workload_key(change.workload), "acr_micros": micros(change.acr_usd),
            "paid_units": change.paid_units, "active_units": change.active_units,
            "revenue_micros": micros(change.revenue_usd)}


def changed_tables(tables: Tables, changes: list[Change], day: date) -> Tables:
    """Tables with the scenario applied, registered as `ps_whatif_<table>` beside the stored ones."""
    replaced = {}
    for name, arrow in _apply(tables, changes, day).items():
        replaced[name] = register_arrow(tables.backend, f"ps_whatif_{name}", arrow)
    return Tables(tables.backend, *(replaced.get(n, getattr(tables, n)) for n in TABLE_NAMES))


@dataclass
class MetricDelta:
    """One metric before and after the scenario."""

    area: str
    metric: str
    before: float
    after: float
    value_before: float | int | None
    value_after: float | int | None
    entered: list[dict] = field(default_factory=list)  # customers, pairs, services, people (engine/movers.py)
    left: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)

    @property
    def delta(self) -> float:
        return round_half_up(self.after - self.before)


@dataclass
class WhatIf:
    """A partner's six areas before and after a scenario."""

    partner_id: str
    as_of: date
    before: ScoreReport
    after: ScoreReport
    deltas: list[MetricDelta] = field(default_factory=list)

    def to_json(self) -> dict:
        areas = []
        for b, a in zip(self.before.partner(self.partner_id).areas, self.after.partner(self.partner_id).areas):
            areas.append({"area": b.area, "track_before": b.track, "track_after": a.track,
                          "points_before": round_half_up(b.points), "points_after": round_half_up(a.points),
                          "qualified_before": b.qualified, "qualified_after": a.qualified,
                          "metrics": [{"metric": d.metric, "before": d.before, "after": d.after, "delta": d.delta,
                                       "value_before": d.value_before, "value_after": d.value_after,
                                       "entered": d.entered, "left": d.left, "changed": d.changed}
                                      for d in self.deltas if d.area == b.area]})
        return {"partner_id": self.partner_id, "as_of": self.as_of.isoformat(), "areas": areas}


def areas_moved(tables: Tables, rules: RuleSet, changes: list[Change]) -> list[str]:
    """The areas a scenario can move: those whose rules read what it changes.

    A certification moves only the areas that list it (only skilling reads certifications); an
    association moves only the areas whose rules name its type group. Usage and licensing programs feed
    every area's usage metrics and path choice, so they move all six.
    """
    moved: set[str] = set()
    for change in changes:
        if isinstance(change, (AddCertification, ExpireCertification)):
            moved.update(rules.areas_listing(change.certification))
        elif isinstance(change, AddAssociation):
            moved.update(rules.areas_reading(change.type))
        elif isinstance(change, EndAssociation):
            stored = tables.associations.filter(tables.associations.association_id == change.association_id)
            for kind in stored.select("type").distinct().to_pyarrow().column("type").to_pylist():
                moved.update(rules.areas_reading(kind))
        else:
            return list(AREAS)
    return [area for area in AREAS if area in moved]


def whatif(tables: Tables, partner_id: str, day: date, changes: list[Change], *,
           before: ScoreReport | None = None, why: bool = True) -> WhatIf:
    """Score `partner_id` as of `day` before and after the scenario's changes.

    Only the areas the scenario can move are scored again (`areas_moved`); the others are the same
    before and after. `before` is the partner's score on the stored ledger when the caller has it.
    With `why`, each metric that moved lists the customers, pairs, services or people that entered,
    left or changed their share (the engine's per-entity facts on both copies of the ledger).
    """
    rules = rules_at(day)
    before = before or score(tables, day, rules=rules, partners=[partner_id])
    if not any(p.partner_id == partner_id for p in before.partners):
        raise PartnerscoreError(f"unknown partner {partner_id!r}")
    changed = changed_tables(tables, changes, day)
    moved = areas_moved(tables, rules, changes)
    rescored = score(changed, day, rules=rules, partners=[partner_id], areas=moved) if moved else None
    again = {a.area: a for a in rescored.partner(partner_id).areas} if rescored else {}
    after_areas = [again.get(a.area, a) for a in before.partner(partner_id).areas]
    after = ScoreReport(before.as_of, before.rules_version, [PartnerScore(partner_id, after_areas)])
    deltas = []
    for b, a in zip(before.partner(partner_id).areas, after_areas):
        for mb, ma in zip(b.metrics, a.metrics):
            deltas.append(MetricDelta(b.area, mb.metric, round_half_up(mb.points), round_half_up(ma.points),
                                      mb.value, ma.value))
    if why:
        _explain_moves(tables, changed, partner_id, day, before.partner(partner_id).areas, after_areas, deltas)
    return WhatIf(partner_id, day, before, after, deltas)


def _explain_moves(tables: Tables, changed: Tables, partner_id: str, day: date, before: list[AreaScore],
                   after: list[AreaScore], deltas: list[MetricDelta]) -> None:
    """Fill each moved metric's entered, left and changed entities (only areas with a moved metric)."""
    moved = {(d.area, d.metric) for d in deltas if (d.before, d.value_before) != (d.after, d.value_after)}
    if not moved:
        return

    def wanted(areas: list[AreaScore]) -> dict[str, AreaScore]:
        return {a.area: replace(a, metrics=[m for m in a.metrics if (a.area, m.metric) in moved])
                for a in areas if any(area == a.area for area, _ in moved)}
    facts_before = metric_facts(tables, partner_id, day, wanted(before))
    facts_after = metric_facts(changed, partner_id, day, wanted(after))
    for d in deltas:
        if (d.area, d.metric) in moved:
            d.entered, d.left, d.changed = moves(facts_before.get((d.area, d.metric), []),
                                                 facts_after.get((d.area, d.metric), []))
