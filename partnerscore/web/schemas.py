"""Response and request models of the REST API; each page renders the same model as its JSON twin.

Families follow the FastAPI template: `XPublic` for one item, `XsPublic(data, count)` for a list.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from partnerscore.engine.as_of import out_of_range
from partnerscore.limits import PLAN_CUSTOMERS, WHATIF_CHANGES


def _in_range(day: date) -> date:
    reason = out_of_range(day)
    if reason:
        raise ValueError(reason)  # pydantic reports it under the field's name: a 422
    return day


#: A day named in a request body: from the first rule version to a year after today (422 otherwise).
Day = Annotated[date, AfterValidator(_in_range)]


class ErrorBody(BaseModel):
    code: str = Field(description="A short machine-readable code, e.g. `forbidden`, `invalid_request`.")
    message: str = Field(description="What was wrong, in one sentence a person can act on.")
    details: Any = None


class ErrorPublic(BaseModel):
    """Every error response."""

    error: ErrorBody


class MePublic(BaseModel):
    name: str
    role: str
    partners: list[str] | None = Field(description="Partners this user may see; null means every partner.")


class PartnerPublic(BaseModel):
    partner_id: str
    name: str | None = None
    role: str | None = None
    parent_partner_id: str | None = None


class PartnersPublic(BaseModel):
    data: list[PartnerPublic]
    count: int


class MetricRulePublic(BaseModel):
    metric: str
    max_points: int
    threshold: int | None = Field(None, description="Units for full points, when one threshold applies.")
    threshold_by_type: dict[str, int] | None = Field(None, description="Units for full points per association type.")


class AreaRulesPublic(BaseModel):
    area: str
    title: str
    effective_from: date
    min_total: int
    min_metric_points: int
    tracks: dict[str, list[MetricRulePublic]]


class AreasPublic(BaseModel):
    as_of: date
    rules_version: str
    data: list[AreaRulesPublic]
    count: int


class MetricPublic(MetricRulePublic):
    value: float | int | None
    points: float


class AreaScorePublic(BaseModel):
    area: str
    title: str
    track: str | None
    points: float
    min_total: int
    qualified: bool
    metrics: list[MetricPublic]


class ScorePublic(BaseModel):
    """One partner's six areas as of a day."""

    partner_id: str
    name: str | None = None
    as_of: date
    rules_version: str
    areas: list[AreaScorePublic]


class ScoresPublic(BaseModel):
    as_of: date
    rules_version: str
    data: list[ScorePublic]
    count: int


class AreaDetailPublic(AreaScorePublic):
    partner_id: str
    as_of: date
    rules_version: str


class TrendPointPublic(BaseModel):
    as_of: date
    track: str | None
    points: float
    qualified: bool
    metrics: dict[str, float]


class TrendPublic(BaseModel):
    partner_id: str
    area: str
    min_total: int
    data: list[TrendPointPublic]
    count: int


class MetricExplanationPublic(BaseModel):
    metric: str
    value: float | int | None
    points: float
    max_points: int
    rule: str
    to_gain: str
    facts: list[dict[str, Any]] = Field(description="Customers, workloads, people … behind the value.")
    why_zero: str | None = Field(None, description="The rule threshold that holds a value worth points at 0.")


class ExplanationPublic(BaseModel):
    partner_id: str
    area: str
    as_of: date
    rules_version: str
    track: str | None
    points: float
    qualified: bool
    verdict: str
    metrics: list[MetricExplanationPublic]
    associations: list[dict[str, Any]] = Field(description="Each association of the partner and its status here.")


class AssociationPublic(BaseModel):
    association_id: str
    partner_id: str
    type: str
    tenant_id: str | None = None
    subscription_id: str | None = None
    workload: str | None = None
    rbac_role: str | None = None
    incentive: bool | None = None
    poe_status: str | None = None
    indirect_provider_id: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    effective_end: date | None = None
    recorded_at: date | datetime | None = None
    status: str
    reason: str | None = None
    conflicts: list[str] = Field(default_factory=list, description="Reasons of ledger findings on this row.")


class AssociationsPublic(BaseModel):
    as_of: date
    data: list[AssociationPublic]
    count: int = Field(description="Rows matching the filters (all pages).")
    limit: int
    offset: int


class FindingPublic(BaseModel):
    severity: str
    check: str
    association_id: str | None
    partner_id: str | None
    tenant_id: str | None
    subscription_id: str | None
    reason: str


class FindingsPublic(BaseModel):
    as_of: date
    data: list[FindingPublic]
    count: int = Field(description="Findings matching the filters (all pages).")
    limit: int | None = Field(None, description="Rows in the page (None: every finding, as the findings page shows).")
    offset: int = 0


class WhatIfRequest(BaseModel):
    """A scenario: changes as in `partnerscore.engine.whatif` (add_association, end_association, …)."""

    as_of: Day | None = None
    changes: list[dict[str, Any]] = Field(min_length=WHATIF_CHANGES.low, max_length=WHATIF_CHANGES.high)


class EntityMovePublic(BaseModel):
    entity_kind: str
    entity: str
    part: str | None
    contribution: float | int | None = Field(description="The change of the entity's contribution, in `unit`.")
    unit: str | None = Field(None, description="customers, pairs, deployments, services, people, active users, "
                                               "protected users, MCV, USD ACR or USD Security ACR.")
    status: str | None


class WhatIfMetricPublic(BaseModel):
    metric: str
    before: float
    after: float
    delta: float
    value_before: float | int | None
    value_after: float | int | None
    entered: list[EntityMovePublic] = Field(description="Customers, pairs, services or people now counted.")
    left: list[EntityMovePublic] = Field(description="Those counted before and not after.")
    changed: list[EntityMovePublic] = Field(description="Those counted both times with another contribution.")


class WhatIfAreaPublic(BaseModel):
    area: str
    track_before: str | None
    track_after: str | None
    points_before: float
    points_after: float
    qualified_before: bool
    qualified_after: bool
    metrics: list[WhatIfMetricPublic]


class WhatIfPublic(BaseModel):
    partner_id: str
    as_of: date
    areas: list[WhatIfAreaPublic]


class BadRowPublic(BaseModel):
    file: str
    row: int
    column: str | None
    reason: str
    message: str = Field(description="The one-line message the command line prints.")


class ChangePublic(BaseModel):
    """A stored row an import changed: its key, and the columns that changed, before and after (text)."""

    table: str
    key: dict[str, str | None]
    columns: list[str]
    before: dict[str, str | None]
    after: dict[str, str | None]


class ImportPublic(BaseModel):
    import_id: str
    status: str
    imported_at: datetime
    files: list[str]
    tables: list[str] = Field(description="The contract tables the upload held.")
    rows_read: dict[str, int]
    rows_added: dict[str, int] = Field(description="Per table, rows whose key the database did not hold.")
    rows_changed: dict[str, int] = Field(
        description="Per table, stored rows replaced with other content, and new versions of stored associations.")
    rows_rejected: int
    changed_nothing: bool = Field(description="True when the import added and changed no row (a re-import).")
    changes: dict[str, list[ChangePublic]] = Field(
        description="The first changed rows of each table; `changes_url` pages through all of them.")
    changes_url: str
    rejected: list[BadRowPublic]
    warnings: list[BadRowPublic]


class ChangesPublic(BaseModel):
    import_id: str
    data: list[ChangePublic]
    count: int = Field(description="Changed rows of the import (of `table` if given), all pages.")
    limit: int
    offset: int


class ImportRecordPublic(BaseModel):
    import_id: str
    source: str
    imported_at: datetime
    files: list[str]
    rows_read: int
    rows_added: int
    rows_changed: int | None = Field(description="Null for an import logged before changes were counted apart.")
    rows_rejected: int
    status: str
    counts: dict[str, dict[str, int]] = Field(description="Per table: rows read, added and changed.")


class ImportsPublic(BaseModel):
    data: list[ImportRecordPublic]
    count: int


class QuarantinePublic(BaseModel):
    import_id: str
    data: list[BadRowPublic]
    count: int = Field(description="Rejected rows of the import, all pages.")
    limit: int
    offset: int


# --- decision tools (`partnerscore.decisions`): the library's `to_json()` documents, field for field ---

class PlanRequest(BaseModel):
    """What to plan for: the day the actions are taken, the day (or days) to qualify on, and costs."""

    as_of: Day | None = Field(None, description="The day the actions are taken; default the server's as-of day.")
    by: Day | None = Field(None, description="Qualify on this day (default: the as-of day); later usage is projected.")
    keep: bool = Field(False, description="Qualify on every month end from the as-of day to `by`, not only on `by`.")
    customers: int = Field(10, ge=PLAN_CUSTOMERS.low, le=PLAN_CUSTOMERS.high,
                           description="Customers (largest first) to consider for associations.")
    costs: dict[str, float] | None = Field(
        None, description="Cost per action key overriding the packaged costs (see `GET /api/plan-costs`).")


class CostPublic(BaseModel):
    action: str
    cost: float
    note: str


class CostsPublic(BaseModel):
    """The packaged cost of each kind of action a plan chooses among."""

    currency: str
    data: list[CostPublic]
    count: int


class MetricPointsPublic(BaseModel):
    metric: str
    value: float | int | None
    points: float
    max_points: int


class AreaPointsPublic(BaseModel):
    area: str
    track: str | None
    points: float
    qualified: bool
    metrics: list[MetricPointsPublic]


class PlanActionPublic(BaseModel):
    action_id: str
    kind: str
    label: str
    count: int
    cost: float


class PlanPublic(BaseModel):
    """The cheapest verified set of actions that makes the partner qualify (`partnerscore plan`)."""

    partner_id: str
    area: str
    as_of: date
    days: list[date] = Field(description="The days to qualify on.")
    status: str = Field(description="`plan`, `plan (local search)`, `qualified already`, `unreachable` or `unverified`.")
    currency: str
    total_cost: float
    actions: list[PlanActionPublic]
    before: dict[str, AreaPointsPublic] = Field(description="The area per target day, now.")
    after: dict[str, AreaPointsPublic] = Field(description="The area per target day with the actions, verified.")
    candidates: int
    rounds: int
    usage_model: str | None = Field(description="How usage after the last reported month is projected, if it is.")
    seconds: dict[str, float]
    scenario: list[dict[str, Any]] = Field(description="The chosen changes as a what-if scenario.")


class MonthForecastPublic(BaseModel):
    day: date
    points: float
    qualified: bool
    track: str | None
    metrics: dict[str, float]


class AreaForecastPublic(BaseModel):
    area: str
    now: MonthForecastPublic
    months: list[MonthForecastPublic]
    risks: list[str]


class ForecastPublic(BaseModel):
    """Projected points per area and metric at the next month ends (`partnerscore forecast`)."""

    partner_id: str
    as_of: date
    model: str = Field(description="The usage trend model for months not reported yet.")
    last_reported: date | None
    areas: list[AreaForecastPublic]
    backtest: dict[str, float] | None = Field(description="Mean absolute error per area, in points, if asked for.")
    summary: list[str] = Field(description="What holds now and ahead, in sentences: the areas qualified now, "
                                           "lost, kept or gained, and the metrics below their minimum.")


class MetricChangePublic(BaseModel):
    metric: str
    points_from: float
    points_to: float
    value_from: float | int | None
    value_to: float | int | None
    entered: list[EntityMovePublic]
    left: list[EntityMovePublic]
    changed: list[EntityMovePublic]


class AreaChangePublic(BaseModel):
    area: str
    track_from: str | None
    track_to: str | None
    points_from: float
    points_to: float
    qualified_from: bool
    qualified_to: bool
    metrics: list[MetricChangePublic]
    rule_changes: list[str]


class DiffPublic(BaseModel):
    """Why the score moved between two days (`partnerscore diff`), per area and metric."""

    partner_id: str
    from_day: date
    to_day: date
    recorded_on: date | None
    rules_from: str
    rules_to: str
    areas: list[AreaChangePublic] = Field(description="The areas that moved: points, qualification, track, rule "
                                                     "version, or a metric's value or points.")
    unchanged: list[str] = Field(description="The areas asked for that did not move.")
    usage_model: str | None = Field(description="Set when the later day's month is not reported yet: its usage "
                                                "is projected, as the forecast projects it.")


class AlertPublic(BaseModel):
    severity: str
    partner_id: str
    kind: str
    subject: str
    areas: str
    due: date | None
    message: str
    fix: str


class AlertsPublic(BaseModel):
    """Association-loss and score risks, worst first (`partnerscore alerts`)."""

    as_of: date
    within: int
    data: list[AlertPublic]
    count: int
