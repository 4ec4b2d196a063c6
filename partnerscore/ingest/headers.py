"""What a data set holds beyond the contract: files and columns partnerscore does not read, and near misses.

A column the contract does not know is imported nowhere, so a typo in an optional column's name (say
`revenue_usdd`) would lose that column's values without a word. Each such column is a warning naming it
as written, with the contract column it nearly matches (`difflib`) when the file lacks that column.
Likewise a data file named after no table (`customer.csv`) is not read: the command line warns, and the
web app, whose uploads are all meant to be imported, refuses the upload. Partner Center downloads are
not checked here: their many columns beyond the ones read are normal.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from partnerscore.errors import BadRow
from partnerscore.ingest.tables import CONTRACT, FORMATS

if TYPE_CHECKING:  # pragma: no cover
    from partnerscore.ingest.readers import RawTable

#: How alike (difflib ratio, 0-1) a column name must be to another to be offered as "did you mean":
#: `acr` for `acr_usd` (0.6) but not `notes` for `name` (0.44).
NEAR_MISS = 0.6
#: The same for file names, stricter: `customer` for `customers` (0.94) but not `orders` for `partners` (0.57).
NEAR_MISS_FILE = 0.75
CONTRACT_DOC = "docs/data-contract.md"


def near_miss(name: str, candidates: Iterable[str], cutoff: float = NEAR_MISS) -> str | None:
    """The candidate `name` most likely misspells (case and spaces aside), or None."""
    by_key = {c.strip().lower(): c for c in candidates}
    found = difflib.get_close_matches(name.strip().lower(), list(by_key), n=1, cutoff=cutoff)
    return by_key[found[0]] if found else None


def unknown_files(names: Iterable[str]) -> dict[str, str | None]:
    """Each data file (`.csv`, `.parquet`) of `names` named after no contract table -> the table file name
    it nearly is (`customer.csv` -> `customers.csv`), or None.

    Hidden files (`.x.csv`) and Office lock files (`~$x.csv`) are no data files.
    """
    found = {}
    for name in names:
        stem, dot, suffix = name.rpartition(".")
        if suffix.lower() not in FORMATS or name.startswith((".", "~$")) or stem.lower() in CONTRACT:
            continue
        guess = near_miss(stem, CONTRACT, NEAR_MISS_FILE)
        found[name] = f"{guess}{dot}{suffix}" if guess else None
    return found


def unknown_file_warnings(names: Iterable[str]) -> list[BadRow]:
    """One warning per data file of `names` that no contract table is named after (see `unknown_files`)."""
    return [BadRow(name, 0, None, "is not a table of the data contract, so it is not read",
                   f"did you mean {guess}? rename it and import again" if guess
                   else f"the tables are {', '.join(CONTRACT)}")
            for name, guess in unknown_files(names).items()]


def unknown_columns(raw: RawTable) -> list[BadRow]:
    """One warning per column of a contract file's header that the contract's table does not have."""
    known = {c.name for c in CONTRACT.get(raw.table, ())}
    absent = known - {name.lower() for name in raw.header}
    warnings, seen = [], set()
    for name in raw.header:
        if name.lower() in known or name.lower() in seen:
            continue
        seen.add(name.lower())
        guess = near_miss(name, sorted(absent))
        fix = (f"did you mean {guess}? rename the column and import again" if guess
               else f"check its name against {CONTRACT_DOC}, or leave it out")
        warnings.append(BadRow(raw.file, 0, name, f"partnerscore does not read this column of {raw.file}; "
                               "its values are not imported", fix))
    return warnings
