"""Explained changes between two days (`partnerscore diff`).

For every area whose score moved (its points, qualification, track or rule version, or a metric's
value or points): the points per metric on both days, and the entities behind the move — customers,
tenant × workload pairs, Azure services, people — that entered or left the metric or whose
contribution changed, each in the metric's unit, from the engine's per-entity facts on both days
(`engine/movers.py`). The areas that did not move are only named (`unchanged`). When a different rule
version is in force on the two days, the rule changes of each area are listed too: a move can come
from the rules rather than from the ledger.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time

import pyarrow.compute as pc

from partnerscore.engine.connect import TABLE_NAMES, Tables, register_arrow
from partnerscore.engine.movers import metric_facts, moves
from partnerscore.engine.report import AreaScore, round_half_up
from partnerscore.engine.scoring import score
from partnerscore.errors import PartnerscoreError
from partnerscore.rules.load import rules_at
from partnerscore.rules.schema import AreaRules

RULE_FIELDS = ("max_points", "threshold", "per_unit")


@dataclass
class MetricChange:
    """One metric on both days, and the entities that moved it."""

    metric: str
    points_from: float
    points_to: float
    value_from: float | int | None
    value_to: float | int | None
    entered: list[dict] = field(default_factory=list)
    left: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)

    @property
    def delta(self) -> float:
        return round_half_up(self.points_to - self.points_from)


@dataclass
class AreaChange:
    """One area on both days."""

    area: str
    track_from: str | None
    track_to: str | None
    points_from: float
    points_to: float
    qualified_from: bool
    qualified_to: bool
    metrics: list[MetricChange]
    rule_changes: list[str] = field(default_factory=list)


@dataclass
class Diff:
    """A partner's score on two days, explained."""

    partner_id: str
    from_day: date
    to_day: date
    recorded_on: date | None
    rules_from: str
    rules_to: str
    areas: list[AreaChange]
    unchanged: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        doc = asdict(self)
        for key in ("from_day", "to_day", "recorded_on"):
            doc[key] = doc[key].isoformat() if doc[key] else None
        return doc


def _as_recorded(tables: Tables, recorded_on: date | None) -> Tables:
    """The ledger as the partner knew it on `recorded_on`: association rows imported by then.

    The same rows `score(..., recorded_on=...)` reads; a copy lets the per-entity facts see them too.
    """
    if recorded_on is None:
        return tables
    rows = tables.associations.to_pyarrow()
    known = rows.filter(pc.less_equal(rows["imported_at"], datetime.combine(recorded_on, time.max)))
    associations = register_arrow(tables.backend, "ps_diff_associations", known)
    return Tables(tables.backend, *(associations if n == "associations" else getattr(tables, n) for n in TABLE_NAMES))


def rule_changes(old: AreaRules, new: AreaRules) -> list[str]:
    """What differs between two versions of an area's rules, one sentence each."""
    if old.effective_from == new.effective_from:
        return []
    out = [f"rules {old.effective_from} → {new.effective_from} ({new.title})"]
    for path in sorted(old.paths.keys() - new.paths.keys()):
        out.append(f"path {path} removed")
    for path in sorted(new.paths.keys() - old.paths.keys()):
        out.append(f"path {path} added")
    for path in sorted(old.paths.keys() & new.paths.keys()):
        for metric in new.paths[path]:
            a, b = old.paths[path].get(metric), new.paths[path][metric]
            if a is None:
                out.append(f"{path}.{metric} added")
                continue
            for key in RULE_FIELDS:
                if getattr(a, key) != getattr(b, key):
                    out.append(f"{path}.{metric}.{key}: {getattr(a, key)} → {getattr(b, key)}")
            for key in sorted(set(a.params) | set(b.params)):
                if a.params.get(key) != b.params.get(key):
                    out.append(f"{path}.{metric}.{key} changed")
    if old.qualify.min_total != new.qualify.min_total or old.qualify.min_metric_points != new.qualify.min_metric_points:
        out.append(f"qualify: {old.qualify.min_total}/{old.qualify.min_metric_points} → "
                   f"{new.qualify.min_total}/{new.qualify.min_metric_points}")
    return out


def diff(tables: Tables, partner: str, from_day: date, to_day: date, *, recorded_on: date | None = None,
         areas: list[str] | None = None) -> Diff:
    """`partner`'s score on `from_day` and `to_day`, and the entities and rules behind every change."""
    if to_day < from_day:
        raise PartnerscoreError(f"--to {to_day} is before --from {from_day}")
    seen = _as_recorded(tables, recorded_on)
    reports = [score(seen, d, partners=[partner]) for d in (from_day, to_day)]
    if not reports[0].partners:
        raise PartnerscoreError(f"unknown partner {partner!r}; `partnerscore score` lists the partners")
    old, new = (r.partner(partner) for r in reports)
    rules_from, rules_to = rules_at(from_day), rules_at(to_day)
    asked = [(a, b) for a, b in zip(old.areas, new.areas) if areas is None or a.area in areas]
    moved = {a.area: (a, b) for a, b in asked if _moved(a, b, rules_from.areas[a.area], rules_to.areas[a.area])}
    facts_from = metric_facts(seen, partner, from_day, {k: v[0] for k, v in moved.items()}) if moved else {}
    facts_to = metric_facts(seen, partner, to_day, {k: v[1] for k, v in moved.items()}) if moved else {}
    changes = []
    for area, (a, b) in moved.items():
        metrics = []
        for ma, mb in zip(a.metrics, b.metrics):
            entered, left, changed = moves(facts_from.get((area, ma.metric), []), facts_to.get((area, mb.metric), []))
            metrics.append(MetricChange(ma.metric, round_half_up(ma.points), round_half_up(mb.points), ma.value, mb.value,
                                        entered, left, changed))
        changes.append(AreaChange(area, a.track, b.track, round_half_up(a.points), round_half_up(b.points), a.qualified,
                                  b.qualified, metrics, rule_changes(rules_from.areas[area], rules_to.areas[area])))
    unchanged = [a.area for a, _b in asked if a.area not in moved]
    return Diff(partner, from_day, to_day, recorded_on, rules_from.version, rules_to.version, changes, unchanged)


def _moved(old: AreaScore, new: AreaScore, rules_old: AreaRules, rules_new: AreaRules) -> bool:
    """Whether an area moved: its points, qualification, track, rule version, or a metric's value or points."""
    return old.to_json() != new.to_json() or rules_old.effective_from != rules_new.effective_from
