"""Compiled scoring plans: the SQL of one scoring run, kept to replay without rebuilding expressions.

Building and compiling the Ibis expressions of every metric costs seconds; the SQL they compile to
depends only on the rules, the day scored, the partner filter and the backend, never on the data
(tables are referenced by name). A run records each statement it executes; a later run with the same
key replays them with fresh temporary-table names. The expressions stay the single definition of
every rule: a plan is only their compiled form.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

import pyarrow as pa

from partnerscore.engine.connect import drop_materialized, materialize_sql, query_arrow

MAX_PLANS = 32


def new_run_id() -> str:
    """A token unique to one run, embedded in its temporary-table names."""
    return f"psrun{uuid.uuid4().hex[:12]}"


@dataclass
class Plan:
    """The statements of one recorded run: temporary tables in order, then the final query."""

    run_id: str
    temporaries: list[tuple[str, str]] = field(default_factory=list)
    final_sql: str = ""
    schema: pa.Schema | None = None

    def replay(self, backend) -> pa.Table:
        """Execute the recorded statements under a fresh run id and return the final result."""
        run_id = new_run_id()
        created = []
        try:
            for name, sql in self.temporaries:
                fresh = name.replace(self.run_id, run_id)
                materialize_sql(backend, sql.replace(self.run_id, run_id), fresh)
                created.append(fresh)
            result = query_arrow(backend, self.final_sql.replace(self.run_id, run_id))
        finally:
            for name in created:
                drop_materialized(backend, name)
        return result.cast(self.schema) if self.schema is not None else result


class PlanCache:
    """Recently used plans by key (least recently used dropped first); safe to share between threads."""

    def __init__(self, size: int = MAX_PLANS) -> None:
        self.size = size
        self._plans: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> Plan | None:
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
            return plan

    def put(self, key, plan: Plan) -> None:
        with self._lock:
            self._plans[key] = plan
            self._plans.move_to_end(key)
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)


PLANS = PlanCache()
