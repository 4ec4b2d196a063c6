"""Load the dated rule files and pick the version in force on a day.

`rules_at(day)` takes, for every solution area, the file with the latest `effective_from` on or before
`day` (OpenFisca's parameter timeline, one file per program version as the core issue asks).
A rules directory other than the packaged one can be given, so a user can edit thresholds without
touching code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from importlib import resources
from math import lcm
from pathlib import Path

import yaml
from pydantic import ValidationError

from partnerscore.errors import RuleFileError
from partnerscore.rules.names import cert_key
from partnerscore.rules.schema import AREAS, AreaRules, AssociationRules


@dataclass(frozen=True)
class RuleSet:  # cached_property needs a __dict__, which frozen dataclasses keep
    """The rules in force on one day: one version per area, plus association eligibility."""

    day: date
    areas: dict[str, AreaRules]
    associations: AssociationRules

    @property
    def version(self) -> str:
        """The program version id: the latest effective date among the files in force."""
        latest = max([a.effective_from for a in self.areas.values()] + [self.associations.effective_from])
        return latest.isoformat()

    @cached_property
    def fingerprint(self) -> str:
        """A digest of every rule in force: equal fingerprints compile to the same SQL."""
        text = "".join(a.model_dump_json() for a in self.areas.values()) + self.associations.model_dump_json()
        return hashlib.sha256(text.encode()).hexdigest()

    def areas_reading(self, association_type: str) -> list[str]:
        """The areas whose rules name the type group of `association_type` anywhere (metric counts,
        per-type thresholds, path selection): the only areas a change to such an association can move."""
        group = f'"{self.associations.type_groups[association_type]}"'
        return [name for name, area in self.areas.items() if group in area.model_dump_json()]

    def areas_listing(self, certification: str) -> list[str]:
        """The areas with a certification list naming `certification` (by name, exam code or alias):
        the only areas a change to a person's certification can move (only skilling reads them)."""
        key = cert_key(certification)

        def listed(area: AreaRules) -> bool:
            return any(key == cert_key(name) for certs in area.certification_lists.values() for cert in certs
                       for name in [cert.name, cert.code, *cert.aliases] if name)
        return [name for name, area in self.areas.items() if listed(area)]

    @property
    def points_scale(self) -> int:
        """A common denominator of every per-unit value, so points can be summed as exact integers."""
        scale = 1
        for area in self.areas.values():
            for metrics in area.paths.values():
                for rule in metrics.values():
                    for limit in _thresholds(rule):
                        scale = lcm(scale, rule.unit_points(limit).denominator)
        return scale


def _thresholds(rule) -> list[int | None]:
    by_type = rule.params.get("by_type")
    return list(by_type.values()) if by_type else [None]


def default_rules_dir() -> Path:
    """The rule files shipped inside the package."""
    return Path(str(resources.files("partnerscore.rules")))


def _read(path: Path, model):
    try:
        data = yaml.safe_load(path.read_text())
        return model.model_validate(data)
    except yaml.YAMLError as exc:
        raise RuleFileError(str(path), "", f"not valid YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise RuleFileError(str(path), key, first["msg"]) from exc


@cache
def _versions(rules_dir: Path, folder: str) -> tuple[tuple[date, Path], ...]:
    base = rules_dir / folder
    if not base.is_dir():
        raise RuleFileError(str(base), "", "no rule folder for this area")
    found = []
    for path in sorted(base.glob("*.yaml")):
        try:
            found.append((date.fromisoformat(path.stem), path))
        except ValueError as exc:
            raise RuleFileError(str(path), "", "rule files are named <effective-from>.yaml") from exc
    return tuple(found)


@cache
def load_file(path: Path, kind: str):
    """Parse and validate one rule file (cached)."""
    model = AssociationRules if kind == "associations" else AreaRules
    rules = _read(path, model)
    if rules.effective_from.isoformat() != path.stem:
        raise RuleFileError(str(path), "effective_from", "must equal the file name's date")
    return rules


def _in_force(rules_dir: Path, folder: str, day: date):
    candidates = [(d, p) for d, p in _versions(rules_dir, folder) if d <= day]
    if not candidates:
        raise RuleFileError(str(rules_dir / folder), "", f"no rule version in force on {day}")
    return load_file(candidates[-1][1], "associations" if folder == "associations" else "area")


def rules_at(day: date, rules_dir: Path | None = None) -> RuleSet:
    """The rule set in force on `day`.

    >>> rules_at(date(2026, 10, 31)).areas["modern_work"].qualify.min_total
    70
    """
    base = Path(rules_dir) if rules_dir else default_rules_dir()
    areas = {area: _in_force(base, area, day) for area in AREAS}
    return RuleSet(day=day, areas=areas, associations=_in_force(base, "associations", day))


def all_rule_files(rules_dir: Path | None = None) -> list[Path]:
    """Every rule file, for validation and docs."""
    base = Path(rules_dir) if rules_dir else default_rules_dir()
    return sorted(p for folder in (*AREAS, "associations") for _, p in _versions(base, folder))
