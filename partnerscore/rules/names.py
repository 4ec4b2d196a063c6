"""How workload and certification names are matched (program-rules R9, R15 "Names").

Names match case-insensitively and ignore repeated spaces. Workload aliases (`Exchange` for
`Exchange Online`, `Microsoft Defender for Endpoint (P2 only)` for `Microsoft Defender for Endpoint P2`)
come from the shared catalogue `rules/workloads.yaml`; certifications also match with or without the
`Microsoft Certified: ` / `Microsoft 365 Certified: ` prefix and by exam code.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

_SPACES = re.compile(r"\s+")
_CERT_PREFIXES = ("microsoft certified:", "microsoft 365 certified:")


def normalize(name: str) -> str:
    """Lower-case a name and fold runs of white space into one space."""
    return _SPACES.sub(" ", name).strip().lower()


@cache
def workload_catalog() -> dict[str, dict]:
    """The shared workload catalogue, keyed by canonical key (normalised canonical name)."""
    text = resources.files("partnerscore.rules").joinpath("workloads.yaml").read_text()
    entries = yaml.safe_load(text)["workloads"]
    return {normalize(e["name"]): e for e in entries}


@cache
def _workload_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for key, entry in workload_catalog().items():
        aliases[key] = key
        for alias in entry.get("aliases", ()):
            aliases[normalize(alias)] = key
    return aliases


def workload_key(name: str) -> str:
    """The canonical key of a workload name; an unknown name keeps its normalised spelling."""
    norm = normalize(name)
    return _workload_aliases().get(norm, norm)


def is_known_workload(name: str) -> bool:
    """Whether the catalogue knows this workload name (an unknown one is a warning, not an error)."""
    return normalize(name) in _workload_aliases()


def cert_key(name: str) -> str:
    """The normalised key of a certification name or exam code (prefix dropped)."""
    norm = normalize(name)
    for prefix in _CERT_PREFIXES:
        if norm.startswith(prefix):
            return norm[len(prefix):].strip()
    return norm
