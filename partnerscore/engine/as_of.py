"""The day a command scores, and the days a user may name.

Scoring today's date on a ledger whose usage ends months earlier gives zero usage points without a
word (issue 16 §4). So a command that is not told a day scores the last day of the latest month the
usage table holds, and says so. A day whose scoring month (R1) is past that month carries a warning
naming the months without usage; a ledger without any usage falls back to today, with a warning. The
warnings live in the `ScoringDay` value, so the command line and the web say the same words.

Every day a user names lies between the first rule version's effective date (before it no rule is in
force) and a year after today (past it, a date sets work without bound and the calendar overflows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from partnerscore.engine.months import add_months, month_end, month_range, scoring_month
from partnerscore.errors import DayOutOfRange
from partnerscore.rules.load import all_rule_files, load_file

if TYPE_CHECKING:  # pragma: no cover - import only for type checkers
    from partnerscore.engine.connect import Tables

#: How the day was chosen: named by the caller (`as_of`), the web server's default (`server`, from
#: `serve --as-of`), or by default the last month with usage (`last_usage`), or today on a ledger
#: without usage (`today`).
Source = Literal["as_of", "server", "last_usage", "today"]
#: The warning names each month without usage up to this many, and a range beyond.
MONTHS_NAMED = 3


@dataclass(frozen=True)
class ScoringDay:
    """The day scored, how it was chosen, and what a reader must know about it."""

    day: date
    source: Source
    #: The first day of the latest month the usage table holds; None when it holds none.
    last_usage: date | None
    warnings: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        """Whether the day was chosen for the caller rather than named."""
        return self.source in ("last_usage", "today")

    def describe(self, named_by: str = "--as-of") -> str:
        """The header's words for the day; `named_by` is how the caller names a day (`--as-of`, `as_of`).

        >>> ScoringDay(date(2026, 10, 31), "last_usage", date(2026, 10, 1)).describe()
        'as of 2026-10-31, the last month with usage'
        >>> ScoringDay(date(2026, 12, 7), "as_of", date(2026, 10, 1)).describe()
        'as of 2026-12-07 (--as-of)'
        >>> ScoringDay(date(2026, 10, 31), "as_of", date(2026, 10, 1)).describe("as_of")
        'as of 2026-10-31 (as_of), the last month with usage'
        """
        how = {"as_of": f" ({named_by})", "server": " (the server's --as-of)",
               "last_usage": ", the last month with usage", "today": ", today (the ledger holds no usage)"}
        named_default = not self.is_default and self.last_usage and self.day == month_end(self.last_usage)
        return f"as of {self.day}{how[self.source]}" + (", the last month with usage" if named_default else "")

    def to_json(self) -> dict:
        """The fields a JSON document adds beside its `as_of`."""
        return {"as_of_source": self.source, "warnings": list(self.warnings)}


def last_reported_month(tables: Tables) -> date | None:
    """The first day of the latest month the usage table holds (None: it holds none)."""
    return tables.usage.month.max().to_pyarrow().as_py()


@cache
def first_rules_day(rules_dir: Path | None = None) -> date:
    """The first day on which every area and the association rules have a version in force.

    >>> first_rules_day()
    datetime.date(2022, 10, 3)
    """
    first: dict[str, date] = {}
    for path in all_rule_files(rules_dir):
        kind = "associations" if path.parent.name == "associations" else "area"
        effective = load_file(path, kind).effective_from
        first[path.parent.name] = min(effective, first.get(path.parent.name, effective))
    return max(first.values())


def last_allowed_day(today: date | None = None) -> date:
    """One year after today (28 February for a 29 February)."""
    today = today or date.today()
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


def out_of_range(day: date, *, today: date | None = None) -> str | None:
    """Why `day` may not be named (None when it lies from the first rule version to a year after today)."""
    first, last = first_rules_day(), last_allowed_day(today)
    if first <= day <= last:
        return None
    return (f"{day} is outside the days partnerscore scores, {first} (the first rule version) to {last} "
            f"(a year from today); choose a day in that range")


def check_day(day: date, what: str = "as_of", *, today: date | None = None) -> date:
    """`day` if it may be named; else `DayOutOfRange` naming `what` (the option or field that gave it)."""
    reason = out_of_range(day, today=today)
    if reason:
        raise DayOutOfRange(f"{what} {reason}")
    return day


def scoring_day(last_usage: date | None, given: date | None = None, *, source: Source = "as_of",
                today: date | None = None) -> ScoringDay:
    """The day to score: `given` (checked, chosen as `source`), else the last day of the month
    `last_usage`, else today; with the warnings its reader needs.

    >>> scoring_day(date(2026, 10, 1)).day
    datetime.date(2026, 10, 31)
    >>> scoring_day(date(2026, 10, 1), date(2026, 12, 7)).warnings[0][:32]
    'no usage reported for 2026-11 (t'
    """
    today = today or date.today()
    if given is not None:
        day = ScoringDay(check_day(given, today=today), source, last_usage)
    elif last_usage is not None:
        day = ScoringDay(month_end(last_usage), "last_usage", last_usage)
    else:
        day = ScoringDay(today, "today", None)
    return ScoringDay(day.day, day.source, last_usage, tuple(_warnings(day.day, last_usage)))


def resolve_day(tables: Tables, given: date | None = None, *, source: Source = "as_of") -> ScoringDay:
    """`scoring_day` on the ledger of `tables`."""
    return scoring_day(last_reported_month(tables), given, source=source)


def months_without_usage(day: date, last_usage: date) -> list[date]:
    """The months after the last one with usage, up to the month `day` scores (R1)."""
    return month_range(add_months(last_usage, 1), scoring_month(day))


def _warnings(day: date, last_usage: date | None) -> list[str]:
    if last_usage is None:
        return [f"the ledger holds no usage: as of {day} every usage metric is zero; import usage to score it"]
    missing = months_without_usage(day, last_usage)
    if not missing:
        return []
    named = (", ".join(f"{m:%Y-%m}" for m in missing) if len(missing) <= MONTHS_NAMED
             else f"{missing[0]:%Y-%m} to {missing[-1]:%Y-%m} ({len(missing)} months)")
    them = "that month" if len(missing) == 1 else "those months"
    return [f"no usage reported for {named} (the ledger's usage ends with {last_usage:%Y-%m}): as of {day}, "
            f"usage metrics count {them} as zero; score {month_end(last_usage)} or import "
            f"the missing usage"]

