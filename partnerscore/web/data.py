"""The web app's access to the library: one engine call at a time, results cached per database state.

Scoring takes seconds the first time for a day and partner filter, so results are cached by
(database version, call, arguments); the version is the file's modification time and size, so an
import (from this app or the command line) makes every entry stale. Engine calls run one at a time
under one lock: DuckDB refuses a read-write connection (import) beside read-only ones in a process,
and the engine's plan cache is not shared safely between threads.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from partnerscore import api
from partnerscore.engine.as_of import last_reported_month
from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.report import ScoreReport
from partnerscore.web.errors import ApiError

CACHE_SIZE = 128
#: Seconds a looked-up database version is trusted (a change by another process shows after this).
VERSION_TTL = 1.0


class DataService:
    """Cached, serialised calls into the library for one database file."""

    def __init__(self, db: Path | str) -> None:
        self.db = Path(db)
        self.lock = threading.RLock()
        self._cache: OrderedDict = OrderedDict()
        self._cache_lock = threading.Lock()
        self._version: tuple | None = None

    # --- cache -----------------------------------------------------------------------------------
    def version(self) -> tuple:
        """What identifies the database's content: file (and write-ahead log) time and size.

        Looked up at most every VERSION_TTL seconds (a cache hit then costs no system call); this
        app's own imports call `forget_version` so their result shows at once.
        """
        now = time.monotonic()
        if self._version is not None and now - self._version[0] < VERSION_TTL:
            return self._version[1]
        version = self._stat()
        self._version = (now, version)
        return version

    def forget_version(self) -> None:
        self._version = None

    def _stat(self) -> tuple:
        try:
            st = self.db.stat()
        except FileNotFoundError:
            raise ApiError(503, f"no database at {self.db}; an admin can import a data set (POST /api/imports, "
                           "or `partnerscore import DATASET --db FILE`)", code="no_database") from None
        wal = self.db.with_name(self.db.name + ".wal")
        return (st.st_mtime_ns, st.st_size, wal.stat().st_mtime_ns if wal.exists() else 0)

    def peek(self, kind: str, *args) -> Any:
        """A cached result, or None (cheap: safe to call on the event loop)."""
        key = (kind, self.version(), args)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        return None

    def remember(self, kind: str, args: tuple, value: Any, version: tuple | None = None) -> Any:
        with self._cache_lock:
            self._cache[(kind, version or self.version(), args)] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def cached(self, kind: str, args: tuple, compute: Callable[[], Any]) -> Any:
        """The cached result of `compute()`, computing it under the engine lock on a miss."""
        hit = self.peek(kind, *args)
        if hit is not None:
            return hit
        with self.lock:
            hit = self.peek(kind, *args)  # another thread may have computed it while we waited
            if hit is not None:
                return hit
            version = self.version()
            return self.remember(kind, args, compute(), version)

    async def acached(self, kind: str, args: tuple, compute: Callable[[], Any]) -> Any:
        """`cached` for async routes: a hit costs no thread, a miss runs in the thread pool."""
        hit = self.peek(kind, *args)
        if hit is not None:
            return hit
        return await run_in_threadpool(self.cached, kind, args, compute)

    # --- library calls ---------------------------------------------------------------------------
    def score(self, day: date, partners: frozenset[str] | None) -> ScoreReport:
        """The score report for `partners` (None = every partner), from the full day's report if cached."""
        if partners is not None:
            full = self.peek("score", day, None)
            if full is not None:
                return _only(full, partners)
        return self.cached("score", (day, partners), lambda: api.score_db(
            self.db, day, partners=None if partners is None else sorted(partners)))

    async def last_usage_month(self) -> date | None:
        """The first day of the latest month with usage: the month of the default day (`engine.as_of`)."""
        def read() -> tuple[date | None]:
            tables = open_duckdb(self.db)
            try:
                return (last_reported_month(tables),)  # in a tuple: the cache takes None for a miss
            finally:
                tables.backend.disconnect()
        return (await self.acached("last_usage_month", (), read))[0]

    def partners(self) -> list[dict]:
        """Every partner row (id, name, role, parent) of the database."""
        def read():
            tables = open_duckdb(self.db)
            try:
                rows = tables.partners.order_by("partner_id").to_pyarrow().to_pylist()
            finally:
                tables.backend.disconnect()
            return [{"partner_id": r["partner_id"], "name": r.get("name"), "role": r.get("role"),
                     "parent_partner_id": r.get("parent_partner_id")} for r in rows]
        return self.cached("partners", (), read)

    def explain(self, partner: str, area: str, day: date, metric: str | None):
        return self.cached("explain", (partner, area, day, metric),
                           lambda: api.explain_db(self.db, partner, area, day, metric))

    def findings(self, day: date) -> list:
        return self.cached("findings", (day,), lambda: api.validate_db(self.db, day))

    def associations(self, day: date, **filters) -> tuple[list[dict], int]:
        key = tuple(sorted(filters.items()))
        return self.cached("associations", (day, key), lambda: api.list_associations_db(self.db, day, **filters))

    def whatif(self, partner: str, day: date, changes: list[dict]):
        """A what-if whose "before" is the partner's score the dashboard already has (cached)."""
        before = self.score(day, frozenset({partner}))
        with self.lock:
            return api.whatif_db(self.db, partner, day, changes, before=before)

    def import_folder(self, folder: Path, skip_bad_rows: bool):
        from partnerscore.ingest.importer import import_dataset
        with self.lock:
            try:
                return import_dataset(folder, self.db, skip_bad_rows=skip_bad_rows)
            finally:
                self.forget_version()

    def imports(self) -> list:
        from partnerscore.ingest.quarantine import list_imports
        return self.cached("imports", (), lambda: list_imports(self.db))

    def quarantine(self, import_id: str, limit: int, offset: int) -> tuple[list, int]:
        """One page of an import's rejected rows, and how many there are in all."""
        from partnerscore.ingest.quarantine import count_quarantine, list_quarantine
        return self.cached("quarantine", (import_id, limit, offset), lambda: (
            list_quarantine(self.db, import_id, limit=limit, offset=offset), count_quarantine(self.db, import_id)))

    def changes(self, import_id: str, table: str | None, limit: int, offset: int) -> tuple[list, int]:
        """One page of the rows an import changed (of `table`, or of all), and how many there are in all."""
        from partnerscore.ingest.quarantine import count_changes, list_changes
        return self.cached("changes", (import_id, table, limit, offset), lambda: (
            list_changes(self.db, import_id, table, limit=limit, offset=offset),
            count_changes(self.db, import_id, table)))


def _only(report: ScoreReport, partners: frozenset[str]) -> ScoreReport:
    return ScoreReport(report.as_of, report.rules_version, [p for p in report.partners if p.partner_id in partners])
