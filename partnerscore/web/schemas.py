"""Response and request models of the REST API; each page renders the same model as its JSON twin.

Families follow the FastAPI template: `XPublic` for one item, `XsPublic(data, count)` for a list.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


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
    count: int


class WhatIfRequest(BaseModel):
    """A scenario: changes as in `partnerscore.engine.whatif` (add_association, end_association, …)."""

    as_of: date | None = None
    changes: list[dict[str, Any]] = Field(min_length=1, max_length=100)


class WhatIfMetricPublic(BaseModel):
    metric: str
    before: float
    after: float
    delta: float
    value_before: float | int | None
    value_after: float | int | None


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


class ImportPublic(BaseModel):
    import_id: str
    status: str
    files: list[str]
    rows_read: dict[str, int]
    rows_added: dict[str, int]
    rows_rejected: int
    rejected: list[BadRowPublic]
    warnings: list[BadRowPublic]


class ImportRecordPublic(BaseModel):
    import_id: str
    source: str
    imported_at: datetime
    files: list[str]
    rows_read: int
    rows_added: int
    rows_rejected: int
    status: str


class ImportsPublic(BaseModel):
    data: list[ImportRecordPublic]
    count: int


class QuarantinePublic(BaseModel):
    import_id: str
    data: list[BadRowPublic]
    count: int
