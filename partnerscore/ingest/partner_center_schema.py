"""The Partner Center Insights downloads partnerscore knows, and which one a file is.

`SCHEMA` is `partner_center.yaml` loaded: each dataset's published columns, the roles its columns
carry (partner id, tenant, month, …) and the value tables (attribution types, sales channels, clouds,
segments). `recognise` tells which dataset a downloaded file is from its name and header, or says
exactly why it is none: the missing columns of the dataset it resembles, else every known dataset and
the columns it expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from partnerscore.ingest.headers import near_miss


@dataclass(frozen=True)
class DownloadSchema:
    """One Partner Center download: its published columns and, per role, the headers that carry it."""

    name: str
    published: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    cloud: str | None = None

    def headers_in(self, header: set[str]) -> dict[str, str]:
        """Role -> the (lower-case) header of `header` that carries it, for the roles present."""
        found = {}
        for role, spellings in self.columns.items():
            match = next((s.lower() for s in spellings if s.lower() in header), None)
            if match:
                found[role] = match
        return found

    def missing(self, header: set[str]) -> list[str]:
        """The published spelling of each required role `header` lacks."""
        present = self.headers_in(header)
        return [self.columns[role][0] for role in self.required if role not in present]

    @property
    def spellings(self) -> set[str]:
        """Every (lower-case) column name this download is known to have: published or carrying a role."""
        return {c.lower() for c in self.published} | {s.lower() for names in self.columns.values() for s in names}

    def overlap(self, header: set[str]) -> float:
        """Share of the published columns that `header` holds."""
        return sum(c.lower() in header for c in self.published) / len(self.published)


@dataclass(frozen=True)
class Schema:
    """Everything `partner_center.yaml` holds."""

    datasets: dict[str, DownloadSchema]
    attribution_types: dict[str, str]
    sales_channels: dict[str, str]
    clouds: tuple[tuple[str, str], ...]
    segments: dict[str, str]
    partner_id_pattern: str
    duplicate_values: tuple[str, ...]
    certification_types: tuple[str, ...]
    sources: dict[str, dict]


def normal(text: str) -> str:
    """A value as the value tables match it: lower case, every run of other characters one space."""
    return re.sub(r"[^0-9a-z&]+", " ", text.lower()).strip()


def _aliases(table: dict[str, list[str]]) -> dict[str, str]:
    return {normal(alias): value for value, aliases in table.items() for alias in aliases}


#: The schema file shipped with partnerscore.
SCHEMA_FILE = Path(__file__).with_name("partner_center.yaml")


@cache
def load_schema(path: Path = SCHEMA_FILE) -> Schema:
    """Load the Partner Center schema file (once)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    datasets = {
        name: DownloadSchema(name, tuple(d["published"]), {r: tuple(h) for r, h in d["columns"].items()},
                             tuple(d["required"]), d.get("cloud"))
        for name, d in data["datasets"].items()
    }
    return Schema(
        datasets=datasets,
        attribution_types=_aliases(data["attribution_types"]),
        sales_channels=_aliases(data["sales_channels"]),
        clouds=tuple((normal(c["contains"]), c["cloud"]) for c in data["clouds"]),
        segments=_aliases(data["segments"]),
        partner_id_pattern=data["partner_id_pattern"],
        duplicate_values=tuple(data["duplicate_values"]),
        certification_types=tuple(normal(t) for t in data["certification_types"]),
        sources=data["sources"],
    )


def recognise(file: str, written: list[str], schema: Schema) -> tuple[DownloadSchema | None, str | None]:
    """Which download `file` (with the column names `written` in its header) is, or why it is none.

    A dataset whose required columns are all present is a match; of several, the one holding the most
    of its published columns. Otherwise the dataset the file is named after (`AzureUsage_2026-10.csv`),
    or else the one whose published columns it shares most of (at least half), is the closest: the
    reason lists its missing columns, each with the header's near miss of its name if there is one.
    Failing that, the reason lists every known dataset.

    Returns:
        (the dataset, None), or (None, the reason, one line per known dataset if need be).
    """
    header = {name.lower() for name in written}
    datasets = list(schema.datasets.values())
    complete = [d for d in datasets if not d.missing(header)]
    if complete:
        return max(complete, key=lambda d: d.overlap(header)), None
    stem = Path(file).stem.lower()
    named = [d for d in datasets if stem.startswith(d.name.lower())]
    closest = named[0] if named else max(datasets, key=lambda d: d.overlap(header))
    if named or closest.overlap(header) >= 0.5:
        spare = [name for name in written if name.lower() not in closest.spellings]
        lacks = []
        for column in closest.missing(header):
            guess = near_miss(column, spare)
            lacks.append(f"{column} (the file has {guess}: misspelt?)" if guess else column)
        return None, (f"{file}: looks like the {closest.name} download but lacks the column(s) "
                      f"{', '.join(lacks)}; download the report again with all its columns")
    known = "".join(f"\n  {d.name}: {', '.join(d.columns[r][0] for r in d.required)}" for d in datasets)
    return None, (f"{file}: its columns match no Partner Center download partnerscore knows; the known "
                  f"downloads and the columns each needs are:{known}")
