"""Pydantic models of the dated rule files (`rules/<area>/<effective-from>.yaml`).

A rule file reads like one year's program page: the qualifying rule, the paths and how one is
chosen, and for each path the metrics with their maximum points, thresholds and the association
types they count. Every value traces to a source id of the file's `sources` table (program-rules
sections 4-8, and `shared/spec/sources/`). No program number lives in Python code.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AREAS = (
    "data_ai", "infrastructure", "digital_app_innovation",
    "business_applications", "modern_work", "security",
)
METRICS = (
    "net_customer_adds", "intermediate_certifications", "advanced_certifications",
    "usage_growth", "deployments",
)
TypeGroup = Literal["CPOR_OSU", "CPOR_OSA", "CPOR_REVREC", "DPOR", "PAL", "CSP", "TPOR"]


class Source(BaseModel):
    """Where a figure comes from: the page, when it was read, and how it was read."""

    model_config = ConfigDict(extra="forbid")
    url: str
    read: date | None = None
    note: str | None = None


class Certification(BaseModel):
    """One certification a list counts, with the date it stops counting if it retires (R9)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    code: str | None = None
    aliases: list[str] = []
    retires_on: date | None = None
    counts_until: date | None = None
    source: str


class Step(BaseModel):
    """One step of a stepped skilling metric (Azure areas, Security)."""

    model_config = ConfigDict(extra="forbid")
    certifications: str = Field(description="name of a certification list of this file")
    min_people: int = 1
    step_points: int = 0


class MetricRule(BaseModel):
    """One metric on one path: its formula, weight and the numbers the formula reads.

    `per_unit` is the points one unit earns: given explicitly (e.g. "8") or derived exactly as
    `max_points / threshold` (R6). Formula-specific parameters are kept as extra fields and checked
    by the formula's own parameter model in the engine.
    """

    model_config = ConfigDict(extra="allow")
    formula: str
    max_points: int
    threshold: int | None = None
    per_unit: str | None = None
    source: str

    def unit_points(self, threshold: int | None = None) -> Fraction:
        """Exact points per unit: `per_unit`, else `max_points / threshold`."""
        if self.per_unit is not None:
            return Fraction(self.per_unit)
        limit = threshold if threshold is not None else self.threshold
        if not limit:
            raise ValueError(f"metric with formula {self.formula} has neither per_unit nor threshold")
        return Fraction(self.max_points, limit)

    @property
    def params(self) -> dict[str, Any]:
        """The formula-specific fields of this metric."""
        return dict(self.model_extra or {})


class Qualify(BaseModel):
    """The designation criteria (R7)."""

    model_config = ConfigDict(extra="forbid")
    min_total: int
    min_metric_points: int
    source: str


class QualificationWindow(BaseModel):
    """Days on which a partner must qualify at least once (section 2)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["days", "months_same_day", "full_calendar_months"]
    length: int
    source: str


class PathSelection(BaseModel):
    """How the path that counts is chosen (R8)."""

    model_config = ConfigDict(extra="allow")
    method: Literal["best_total", "azure_customer_segment", "business_applications_pairs", "single"]
    source: str

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class AreaRules(BaseModel):
    """The rules of one solution area in one program version."""

    model_config = ConfigDict(extra="forbid")
    area: str
    effective_from: date
    title: str
    sources: dict[str, Source]
    qualify: Qualify
    qualification_window: QualificationWindow
    path_selection: PathSelection
    paths: dict[str, dict[str, MetricRule]]
    workload_lists: dict[str, list[str]] = {}
    certification_lists: dict[str, list[Certification]] = {}
    mcv_rates: dict[str, str] = {}

    @model_validator(mode="after")
    def _check_references(self) -> "AreaRules":
        if self.area not in AREAS:
            raise ValueError(f"unknown area {self.area!r}; expected one of {', '.join(AREAS)}")
        cited = [self.qualify.source, self.qualification_window.source, self.path_selection.source]
        for path, metrics in self.paths.items():
            for metric, rule in metrics.items():
                cited.append(rule.source)
                for key in ("workloads", "certifications"):
                    listed = rule.params.get(key)
                    lists = self.workload_lists if key == "workloads" else self.certification_lists
                    for name in [listed] if isinstance(listed, str) else listed or []:
                        if name not in lists:
                            raise ValueError(f"paths.{path}.{metric}.{key}: no list named {name!r}")
                for step in rule.params.get("steps", []):
                    if Step.model_validate(step).certifications not in self.certification_lists:
                        raise ValueError(f"paths.{path}.{metric}.steps: unknown list {step}")
        for certs in self.certification_lists.values():
            cited.extend(c.source for c in certs)
        for source in cited:
            for sid in source.split(","):
                if sid.strip() not in self.sources:
                    raise ValueError(f"source {sid.strip()!r} is cited but not in this file's sources")
        return self


class AssociationRules(BaseModel):
    """When a single association is eligible (R2, R4, R15), as dated data."""

    model_config = ConfigDict(extra="forbid")
    effective_from: date
    sources: dict[str, Source]
    type_groups: dict[str, TypeGroup]
    cpor_types: list[str]
    incentive_requires_poe: str
    cpor_programs: dict[str, list[str]]
    dpor_not_on_programs: list[str]
    csp_program: str
    tpor_programs: list[str]
    pal_roles: dict[str, list[str]]
    #: The types only one partner may hold on a scope at a time, with that scope (the others allow several).
    one_holder: dict[str, Literal["subscription", "tenant_workload"]]
    source: str

    @model_validator(mode="after")
    def _one_holder_types_known(self) -> AssociationRules:
        unknown = sorted(set(self.one_holder) - set(self.type_groups))
        if unknown:
            raise ValueError(f"one_holder: unknown association type {', '.join(unknown)}")
        return self
