"""The score report: exact points per metric and area, and the data contract's JSON document.

Points arrive as integers in units of 1/scale point and stay exact (`Fraction`) until output, which
rounds each metric's points and the area total half-up to two decimals (R6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from partnerscore.rules.load import RuleSet

if TYPE_CHECKING:  # pragma: no cover - import only for type checkers
    from partnerscore.engine.as_of import ScoringDay


def round_half_up(value: Fraction | float, places: int = 2) -> float:
    """Round half away from zero to `places` decimals, exactly for fractions.

    >>> round_half_up(Fraction(40, 6) * 3), round_half_up(Fraction(1, 200))
    (20.0, 0.01)
    """
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(repr(value))
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@dataclass
class MetricScore:
    """One metric of the path that counts."""

    metric: str
    value: float | int | None
    points: Fraction
    max_points: int

    def to_json(self) -> dict:
        return {"metric": self.metric, "value": self.value, "points": round_half_up(self.points),
                "max_points": self.max_points}


@dataclass
class AreaScore:
    """One solution area for one partner: the path that counts, total and qualification."""

    area: str
    track: str | None
    points: Fraction
    qualified: bool
    metrics: list[MetricScore] = field(default_factory=list)

    def metric(self, name: str) -> MetricScore:
        return next(m for m in self.metrics if m.metric == name)

    def to_json(self) -> dict:
        return {"area": self.area, "track": self.track, "points": round_half_up(self.points),
                "qualified": self.qualified, "metrics": [m.to_json() for m in self.metrics]}


@dataclass
class PartnerScore:
    """The six areas of one partner."""

    partner_id: str
    areas: list[AreaScore] = field(default_factory=list)

    def area(self, name: str) -> AreaScore:
        return next(a for a in self.areas if a.area == name)

    def to_json(self) -> dict:
        return {"partner_id": self.partner_id, "areas": [a.to_json() for a in self.areas]}


@dataclass
class ScoreReport:
    """Every partner's score as of one day under one rule version.

    `day`, when the caller resolved one, says how the day was chosen (named, or the ledger's default)
    and carries its warnings, so that every front end says the same; the contract's document
    (`to_json`) leaves it to them.
    """

    as_of: date
    rules_version: str
    partners: list[PartnerScore]
    day: ScoringDay | None = field(default=None, compare=False)

    def partner(self, partner_id: str) -> PartnerScore:
        return next(p for p in self.partners if p.partner_id == partner_id)

    def to_json(self) -> dict:
        """The data contract's output document."""
        return {"as_of": self.as_of.isoformat(), "rules_version": self.rules_version,
                "partners": [p.to_json() for p in self.partners]}


def _value(raw: float | None) -> float | int | None:
    """A metric's raw figure for output: whole numbers as integers, others to two decimals."""
    if raw is None:
        return None
    if float(raw).is_integer():
        return int(raw)
    return round_half_up(raw)


def build_report(rows: list[dict], *, day: date, rules: RuleSet) -> ScoreReport:
    """Assemble executed score rows (ordered by partner, area, metric) into a report."""
    scale = rules.points_scale
    partners: dict[str, PartnerScore] = {}
    for row in rows:
        partner = partners.setdefault(row["partner_id"], PartnerScore(row["partner_id"]))
        area_rules = rules.areas[row["area"]]
        if not partner.areas or partner.areas[-1].area != row["area"]:
            track = row["path"] if len(area_rules.paths) > 1 else None
            partner.areas.append(AreaScore(row["area"], track, Fraction(row["total"], scale), row["qualified"]))
        partner.areas[-1].metrics.append(MetricScore(
            row["metric"], _value(row["value"]), Fraction(row["points"], scale), row["max_points"]))
    return ScoreReport(as_of=day, rules_version=rules.version, partners=list(partners.values()))
