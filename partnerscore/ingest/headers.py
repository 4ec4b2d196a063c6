"""What a data set holds beyond the contract: columns partnerscore does not read, and near misses of names.

A column the contract does not know is imported nowhere, so a typo in an optional column's name (say
`revenue_usdd`) would lose that column's values without a word. Each such column is a warning naming it
as written, with the contract column it nearly matches (`difflib`) when the file lacks that column.
Partner Center downloads are not checked here: their many columns beyond the ones read are normal.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from partnerscore.errors import BadRow
from partnerscore.ingest.tables import CONTRACT

if TYPE_CHECKING:  # pragma: no cover
    from partnerscore.ingest.readers import RawTable

#: How alike (difflib ratio, 0-1) a name must be to another to be offered as "did you mean".
NEAR_MISS = 0.6
CONTRACT_DOC = "docs/data-contract.md"


def near_miss(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate `name` most likely misspells (case and spaces aside), or None."""
    by_key = {c.strip().lower(): c for c in candidates}
    found = difflib.get_close_matches(name.strip().lower(), list(by_key), n=1, cutoff=NEAR_MISS)
    return by_key[found[0]] if found else None


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
