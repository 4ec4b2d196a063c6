"""How much work one command or web request may ask for: every operational limit, in one place.

These are not program rules (those are data in `partnerscore/rules/`): they bound what a single
`plan`, `forecast`, `alerts`, `associations` or ledger page may make the engine do, so that no request
runs for hours or exhausts the server's memory. The command line checks them with `Limit.check`
(one line, exit 1) and the web app states the same numbers in its OpenAPI description and answers
422 beyond them. The one limit that is rule data is how far ahead a plan may aim (`plan_horizon`):
one qualification window, whose kind and length each area's rule version gives.

>>> FORECAST_MONTHS.check(6)
6
>>> FORECAST_MONTHS.check(0, "--months")
Traceback (most recent call last):
...
partnerscore.errors.LimitExceeded: --months 0 is out of range: choose 1 to 12 month ends
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from partnerscore.engine.months import add_months, month_end, month_start
from partnerscore.errors import LimitExceeded
from partnerscore.rules.load import rules_at
from partnerscore.rules.schema import AREAS


@dataclass(frozen=True)
class Limit:
    """The range an integer parameter may take, and what it counts (for the message)."""

    name: str
    low: int
    high: int
    unit: str

    def check(self, value: int, spelled: str | None = None) -> int:
        """`value` if it is in range; else LimitExceeded naming the parameter as the user `spelled` it."""
        if not self.low <= value <= self.high:
            raise LimitExceeded(f"{spelled or self.name} {value} is out of range: choose {self.span}",
                                spelled or self.name)
        return value

    @property
    def span(self) -> str:
        """The range as the help texts give it: `1 to 12 month ends`."""
        return f"{self.low:,} to {self.high:,} {self.unit}"


#: Customers (largest first) a plan considers adding associations for: each is one more what-if replay.
PLAN_CUSTOMERS = Limit("customers", 1, 50, "customers")
#: Month ends a forecast projects: one scoring each (twice with a backtest).
FORECAST_MONTHS = Limit("months", 1, 12, "month ends")
#: Days alerts look ahead.
ALERT_DAYS = Limit("within", 1, 730, "days")
#: Month ends an area's trend shows: one scoring each.
TREND_MONTHS = Limit("months", 1, 24, "month ends")
#: Candidate associations the inventory replays (about a second each); `--replay-all` is the
#: command line's explicit way past it.
INVENTORY_REPLAYS = Limit("replays", 0, 200, "replays")
#: Rows one page of a listing (ledger, findings) returns.
PAGE_LIMIT = Limit("limit", 1, 500, "rows")
#: Rows a listing may skip: far beyond any ledger the engine scores, well within a 64-bit OFFSET.
PAGE_OFFSET = Limit("offset", 0, 1_000_000_000, "rows")
#: Rows one page of an import's quarantine or changed rows returns (one call once returned 112 MB of
#: JSON); `IMPORT_PAGE_DEFAULT` when the request names none.
IMPORT_PAGE = Limit("limit", 1, 1000, "rows")
IMPORT_PAGE_DEFAULT = 100
#: Changes one what-if scenario may hold.
WHATIF_CHANGES = Limit("changes", 1, 100, "changes")
#: The synthetic data set of `partnerscore generate`: it streams, so these bound disk and time, not
#: memory; a growth metric compares a month with the same month a year earlier, hence 12 months.
GENERATE_PARTNERS = Limit("partners", 1, 100_000, "partners")
GENERATE_CUSTOMERS = Limit("customers", 1, 100_000_000, "customers")
GENERATE_MONTHS = Limit("months", 12, 120, "months")


def plan_horizon(area: str, as_of: date) -> date:
    """The latest day a plan made on `as_of` may aim at: one qualification window ahead.

    The window is the area's rule data in force on `as_of` (program-rules section 2): L full calendar
    months (the month ends of the next L months), L months to the same day, or L days. A plan further
    ahead would project usage for months no window looks at, and costs a scoring per month.

    >>> plan_horizon("data_ai", date(2026, 10, 31))
    datetime.date(2027, 4, 30)
    """
    rule = rules_at(as_of).areas[area].qualification_window
    if rule.kind == "days":
        return as_of + timedelta(days=rule.length)
    if rule.kind == "months_same_day":
        later = add_months(month_start(as_of), rule.length)
        return later.replace(day=min(as_of.day, month_end(later).day))
    return month_end(add_months(month_start(as_of), rule.length))


def projection_horizon(as_of: date) -> date:
    """The latest day whose usage may be projected from `as_of`: the last of a forecast's month ends.

    A diff to a later day than the data holds projects usage month by month up to it, as a forecast
    does; a day centuries ahead would project thousands of months (a forecast as of 2242 grew to 24 GB).

    >>> projection_horizon(date(2026, 10, 31))
    datetime.date(2027, 10, 31)
    """
    return month_end(add_months(month_start(as_of), FORECAST_MONTHS.high))


def check_projected_day(day: date, as_of: date, spelled: str) -> None:
    """Refuse a day past `projection_horizon(as_of)`."""
    horizon = projection_horizon(as_of)
    if day > horizon:
        raise LimitExceeded(f"{spelled} {day} is more than {FORECAST_MONTHS.high} months after the as-of day "
                            f"{as_of}, as far as a forecast projects usage: choose a day up to {horizon}", spelled)


def check_plan_by(area: str, as_of: date, by: date | None, spelled: str = "by") -> None:
    """Refuse a plan's target day past `plan_horizon` (a day before `as_of` the plan itself refuses)."""
    if by is None or by <= as_of or area not in AREAS:  # the plan itself refuses those
        return
    horizon = plan_horizon(area, as_of)
    if by > horizon:
        rule = rules_at(as_of).areas[area].qualification_window
        raise LimitExceeded(f"{spelled} {by} is more than one qualification window ({rule.length} "
                            f"{'days' if rule.kind == 'days' else 'months'}) after {as_of}: "
                            f"choose a day up to {horizon}", spelled)
