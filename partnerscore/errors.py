"""Errors partnerscore raises, and the `BadRow` value that names one problem in a data set.

Every error a user can cause derives from one root, so a front end can catch it in one place and print
it as one line (or one line per bad row)::

    PartnerscoreError
    ├── DatasetError      the data-set folder cannot be read at all (missing, not a folder)
    ├── StoreError        the DuckDB store cannot be opened (locked by another process, not a database)
    ├── ImportFailed      rows of a data set are bad; carries every `BadRow`; nothing was imported
    ├── RuleFileError     a rule file is malformed (file and key path)
    ├── LedgerConflict    a ledger change would break one of the ledger's invariants
    ├── DayOutOfRange     a day a user named lies outside the days partnerscore scores
    ├── ScenarioError     a what-if scenario is refused; carries one line per problem
    └── LimitExceeded     a request asks for more work than `partnerscore.limits` allows

`BadRow` is not an exception: it is the value validation returns for each bad cell, which import keeps
in the quarantine and which `ImportFailed` carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - import only for type checkers
    from partnerscore.ingest.importer import ImportReport

#: What a user can do about a bad row, unless the problem names a better fix.
ROW_FIX = "fix the row or re-run with --skip-bad-rows"
#: What a user can do about a problem with a whole file (row 0).
FILE_FIX = "fix the file and import again"


class PartnerscoreError(Exception):
    """Root of every error partnerscore raises on purpose."""


class DatasetError(PartnerscoreError):
    """The data-set folder cannot be read (it is missing or is not a folder)."""


class StoreError(PartnerscoreError):
    """The DuckDB store cannot be opened."""


@dataclass(frozen=True)
class BadRow:
    """One problem in a data set: which file, which row (1 = first data row, 0 = the whole file),
    which column (None when the problem is not about one column), and why.

    >>> print(BadRow("usage.csv", 118, "month", "'2025-13' is not YYYY-MM"))
    usage.csv:118 column month: '2025-13' is not YYYY-MM; fix the row or re-run with --skip-bad-rows
    """

    file: str
    row: int
    column: str | None
    reason: str
    fix: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" + (f" column {self.column}" if self.column else "")
        fix = self.fix if self.fix is not None else (ROW_FIX if self.row > 0 else FILE_FIX)
        return f"{where}: {self.reason}" + (f"; {fix}" if fix else "")


class ImportFailed(PartnerscoreError):
    """A data set has bad rows and was not imported; `bad_rows` lists every problem.

    The canonical tables are unchanged. `import_id` names the failed import, whose bad rows are kept in
    the quarantine (`partnerscore.ingest.quarantine.list_quarantine`). `str()` gives one line per
    problem followed by a summary line, as the command line prints it.
    """

    def __init__(self, bad_rows: list[BadRow], import_id: str | None = None,
                 report: ImportReport | None = None) -> None:
        self.bad_rows = list(bad_rows)
        self.import_id = import_id
        self.report = report
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [str(bad) for bad in self.bad_rows]
        noun = "problem" if len(self.bad_rows) == 1 else "problems"
        summary = f"import failed with {len(self.bad_rows)} {noun}; nothing was imported"
        if self.import_id:
            summary += f" (quarantine of import {self.import_id})"
        return "\n".join([*lines, summary])


class RuleFileError(PartnerscoreError):
    """A rule file is malformed: `file` names it and `key_path` the offending key (`tracks.smb.…`)."""

    def __init__(self, file: str, key_path: str, reason: str) -> None:
        self.file = file
        self.key_path = key_path
        self.reason = reason
        super().__init__(f"{file} {key_path}: {reason}")


class LedgerConflict(PartnerscoreError):
    """A change to the association ledger would break one of its invariants."""


class DayOutOfRange(PartnerscoreError):
    """A day a user named lies before the first rule version or more than a year after today."""


class ScenarioError(PartnerscoreError):
    """A what-if scenario is refused; `problems` holds one line per problem, each naming the change
    (its position and action) and the key. Nothing was scored."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class LimitExceeded(PartnerscoreError):
    """A parameter that sets an amount of work is outside its limit (`partnerscore.limits`);
    `parameter` names it as the user spelled it (`--months`, `months`)."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter
