"""The web app's access to the library: engine calls in worker processes with a time limit, results
cached per database state.

Results are cached by (database version, call, arguments); the version is the file's modification
time and size, so an import (from this app or the command line) makes every entry stale. A cached
result answers on the event loop, whatever the engine is doing.

A miss runs in a worker process (`web/worker.py`), one job at a time per lane: reads (scores,
explanations, the ledger, findings) and decisions (plan, forecast, diff, alerts, what-if) have a
worker each, so a slow plan never holds up a score. The lanes belong to the process, not to one app,
so that every app in it (tests make many) finds the engine warm. A request's engine work, waiting for
its lane included, has one deadline (`web/deadline.py`); past it the job's worker is killed, which
frees its memory, and replaced, and the request gets a 503. An import runs in this process, once no
worker reads the file: DuckDB refuses a read-write open beside read-only ones.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, TimeoutError as FutureTimeout
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from starlette.concurrency import run_in_threadpool

from partnerscore.engine.report import ScoreReport
from partnerscore.web.deadline import remaining, request_seconds
from partnerscore.web.errors import ApiError
from partnerscore.web.worker import JobCrashed, JobTimeout, Worker, WorkerGone

log = logging.getLogger("partnerscore.web")

CACHE_SIZE = 128
#: Seconds a looked-up database version is trusted (a change by another process shows after this).
VERSION_TTL = 1.0
LANES = ("reads", "decisions")


class Lane:
    """One worker and the lock that gives it one job at a time."""

    def __init__(self, name: str) -> None:
        self.worker = Worker(name)
        self.lock = threading.Lock()


_LANES: dict[str, Lane] = {}
_LANES_LOCK = threading.Lock()


def process_lanes() -> dict[str, Lane]:
    """This process's lanes, made on first use (their workers start on first use too)."""
    with _LANES_LOCK:
        if not _LANES:
            _LANES.update((name, Lane(name)) for name in LANES)
        return _LANES


class DataService:
    """Cached calls into the library for one database file, each run in a worker under a time limit."""

    def __init__(self, db: Path | str, limit: float | None = None) -> None:
        self.db = Path(db)
        self.limit = request_seconds(limit)
        self.lanes = process_lanes()
        self._cache: OrderedDict = OrderedDict()
        self._running: dict[tuple, tuple[Future, int]] = {}  # key -> (its result, the computing thread)
        self._cache_lock = threading.Lock()
        self._version: tuple | None = None

    # --- workers ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the reads worker and wait until it has imported the engine, so that the first page
        does not wait for it; the decisions worker starts with the first decision (a server nobody
        plans on does not hold its memory). Workers run until the process ends (daemon processes,
        each also ending when it finds its server gone)."""
        try:
            self.engine("reads", "partnerscore.web.jobs:ready")
        except ApiError as exc:  # the first request will say so again, with the same error
            log.warning("the engine worker is not ready: %s", exc.message)

    def stop_now(self) -> None:
        """Kill the workers at once (server shutdown: a signal handler may call this)."""
        for lane in self.lanes.values():
            lane.worker.stop_now()

    def engine(self, lane_name: str, function: str, *args, **kwargs) -> Any:
        """`function(self.db, *args, **kwargs)` run in the lane's worker within the request's deadline."""
        lane = self.lanes[lane_name]
        if not lane.lock.acquire(timeout=max(remaining(self.limit), 0)):
            raise self._timeout("the engine, busy with earlier requests")
        try:
            return lane.worker.call(function, (self.db, *args), kwargs, timeout=remaining(self.limit))
        except JobTimeout:
            raise self._timeout() from None
        except WorkerGone:
            if lane.worker.closed:
                raise ApiError(503, "the server is shutting down; try again when it is back",
                               code="unavailable") from None
            raise ApiError(503, "the engine process stopped before answering (the system may be short of "
                           "memory); try again", code="unavailable") from None
        except JobCrashed as exc:
            raise RuntimeError(f"{function} failed in the engine worker:\n{exc}") from None
        finally:
            lane.lock.release()

    def _timeout(self, waited_for: str | None = None) -> ApiError:
        """503 `timeout`: the request's computation was stopped, or it waited its whole time for `waited_for`."""
        limit = f"{self.limit:g} s, the server's time limit (PARTNERSCORE_REQUEST_SECONDS)"
        message = (f"the request was stopped after {limit}; ask for less (a nearer day, fewer months or "
                   "customers) or try again later" if waited_for is None else
                   f"the request waited {limit}, for {waited_for}; try again later")
        return ApiError(503, message, code="timeout", details={"limit_seconds": self.limit})

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold every lane: no worker has the database open while this process writes it."""
        with ExitStack() as held:
            for lane in self.lanes.values():
                if not lane.lock.acquire(timeout=self.limit):
                    raise self._timeout("the engine, busy with earlier requests")
                held.callback(lane.lock.release)
            yield

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
            raise ApiError(503, f"no database ({self.db.name}) yet; an admin can import a data set "
                           "(POST /api/imports, or `partnerscore import DATASET --db FILE`)", code="no_database") from None
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
        """The cached result of `compute()`; on a miss, computed once however many requests ask for it
        at the same time (the others wait for that result, within their own deadline)."""
        version = self.version()
        key = (kind, version, args)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            running, thread = self._running.get(key, (None, None))
            if running is None:
                future = Future()
                self._running[key] = (future, threading.get_ident())
        if thread == threading.get_ident():  # `compute` asks for its own key (a route caching a cached call)
            return compute()
        if running is not None:
            try:
                return running.result(timeout=max(remaining(self.limit), 0))
            except FutureTimeout:
                raise self._timeout("the same computation, asked by an earlier request") from None
        try:
            value = compute()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(self.remember(kind, args, value, version))
            return value
        finally:
            with self._cache_lock:
                del self._running[key]

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
        return self.cached("score", (day, partners), lambda: self.engine(
            "reads", "partnerscore.api:score_db", day, partners=None if partners is None else sorted(partners)))

    async def last_usage_month(self) -> date | None:
        """The first day of the latest month with usage: the month of the default day (`engine.as_of`)."""
        found = await self.acached("last_usage_month", (), lambda: (  # in a tuple: the cache takes None for a miss
            self.engine("reads", "partnerscore.web.jobs:last_usage_month"),))
        return found[0]

    def partners(self) -> list[dict]:
        """Every partner row (id, name, role, parent) of the database."""
        return self.cached("partners", (), lambda: self.engine("reads", "partnerscore.web.jobs:partners"))

    def explain(self, partner: str, area: str, day: date, metric: str | None):
        return self.cached("explain", (partner, area, day, metric), lambda: self.engine(
            "reads", "partnerscore.api:explain_db", partner, area, day, metric))

    def findings(self, day: date) -> list:
        return self.cached("findings", (day,), lambda: self.engine("reads", "partnerscore.api:validate_db", day))

    def associations(self, day: date, **filters) -> tuple[list[dict], int]:
        key = tuple(sorted(filters.items()))
        return self.cached("associations", (day, key), lambda: self.engine(
            "reads", "partnerscore.api:list_associations_db", day, **filters))

    def whatif(self, partner: str, day: date, changes: list[dict]):
        """A what-if whose "before" is the partner's score the dashboard already has (cached)."""
        before = self.score(day, frozenset({partner}))
        return self.engine("decisions", "partnerscore.api:whatif_db", partner, day, changes, before=before)

    def decision(self, kind: str, args: tuple, key: tuple | None = None) -> dict:
        """A decision tool's document (`partnerscore.web.jobs.<kind>`), cached by `key` (default `args`)."""
        return self.cached(kind, key or args, lambda: self.engine("decisions", f"partnerscore.web.jobs:{kind}", *args))

    def import_folder(self, folder: Path, skip_bad_rows: bool):
        from partnerscore.ingest.importer import import_dataset
        with self._exclusive():
            try:
                return import_dataset(folder, self.db, skip_bad_rows=skip_bad_rows)
            finally:
                self.forget_version()

    def imports(self) -> list:
        return self.cached("imports", (), lambda: self.engine(
            "reads", "partnerscore.ingest.quarantine:list_imports"))

    def quarantine(self, import_id: str, limit: int, offset: int) -> tuple[list, int]:
        """One page of an import's rejected rows, and how many there are in all."""
        return self.cached("quarantine", (import_id, limit, offset), lambda: self.engine(
            "reads", "partnerscore.web.jobs:quarantine_page", import_id, limit, offset))

    def changes(self, import_id: str, table: str | None, limit: int, offset: int) -> tuple[list, int]:
        """One page of the rows an import changed (of `table`, or of all), and how many there are in all."""
        return self.cached("changes", (import_id, table, limit, offset), lambda: self.engine(
            "reads", "partnerscore.web.jobs:changes_page", import_id, table, limit, offset))


def _only(report: ScoreReport, partners: frozenset[str]) -> ScoreReport:
    return ScoreReport(report.as_of, report.rules_version, [p for p in report.partners if p.partner_id in partners],
                       report.day)
