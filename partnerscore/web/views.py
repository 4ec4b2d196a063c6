"""Library results as the API's models: one function per view, shared by a JSON route and its page.

Nothing here computes a rule: points, tracks and statuses come from the library; thresholds and
titles are read from the rule data in force on the day.
"""

from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache

from partnerscore.engine.report import AreaScore, PartnerScore, ScoreReport, round_half_up
from partnerscore.rules.load import RuleSet, rules_at
from partnerscore.rules.schema import AREAS, MetricRule
from partnerscore.web import schemas as s
from partnerscore.web.data import DataService
from partnerscore.web.errors import ApiError

#: Most rows a scoped listing gathers per partner before paging (a reseller's ledger is far smaller).
SCOPED_LISTING_MAX = 200_000


@lru_cache(maxsize=64)
def rules(day: date) -> RuleSet:
    return rules_at(day)


def metric_rule(metric: str, rule: MetricRule) -> dict:
    by_type = rule.params.get("by_type")
    return {"metric": metric, "max_points": rule.max_points, "threshold": rule.threshold,
            "threshold_by_type": dict(by_type) if by_type else None}


def areas(day: date) -> s.AreasPublic:
    ruleset = rules(day)
    data = [s.AreaRulesPublic(
        area=a.area, title=a.title, effective_from=a.effective_from, min_total=a.qualify.min_total,
        min_metric_points=a.qualify.min_metric_points,
        tracks={path: [s.MetricRulePublic(**metric_rule(m, r)) for m, r in metrics.items()]
                for path, metrics in a.paths.items()}) for a in (ruleset.areas[x] for x in AREAS)]
    return s.AreasPublic(as_of=day, rules_version=ruleset.version, data=data, count=len(data))


def area_score(area: AreaScore, ruleset: RuleSet) -> s.AreaScorePublic:
    a = ruleset.areas[area.area]
    path = a.paths[area.track or next(iter(a.paths))]
    return s.AreaScorePublic(
        area=area.area, title=a.title, track=area.track, points=round_half_up(area.points),
        min_total=a.qualify.min_total, qualified=area.qualified,
        metrics=[s.MetricPublic(value=m.value, points=round_half_up(m.points), **metric_rule(m.metric, path[m.metric]))
                 for m in area.metrics])


def score(partner: PartnerScore, report: ScoreReport, names: dict[str, dict]) -> s.ScorePublic:
    ruleset = rules(report.as_of)
    return s.ScorePublic(partner_id=partner.partner_id, name=(names.get(partner.partner_id) or {}).get("name"),
                         as_of=report.as_of, rules_version=report.rules_version,
                         areas=[area_score(a, ruleset) for a in partner.areas])


def scores(report: ScoreReport, names: dict[str, dict]) -> s.ScoresPublic:
    data = [score(p, report, names) for p in report.partners]
    return s.ScoresPublic(as_of=report.as_of, rules_version=report.rules_version, data=data, count=len(data))


def partner_report(db: DataService, partner: str, day: date) -> PartnerScore:
    report = db.score(day, frozenset([partner]))
    if not report.partners:
        raise ApiError(404, f"partner {partner} has no score as of {day}")
    return report.partner(partner)


def area_detail(db: DataService, partner: str, area: str, day: date) -> s.AreaDetailPublic:
    report = db.score(day, frozenset([partner]))
    detail = area_score(report.partner(partner).area(area), rules(day))
    return s.AreaDetailPublic(partner_id=partner, as_of=day, rules_version=report.rules_version,
                              **detail.model_dump())


def month_ends(day: date, months: int) -> list[date]:
    """The last `months` month-ends on or before `day`, oldest first."""
    year, month = day.year, day.month
    if day.day != calendar.monthrange(year, month)[1]:
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    ends = []
    for _ in range(months):
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return ends[::-1]


def trend(db: DataService, partner: str, area: str, day: date, months: int) -> s.TrendPublic:
    """The area's points at each of the last `months` month-ends (one cached scoring per day)."""
    points = []
    for end in month_ends(day, months):
        report = db.score(end, frozenset([partner]))
        if not report.partners:
            continue
        a = report.partner(partner).area(area)
        points.append(s.TrendPointPublic(as_of=end, track=a.track, points=round_half_up(a.points),
                                         qualified=a.qualified,
                                         metrics={m.metric: round_half_up(m.points) for m in a.metrics}))
    return s.TrendPublic(partner_id=partner, area=area, min_total=rules(day).areas[area].qualify.min_total,
                         data=points, count=len(points))


def conflicts_by_association(db: DataService, day: date) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for f in db.findings(day):
        if f.association_id:
            found.setdefault(f.association_id, []).append(f"{f.check}: {f.reason}")
    return found


def associations(db: DataService, day: date, scope: frozenset[str] | None, *, partner: str | None,
                 limit: int, offset: int, **filters) -> s.AssociationsPublic:
    """One page of the ledger, limited to the partners in `scope`, each row with its findings."""
    if partner is not None or scope is None or len(scope) == 1:
        one = partner or (next(iter(scope)) if scope else None)
        rows, total = db.associations(day, partner=one, limit=limit, offset=offset, **filters)
    else:
        # The library filters by one partner: gather each partner's rows, drop repeats, then page.
        merged: dict[str, dict] = {}
        for p in sorted(scope):
            part, _ = db.associations(day, partner=p, limit=SCOPED_LISTING_MAX, offset=0, **filters)
            merged.update((r["association_id"], r) for r in part)
        ordered = sorted(merged.values(), key=lambda r: (r["partner_id"], r["association_id"]))
        rows, total = ordered[offset:offset + limit], len(ordered)
    conflicts = conflicts_by_association(db, day)
    data = [s.AssociationPublic(**r, conflicts=conflicts.get(r["association_id"], [])) for r in rows]
    return s.AssociationsPublic(as_of=day, data=data, count=total, limit=limit, offset=offset)


def findings(db: DataService, day: date, scope: frozenset[str] | None, partner: str | None,
             severity: str | None, *, limit: int | None = None, offset: int = 0) -> s.FindingsPublic:
    """The findings in `scope` matching the filters: `limit` of them from `offset` (None: all)."""
    rows = [f.to_json() for f in db.findings(day)]
    rows = [r for r in rows if (scope is None or r["partner_id"] in scope)
            and partner in (None, r["partner_id"]) and severity in (None, r["severity"])]
    page = rows[offset:] if limit is None else rows[offset:offset + limit]
    return s.FindingsPublic(as_of=day, data=page, count=len(rows), limit=limit, offset=offset)


def import_report(report) -> s.ImportPublic:
    """The import's report, the same document as `partnerscore import --format json` but with the first
    changed rows of each table only (`changes_url` pages through them all)."""
    return s.ImportPublic(**report.to_json(), changes_url=f"/api/imports/{report.import_id}/changes")
