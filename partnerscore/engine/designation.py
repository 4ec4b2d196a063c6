"""Solutions Partner designation status: did the partner qualify on at least one day of its window?

The window (program-rules section 2) comes from the rule version in force: before 2023-09-19 the 30
days up to the day (or after the anniversary); then the current month and the five before it, from the
same day five months earlier; from the 2024 pages on, from the first day of the fifth previous full
calendar month. An enrolled partner's window is its anniversary month and the five months before it.

A score can only change on a month's last day (the scoring month moves, R1) or on a day a partner's
certification starts or stops counting (R9), so the window is checked on those days and on its last
day — every distinct score in the window is seen, without scoring every day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ibis import _

from partnerscore.engine.connect import Tables
from partnerscore.engine.months import add_months, month_end, month_start
from partnerscore.engine.report import round_half_up
from partnerscore.engine.scoring import score
from partnerscore.rules.load import rules_at
from partnerscore.rules.schema import AREAS, QualificationWindow


def window(rule: QualificationWindow, day: date, anniversary: date | None = None) -> tuple[date, date]:
    """The first and last day of the qualification window for `day` (or for an enrolled partner's anniversary)."""
    if anniversary is not None:
        if rule.kind == "days":
            return anniversary, anniversary + timedelta(days=rule.length - 1)
        return add_months(month_start(anniversary), -(rule.length - 1)), month_end(anniversary)
    if rule.kind == "days":  # before 2023-09-19 a new partner qualified on the day itself
        return day, day
    start = add_months(month_start(day), -(rule.length - 1))
    if rule.kind == "months_same_day":
        start = start.replace(day=min(day.day, month_end(start).day))
    return start, day


def _candidate_days(tables: Tables, rules, partner_id: str, first: date, last: date) -> list[date]:
    days = {last}
    for area in rules.areas.values():  # a retiring certification stops counting the day after counts_until
        for certs in area.certification_lists.values():
            days.update(c.counts_until + timedelta(days=1) for c in certs
                        if c.counts_until and first <= c.counts_until + timedelta(days=1) <= last)
    month = month_start(first)
    while month <= last:
        if first <= month_end(month) <= last:
            days.add(month_end(month))
        month = add_months(month, 1)
    certs = tables.certifications.filter(_.partner_id == partner_id).select("earned_on", "expires_on")
    for row in certs.to_pyarrow().to_pylist():
        for changed in (row["earned_on"], row["expires_on"] and row["expires_on"] + timedelta(days=1)):
            if changed and first <= changed <= last:
                days.add(changed)
    return sorted(days)


@dataclass
class AreaDesignation:
    """One area's window: the days checked and the ones on which the partner qualified."""

    area: str
    window_start: date
    window_end: date
    qualified_days: list[date] = field(default_factory=list)
    best_points: float = 0.0
    best_day: date | None = None

    @property
    def eligible(self) -> bool:
        """Qualified on at least one day of the window: may enrol or renew."""
        return bool(self.qualified_days)

    def to_json(self) -> dict:
        return {"area": self.area, "window_start": self.window_start.isoformat(),
                "window_end": self.window_end.isoformat(), "eligible": self.eligible,
                "first_qualified_day": self.qualified_days[0].isoformat() if self.qualified_days else None,
                "best_points": self.best_points, "best_day": self.best_day and self.best_day.isoformat()}


def designation_status(tables: Tables, partner_id: str, day: date,
                       anniversary: date | None = None) -> list[AreaDesignation]:
    """Per area: whether `partner_id` qualified on a day of its window ending `day` (checked up to `day`)."""
    rules = rules_at(day)
    spans = {area: window(rules.areas[area].qualification_window, day, anniversary) for area in AREAS}
    first = min(s for s, _e in spans.values())
    last = min(max(e for _s, e in spans.values()), day)
    result = {area: AreaDesignation(area, *spans[area]) for area in AREAS}
    for checked in _candidate_days(tables, rules, partner_id, first, last):
        report = score(tables, checked, partners=[partner_id])
        for area_score in report.partner(partner_id).areas:
            status = result[area_score.area]
            if not status.window_start <= checked <= min(status.window_end, day):
                continue
            points = round_half_up(area_score.points)
            if area_score.qualified:
                status.qualified_days.append(checked)
            if points > status.best_points or status.best_day is None:
                status.best_points, status.best_day = points, checked
    return [result[area] for area in AREAS]
