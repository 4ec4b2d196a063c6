"""The row accumulator behind the demo data set and the large generator.

A `Builder` collects partners, customers, subscriptions, associations and certifications as column
lists, and usage as *series*: one row per subscription × workload holding the parameters of its monthly
curve (level, trend, adoption ramp, lifetime). `usage_table()` expands the series into monthly rows with
numpy, so a data set of hundreds of thousands of usage rows builds in well under a second and the large
generator can expand one chunk of customers at a time.
"""

from __future__ import annotations

import calendar
import random
import uuid
from collections import defaultdict
from datetime import date
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from partnerscore.ingest.tables import CONTRACT

_ARROW = {"string": pa.string(), "date": pa.date32(), "month": pa.string(),
          "decimal": pa.float64(), "integer": pa.int64(), "bool": pa.bool_()}

#: Arrow schema of each contract table (months as `YYYY-MM` strings, dates as date32).
SCHEMAS: dict[str, pa.Schema] = {
    table: pa.schema([(c.name, _ARROW[c.type]) for c in cols]) for table, cols in CONTRACT.items()
}

# Series kinds: how a monthly curve turns into usage columns.
SEAT, ACR, DYN = 0, 1, 2
_SERIES_FIELDS = ("subscription_id", "tenant_id", "workload", "kind", "start", "end", "base",
                  "growth", "a0", "a1", "ramp", "price")
_NUMERIC_FIELDS = _SERIES_FIELDS[3:]
_INT_FIELDS = ("kind", "start", "end")


class Sub(NamedTuple):
    """A subscription as the books use it: ids, terms, its month span and its dates."""

    id: str
    tenant_id: str
    program: str
    cloud: str
    start: int
    end: int
    start_date: date
    end_date: date | None


class Builder:
    """Accumulates the rows of one data set (or one chunk of a large one)."""

    def __init__(self, seed: int, *, months: int, end_month: str, assoc_seq: int = 0):
        self.rnd = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.months = months
        year, month = (int(part) for part in end_month.split("-"))
        self._first = year * 12 + month - 1 - (months - 1)
        self.labels = [self.label(i) for i in range(months)]
        self.rows = {t: {c.name: [] for c in CONTRACT[t]} for t in CONTRACT if t != "usage"}
        self.series: dict[str, list] = {f: [] for f in _SERIES_FIELDS}
        self.extra_usage: list[dict] = []
        self.pools: dict[str, list] = defaultdict(list)
        self.assoc_seq = assoc_seq

    # --- calendar: month index 0 is the first month of the window, months-1 the last.
    def _ym(self, i: int) -> tuple[int, int]:
        ordinal = self._first + i
        return ordinal // 12, ordinal % 12 + 1

    def label(self, i: int) -> str:
        year, month = self._ym(i)
        return f"{year:04d}-{month:02d}"

    def month_start(self, i: int) -> date:
        return date(*self._ym(i), 1)

    def month_end(self, i: int) -> date:
        year, month = self._ym(i)
        return date(year, month, calendar.monthrange(year, month)[1])

    def day(self, i: int, lo: int = 1, hi: int = 28) -> date:
        """A random day of month `i`."""
        return date(*self._ym(i), self.rnd.randint(lo, hi))

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rnd.getrandbits(128), version=4))

    def lifecycle(self, new: float, churn: float, *, history: int = 36) -> tuple[int, int]:
        """Start and end month of a customer relationship: pre-existing or new, open or churned."""
        last = self.months - 1
        if self.rnd.random() < new:
            start = self.rnd.randint(0, last)
        else:
            start = -self.rnd.randint(1, history)
        end = last
        if self.rnd.random() < churn and max(start, 0) + 2 <= last - 1:
            end = self.rnd.randint(max(start, 0) + 2, last - 1)
        return start, end

    # --- rows
    def add(self, table: str, **values) -> None:
        cols = self.rows[table]
        for name, col in cols.items():
            col.append(values.pop(name, None))
        if values:
            raise TypeError(f"{table} has no columns {sorted(values)}")

    def subscription(self, tenant_id: str, program: str, cloud: str, start: int, end: int) -> Sub:
        """Add a subscription active from month `start` to month `end` (the last month is open)."""
        sub = Sub(self.guid(), tenant_id, program, cloud, start, end, self.day(start),
                  self.day(end) if end < self.months - 1 else None)
        self.add("subscriptions", subscription_id=sub.id, tenant_id=tenant_id, program=program,
                 cloud=cloud, start_date=sub.start_date, end_date=sub.end_date)
        self.pools[f"{program}/{cloud}"].append(sub)
        return sub

    def association(self, partner_id: str, type_: str, tenant_id: str, *, start: date,
                    end: date | None = None, association_id: str | None = None, **extra) -> str:
        """Add one association row and return its id."""
        if association_id is None:
            self.assoc_seq += 1
            association_id = f"AS{self.assoc_seq:08d}"
        if end is not None and end < start:
            end = start
        self.add("associations", association_id=association_id, partner_id=partner_id, type=type_,
                 tenant_id=tenant_id, start_date=start, end_date=end, **extra)
        return association_id

    def assoc_row(self, index: int) -> dict:
        """One association row as a dict (to record a correction of it)."""
        return {name: col[index] for name, col in self.rows["associations"].items()}

    def add_series(self, subscription_id: str, tenant_id: str, workload: str, kind: int, start: int,
                   end: int, base: float, growth: float = 0.0, a0: float = 0.0, a1: float = 0.0,
                   ramp: float = 1.0, price: float = 0.0) -> None:
        """Add the monthly curve of one workload on one subscription (months start..end)."""
        for field, value in zip(_SERIES_FIELDS, (subscription_id, tenant_id, workload, kind, start,
                                                 end, base, growth, a0, a1, ramp, price)):
            self.series[field].append(value)

    # --- output
    def usage_table(self) -> pa.Table:
        """Expand the series into monthly usage rows (vectorised)."""
        s = {f: np.asarray(self.series[f], dtype=np.int64 if f in _INT_FIELDS else float)
             for f in _NUMERIC_FIELDS}
        m = np.arange(self.months)
        si, mi = np.nonzero((m >= s["start"][:, None]) & (m <= s["end"][:, None]))
        kind = s["kind"][si]
        # The level moves from the later of the series' start and the window's first month; ramps
        # (adoption, a new Azure customer's first months) run from the series' real start.
        level = s["base"][si] * np.power(1.0 + s["growth"][si], mi - np.maximum(s["start"][si], 0))
        age = (mi - s["start"][si]).astype(float)
        noise = self.np.normal(0.0, 1.0, size=(2, len(si)))
        paid = np.maximum(np.rint(level * (1 + 0.015 * noise[0])), 1)
        ramp = np.clip(age / np.maximum(s["ramp"][si], 1.0), 0.0, 1.0)
        adoption = s["a0"][si] + (s["a1"][si] - s["a0"][si]) * ramp
        seat_active = np.rint(paid * np.clip(adoption + 0.025 * noise[1], 0.0, 1.0))
        acr = np.round(level * np.minimum(1.0, (age + 1) / 3) * np.exp(0.08 * noise[0]), 2)
        dyn_active = np.maximum(np.rint(level * (1 + 0.03 * noise[0])), 1)
        # Billed licences run a little above active users.
        revenue = np.round(np.ceil(dyn_active / 0.85) * s["price"][si], 2)
        is_seat, is_acr, is_dyn = kind == SEAT, kind == ACR, kind == DYN
        take = pa.array(si, pa.int64())
        columns = {
            "month": pa.array(self.labels, pa.string()).take(pa.array(mi, pa.int64())),
            "tenant_id": pa.array(self.series["tenant_id"], pa.string()).take(take),
            "subscription_id": pa.array(self.series["subscription_id"], pa.string()).take(take),
            "workload": pa.array(self.series["workload"], pa.string()).take(take),
            "acr_usd": pa.array(acr, pa.float64(), mask=~is_acr),
            "paid_units": pa.array(paid.astype(np.int64), pa.int64(), mask=~is_seat),
            "active_units": pa.array(np.where(is_seat, seat_active, dyn_active).astype(np.int64),
                                     pa.int64(), mask=is_acr),
            "revenue_usd": pa.array(revenue, pa.float64(), mask=~is_dyn),
        }
        table = pa.table(columns, schema=SCHEMAS["usage"])
        if self.extra_usage:
            extra = pa.Table.from_pylist(self.extra_usage, schema=SCHEMAS["usage"])
            table = pa.concat_tables([table, extra])
        return table

    def table(self, name: str) -> pa.Table:
        """One accumulated non-usage table in contract form."""
        return pa.table(self.rows[name], schema=SCHEMAS[name])

    def tables(self) -> dict[str, pa.Table]:
        out = {name: self.table(name) for name in self.rows}
        out["usage"] = self.usage_table()
        return {name: out[name] for name in CONTRACT}
