"""Calendar arithmetic of program-rules R1: the scoring month and the months a metric looks back on."""

from __future__ import annotations

from datetime import date, timedelta


def month_start(day: date) -> date:
    """The first day of the month holding `day`."""
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after (negative: before) `month`."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of the month starting on `month`."""
    return add_months(month, 1) - timedelta(days=1)


def scoring_month(day: date) -> date:
    """The latest calendar month whose last day is on or before `day` (R1).

    >>> scoring_month(date(2026, 10, 31)), scoring_month(date(2026, 10, 30))
    (datetime.date(2026, 10, 1), datetime.date(2026, 9, 1))
    """
    if month_end(month_start(day)) == day:
        return month_start(day)
    return add_months(month_start(day), -1)


def month_range(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included."""
    months, current = [], first
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months
