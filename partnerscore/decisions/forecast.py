"""Window forecast (`partnerscore forecast`), and the usage trend model it and `plan --by` share.

The forecast scores the partner at each of the next month ends with the unchanged engine, on the
stored ledger (its end dates and expiries count as they are) plus usage projected for months not yet
reported, and flags areas that stop qualifying and metrics that fall below the rule's minimum.

Model: every (subscription, workload) carries forward the average of its last `TREND_MONTHS` reported
months (a month without a row counts as zero), for every measure (ACR, paid and active units,
revenue). It is deliberately plain: flat, no growth, no seasonality, so a projected score changes only
through what the ledger already knows will change (associations ending, certifications expiring).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import pyarrow as pa
from ibis import _

from partnerscore.engine.as_of import last_reported_month
from partnerscore.engine.connect import TABLE_NAMES, Tables, register_arrow
from partnerscore.engine.months import add_months, month_end, month_range, scoring_month
from partnerscore.engine.report import round_half_up
from partnerscore.engine.scoring import score
from partnerscore.errors import PartnerscoreError
from partnerscore.rules.load import rules_at

TREND_MONTHS = 3
TREND_MODEL = f"each subscription × workload carries forward the average of its last {TREND_MONTHS} reported months"
MEASURES = ("acr_micros", "paid_units", "active_units", "revenue_micros")
#: Metrics below their minimum named in the forecast's summary before "and N more".
SHOWN = 6


def projected_usage(tables: Tables, through: date, months: int = TREND_MONTHS) -> pa.Table:
    """Usage rows for every month after the last reported one up to `through` (a month's first day)."""
    last = last_reported_month(tables)
    schema = tables.usage.schema().to_pyarrow()
    if last is None or through <= last:
        return schema.empty_table()
    window = [add_months(last, -k) for k in range(months)]
    recent = tables.usage.filter(_.month.isin(window))
    keys = ["tenant_id", "subscription_id", "workload", "workload_key"]
    means = recent.group_by(keys).aggregate(**{m: recent[m].sum() for m in MEASURES},
                                            **{f"has_{m}": recent[m].notnull().any() for m in MEASURES})
    rows = means.to_pyarrow().to_pylist()
    out = []
    for month in month_range(add_months(last, 1), through):
        for r in rows:
            row = {k: r[k] for k in keys}
            row["month"] = month
            for m in MEASURES:
                row[m] = round(r[m] / months) if r[f"has_{m}"] and r[m] is not None else None
            out.append(row)
    return pa.Table.from_pylist(out, schema=schema)


def with_projection(tables: Tables, through: date) -> Tables:
    """The tables with projected usage appended up to month `through` (unchanged if nothing to add)."""
    extra = projected_usage(tables, through)
    if extra.num_rows == 0:
        return tables
    stored = tables.usage.to_pyarrow()
    usage = register_arrow(tables.backend, "ps_projected_usage", pa.concat_tables([stored, extra.cast(stored.schema)]))
    return Tables(tables.backend, *(usage if n == "usage" else getattr(tables, n) for n in TABLE_NAMES))


@dataclass
class MonthForecast:
    """One area at one future month end."""

    day: date
    points: float
    qualified: bool
    track: str | None
    metrics: dict[str, float]


@dataclass
class AreaForecast:
    """One area month by month, and what is at risk."""

    area: str
    now: MonthForecast
    months: list[MonthForecast]
    risks: list[str] = field(default_factory=list)


@dataclass
class Forecast:
    """A partner's projected scores at the next month ends."""

    partner_id: str
    as_of: date
    model: str
    last_reported: date | None
    areas: list[AreaForecast]
    backtest: dict[str, float] | None = None
    summary: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        doc = asdict(self)
        doc["as_of"], doc["last_reported"] = self.as_of.isoformat(), self.last_reported and self.last_reported.isoformat()
        for area in doc["areas"]:
            for m in [area["now"], *area["months"]]:
                m["day"] = m["day"].isoformat()
        return doc


def _month(area, day: date) -> MonthForecast:
    return MonthForecast(day, round_half_up(area.points), area.qualified, area.track,
                         {m.metric: round_half_up(m.points) for m in area.metrics})


def forecast_days(as_of: date, months: int) -> list[date]:
    """The next `months` month ends after `as_of`."""
    first = add_months(as_of.replace(day=1), 1)
    return [month_end(add_months(first, k)) for k in range(months)]


def _fall(area: AreaForecast, metric: str, floor: int) -> MonthForecast | None:
    """The first month end on which `metric` falls below `floor` (or below its points now, when they
    are below `floor` already)."""
    now = area.now.metrics[metric]
    return next((m for m in area.months if m.metrics[metric] < min(now, floor)), None)


def _risks(area: AreaForecast, min_metric: dict[str, int]) -> list[str]:
    out = []
    if area.now.qualified:
        lost = next((m for m in area.months if not m.qualified), None)
        if lost:
            out.append(f"stops qualifying at {lost.day} ({area.now.points:g} → {lost.points:g} points)")
    for metric, now in area.now.metrics.items():
        fall = _fall(area, metric, min_metric[area.area])
        if fall:
            out.append(f"{metric} falls below {min_metric[area.area]} point at {fall.day} ({now:g} → "
                       f"{fall.metrics[metric]:g})")
    return out


def forecast(tables: Tables, partner: str, as_of: date, months: int = 6) -> Forecast:
    """`partner`'s projected score per area and metric at each of the next `months` month ends.

    The ledger's own dates count as they are (associations end, certifications expire, retiring
    certifications stop counting); usage of months not reported yet follows `TREND_MODEL`.
    """
    days = forecast_days(as_of, months)
    projected = with_projection(tables, days[-1].replace(day=1))
    now = score(tables, as_of, partners=[partner])
    if not now.partners:
        raise PartnerscoreError(f"unknown partner {partner!r}; `partnerscore score` lists the partners")
    ahead = [score(projected, d, partners=[partner]).partner(partner) for d in days]
    rules = rules_at(days[-1])
    min_metric = {a: rules.areas[a].qualify.min_metric_points for a in rules.areas}
    areas = []
    for i, area in enumerate(now.partner(partner).areas):
        fc = AreaForecast(area.area, _month(area, as_of), [_month(p.areas[i], d) for p, d in zip(ahead, days)])
        fc.risks = _risks(fc, min_metric)
        gained = next((m for m in fc.months if m.qualified), None)
        if not area.qualified and gained:
            fc.risks.append(f"(not at risk) starts qualifying at {gained.day} ({gained.points:g} points)")
        areas.append(fc)
    qualify = {a: rules.areas[a].qualify for a in rules.areas}
    return Forecast(partner, as_of, TREND_MODEL, last_reported_month(tables), areas,
                    summary=[qualification_summary(areas, qualify), metric_summary(areas, min_metric)])


def _first(months: list[MonthForecast], qualified: bool) -> MonthForecast | None:
    return next((m for m in months if m.qualified is qualified), None)


def qualification_summary(areas: list[AreaForecast], qualify: dict) -> str:
    """One sentence on qualification now and at the month ends ahead: what holds, what is lost, what is
    gained, and, when nothing is gained, how close the nearest area comes (never "nothing is lost"
    alone for a partner that has nothing to lose)."""
    last, ends = areas[0].months[-1].day, len(areas[0].months)
    now = [a for a in areas if a.now.qualified]
    lost = [(a.area, _first(a.months, False)) for a in now if _first(a.months, False)]
    kept = [a.area for a in now if not _first(a.months, False)]
    gained = [(a.area, _first(a.months, True)) for a in areas if not a.now.qualified and _first(a.months, True)]
    parts = [f"qualified now in {', '.join(a.area for a in now)}" if now else "qualifies in no area now"]
    parts += [f"{area} stops qualifying at {m.day}" for area, m in lost]
    if kept:
        parts.append(f"{_names(kept)} {'stays' if len(kept) == 1 else 'stay'} qualified through {last}")
    parts += [f"{area} starts qualifying at {m.day} ({m.points:g} points)" for area, m in gained]
    others = [a for a in areas if not a.now.qualified and not _first(a.months, True)]
    if others and not gained:
        parts.append(f"{'no other area' if now else 'no area'} qualifies at any of the next {ends} month ends"
                     + _closest(others, qualify))
    return "; ".join(parts)


def _names(areas: list[str]) -> str:
    return areas[0] if len(areas) == 1 else ", ".join(areas[:-1]) + " and " + areas[-1]


def _closest(areas: list[AreaForecast], qualify: dict) -> str:
    """The month end on which an area not qualifying comes nearest, and what it lacks then."""
    area, best = max(((a, m) for a in areas for m in a.months), key=lambda am: (am[1].points, am[1].day))
    rule = qualify[area.area]
    if best.points >= rule.min_total:
        short = [metric for metric, points in best.metrics.items() if points < rule.min_metric_points]
        return (f" (closest: {area.area}, {best.points:g} points at {best.day}, but {', '.join(short)} "
                f"below {rule.min_metric_points} point)")
    return f" (closest: {area.area}, {best.points:g} of the {rule.min_total} points needed at {best.day})"


def metric_summary(areas: list[AreaForecast], min_metric: dict[str, int]) -> str:
    """One sentence on the metrics: how many fall below their minimum ahead, or that none does, and which
    are below it already (a metric at 0 now cannot fall, which is no good news)."""
    falling = sum(1 for a in areas for metric in a.now.metrics if _fall(a, metric, min_metric[a.area]))
    below = [f"{a.area}.{metric}" for a in areas for metric, points in a.now.metrics.items()
             if points < min_metric[a.area]]
    if not falling:
        head = "no metric that reaches its minimum now falls below it"
    else:
        head = "1 metric falls below its minimum" if falling == 1 else f"{falling} metrics fall below their minimum"
    if not below:
        return head
    shown = ", ".join(below[:SHOWN]) + (f" and {len(below) - SHOWN} more" if len(below) > SHOWN else "")
    return head + f"; {len(below)} metric{'s are' if len(below) != 1 else ' is'} below it already: {shown}"


def truncated(tables: Tables, last_month: date) -> Tables:
    """The tables as if usage had been reported only up to `last_month` (for backtests)."""
    usage = tables.usage.filter(_.month <= last_month).to_pyarrow()
    kept = register_arrow(tables.backend, "ps_backtest_usage", usage)
    return Tables(tables.backend, *(kept if n == "usage" else getattr(tables, n) for n in TABLE_NAMES))


def backtest(tables: Tables, partner: str, as_of: date, months: int = 3) -> dict[str, float]:
    """Mean absolute error of the forecast made on `as_of` (usage cut there) against the actual scores,
    per area, in points."""
    past = truncated(tables, scoring_month(as_of))
    made = forecast(past, partner, as_of, months)
    errors = {}
    for day_index, day in enumerate(forecast_days(as_of, months)):
        actual = score(tables, day, partners=[partner]).partner(partner)
        for area in made.areas:
            real = round_half_up(actual.area(area.area).points)
            errors.setdefault(area.area, []).append(abs(area.months[day_index].points - real))
    return {area: round(sum(e) / len(e), 2) for area, e in errors.items()}
