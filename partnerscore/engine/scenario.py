"""What a what-if scenario is, and how one is read: a list of changes, each validated like an import row.

Each change names its `action`; its other keys are that action's fields. A scenario file or JSON body
is refused whole, one line per problem naming the change (its position, 1 = the first, and its
action) and the key (`scenario.yaml: change 3 (add_association) start_date: '2026-13-45' is not a
date (YYYY-MM-DD)`), before anything is scored. The checks against the ledger (unknown IDs, another
partner's association) are in `engine/scenario_checks.py`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from partnerscore.errors import ScenarioError


class _Change(BaseModel):
    # An ID written as a YAML number (partner_id: 4650202) is the ID; amounts are finite.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, allow_inf_nan=False)


class AddAssociation(_Change):
    """A new association (any type, with its contract fields)."""

    action: Literal["add_association"]
    association_id: str
    partner_id: str
    type: Literal["CPOR_OSU", "CPOR_OSA", "CPOR_REVREC", "DPOR", "PAL", "CSP_DIRECT", "CSP_INDIRECT", "TPOR"]
    tenant_id: str
    subscription_id: str | None = None
    workload: str | None = None
    incentive: bool = False
    poe_status: Literal["none", "submitted", "approved", "rejected"] = "none"
    indirect_provider_id: str | None = None
    rbac_role: str | None = None
    start_date: date
    end_date: date | None = None


class EndAssociation(_Change):
    """End an association on a day (recorded as a correction of its holding version)."""

    action: Literal["end_association"]
    association_id: str
    end_date: date


class AddCertification(_Change):
    """A person of a partner earns a certification."""

    action: Literal["add_certification"]
    partner_id: str
    person_id: str
    certification: str
    earned_on: date
    expires_on: date | None = None


class ExpireCertification(_Change):
    """A person's certification expires on a day."""

    action: Literal["expire_certification"]
    partner_id: str
    person_id: str
    certification: str
    expires_on: date


class MoveSubscription(_Change):
    """A subscription moves to another licensing program (e.g. to CSP)."""

    action: Literal["move_subscription"]
    subscription_id: str
    program: Literal["EA", "CSP", "WEB_DIRECT", "CASA_EES", "MCA_E"]


class AddUsage(_Change):
    """Expected usage of a customer's subscription and workload in a month (amounts are never negative,
    as in an import)."""

    action: Literal["add_usage"]
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    tenant_id: str
    subscription_id: str
    workload: str
    acr_usd: float | None = Field(None, ge=0)
    paid_units: int | None = Field(None, ge=0)
    active_units: int | None = Field(None, ge=0)
    revenue_usd: float | None = Field(None, ge=0)


Change = Annotated[Union[AddAssociation, EndAssociation, AddCertification, ExpireCertification,
                         MoveSubscription, AddUsage], Field(discriminator="action")]
_CHANGES = TypeAdapter(list[Change])


def where(source: str, index: int, change: object) -> str:
    """How a problem names a change: `scenario.yaml: change 3 (add_association)` (1 = the first)."""
    action = change.get("action") if isinstance(change, dict) else getattr(change, "action", None)
    return f"{source}: change {index + 1}" + (f" ({action})" if isinstance(action, str) else "")


def _reason(err: dict) -> str:
    """Pydantic's message, in the import's words where the import has them."""
    if err["type"].startswith(("date_", "datetime_")):
        return f"{err['input']!r} is not a date (YYYY-MM-DD)"
    if err["type"] == "string_pattern_mismatch":
        return f"{err['input']!r} is not a month (YYYY-MM)"
    if err["type"] == "union_tag_invalid":
        return f"unknown action {err['input'].get('action')!r}; {err['msg'].split('expected tags: ')[-1]}"
    return err["msg"]


def parse_scenario(data: object, source: str = "scenario") -> list[Change]:
    """Validate a scenario: a list of changes (empty: the ledger as stored), or a mapping whose `changes`
    holds one.

    Raises `ScenarioError` with one line per problem, naming the change and the key.
    """
    items = data.get("changes") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ScenarioError([f"{source}: a scenario is a list of changes, or `changes:` holding one; "
                             "see docs/whatif.md"])
    try:
        return _CHANGES.validate_python(items)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            index, *keys = err["loc"]
            key = ".".join(str(k) for k in keys[1:])  # keys[0] is the action's tag
            problems.append(f"{where(source, index, items[index])}{' ' + key if key else ''}: {_reason(err)}")
        raise ScenarioError(problems) from exc


class _TextDates(yaml.SafeLoader):
    """YAML whose dates stay text, so that a date like 2026-13-45 is reported with its change and key."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_scenario(path: Path | str) -> list[Change]:
    """Read a scenario file (YAML: a list of changes, or `changes:` holding one)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{path}: no such scenario file"]) from None
    except UnicodeDecodeError:
        raise ScenarioError([f"{path}: not a UTF-8 text file; save the scenario as UTF-8 YAML"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read the scenario file ({exc.strerror})"]) from None
    try:
        data = yaml.load(text, Loader=_TextDates)  # noqa: S506 - a SafeLoader without timestamps
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([f"{path}: not valid YAML{at}: {problem}"]) from None
    changes = parse_scenario(data, str(path))
    if not changes:  # a scenario file exists to change something; the web asks for one change too
        raise ScenarioError([f"{path}: the scenario holds no change; list at least one (see docs/whatif.md)"])
    return changes
