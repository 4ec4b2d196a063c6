"""Compiled scoring plans: the SQL of one scoring run, kept to replay without rebuilding expressions.

Building and compiling the Ibis expressions of every metric costs seconds; the SQL they compile to
depends only on the rules, the day scored, the number of partners and the backend, never on the data
(tables are referenced by name). A run records each statement it executes; a later run with the same
key replays them with fresh temporary-table names. The expressions stay the single definition of
every rule: a plan is only their compiled form.

A run for some partners is compiled for stand-in partner IDs (`stand_ins`) and replayed with the
partners asked in their place, so one plan serves every partner (or every batch of as many partners):
a first look at another partner replays too.

Plans are kept in memory and on disk (`PlanStore`), so each new process — every CLI command — replays
what an earlier one compiled instead of compiling again, as Python keeps its bytecode in __pycache__.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import ibis
import pyarrow as pa
import sqlglot

from partnerscore.engine.connect import drop_materialized, materialize_sql, query_arrow
from partnerscore.engine.side_by_side import duckdb_threads, replay_side_by_side

MAX_PLANS = 32
MAX_STORED = 512
PLAN_CACHE_ENV = "PARTNERSCORE_PLAN_CACHE"


#: A stand-in partner ID as the compiled SQL quotes it; the number is its place among the partners.
STAND_IN = re.compile(r"'ps-stand-in-partner-(\d{6})'")


def new_run_id() -> str:
    """A token unique to one run, embedded in its temporary-table names."""
    return f"psrun{uuid.uuid4().hex[:12]}"


def stand_ins(count: int) -> list[str]:
    """The partner IDs a plan for `count` partners is compiled for (no store holds them)."""
    return [f"ps-stand-in-partner-{i:06d}" for i in range(count)]


@dataclass
class Plan:
    """The statements of one recorded run: temporary tables in order, then the queries whose results
    the run returns (one for a score; one per metric and one for the associations for an explanation).
    A plan is not changed once replayed."""

    run_id: str
    temporaries: list[tuple[str, str]] = field(default_factory=list)
    finals: list[tuple[str, pa.Schema]] = field(default_factory=list)
    _read_sets: list[set[int]] | None = field(default=None, init=False, repr=False, compare=False)

    def replay(self, backend, partners: Sequence[str] = (), *, side_by_side: bool = False) -> list[pa.Table]:
        """Execute the recorded statements under a fresh run id, with `partners` in place of the stand-ins
        the plan was compiled for, and return the final queries' results.

        With `side_by_side` (a DuckDB store's own tables, `Tables.shared`), independent statements run
        at once on as many connections as DuckDB has threads (by default, the machine's cores), one
        thread each (`engine/side_by_side.py`)."""
        run_id = new_run_id()
        literals = [sqlglot.exp.Literal.string(p).sql(dialect=backend.compiler.dialect) for p in partners]

        def bind(sql: str) -> str:
            return STAND_IN.sub(lambda m: literals[int(m[1])], sql)
        if side_by_side and backend.name == "duckdb" and duckdb_threads(backend) > 1:
            return replay_side_by_side(self, backend, bind, run_id)
        created = []
        try:
            for name, sql in self.temporaries:
                fresh = name.replace(self.run_id, run_id)
                materialize_sql(backend, bind(sql.replace(self.run_id, run_id)), fresh)
                created.append(fresh)
            return [query_arrow(backend, bind(sql.replace(self.run_id, run_id))).cast(schema)
                    for sql, schema in self.finals]
        finally:
            for name in created:
                drop_materialized(backend, name)

    def reads(self) -> list[set[int]]:
        """For each statement (temporaries, then finals), the temporaries it reads, by place."""
        if self._read_sets is None:
            quoted = [f'"{name}"' for name, _ in self.temporaries]
            self._read_sets = [{j for j, name in enumerate(quoted) if name in sql}
                               for sql in [sql for _, sql in self.temporaries] + [sql for sql, _ in self.finals]]
        return self._read_sets


@cache
def _code_digest() -> str:
    """A digest of what compiled SQL depends on besides a plan's key: this package's Python source
    and the Ibis version (the rules are in the key, as their fingerprint)."""
    digest = hashlib.sha256(ibis.__version__.encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class PlanStore:
    """Plans as JSON files in a folder, named by a digest of their key and of `_code_digest`.

    The folder is `$PARTNERSCORE_PLAN_CACHE`, else `$XDG_CACHE_HOME/partnerscore/plans` (by default
    `~/.cache/partnerscore/plans`); `PARTNERSCORE_PLAN_CACHE=off` keeps plans in memory only. A file
    that cannot be read is a miss, files are written whole (rename), and only the MAX_STORED most
    recently written are kept.
    """

    @staticmethod
    def folder() -> Path | None:
        configured = os.environ.get(PLAN_CACHE_ENV)
        if configured == "off":
            return None
        if configured:
            return Path(configured)
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "partnerscore" / "plans"

    def _path(self, key) -> Path | None:
        folder = self.folder()
        if folder is None:
            return None
        return folder / f"{hashlib.sha256((repr(key) + _code_digest()).encode()).hexdigest()[:32]}.json"

    def get(self, key) -> Plan | None:
        path = self._path(key)
        try:
            doc = json.loads(path.read_text()) if path else None
            if doc is None or doc["key"] != repr(key):
                return None
            finals = [(sql, pa.ipc.read_schema(pa.py_buffer(base64.b64decode(schema))))
                      for sql, schema in doc["finals"]]
            return Plan(doc["run_id"], [tuple(t) for t in doc["temporaries"]], finals)
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            return None

    def put(self, key, plan: Plan) -> None:
        path = self._path(key)
        if path is None:
            return
        finals = [(sql, base64.b64encode(schema.serialize().to_pybytes()).decode()) for sql, schema in plan.finals]
        doc = {"key": repr(key), "run_id": plan.run_id, "temporaries": plan.temporaries, "finals": finals}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as out:
                json.dump(doc, out)
            os.replace(out.name, path)
            stored = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in stored[MAX_STORED:]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # a cache that cannot be written only costs the next process a compile


class PlanCache:
    """Recently used plans by key (least recently used dropped first), backed by a `PlanStore`;
    safe to share between threads."""

    def __init__(self, size: int = MAX_PLANS, store: PlanStore | None = None) -> None:
        self.size = size
        self.store = store
        self._plans: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> Plan | None:
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                return plan
        plan = self.store.get(key) if self.store else None
        if plan is not None:
            self._remember(key, plan)
        return plan

    def put(self, key, plan: Plan) -> None:
        self._remember(key, plan)
        if self.store:
            self.store.put(key, plan)

    def _remember(self, key, plan: Plan) -> None:
        with self._lock:
            self._plans[key] = plan
            self._plans.move_to_end(key)
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)


PLANS = PlanCache(store=PlanStore())
