"""Replay a plan's statements side by side on several DuckDB connections.

A few partners' run is about seventy statements of a few milliseconds each, mostly DuckDB's fixed
cost per statement (binding, optimising, starting pipelines), which it spends on one core. Here a
statement starts as soon as a connection is free and the tables it reads exist, the first such in
the plan's order: handing every ready statement to the pool at once queued the covered usage, which
most statements wait for, behind the ones ready before it.

There is one connection per DuckDB thread, and for the length of the run DuckDB runs each statement
on one thread: on tables of a few hundred rows, handing a statement's work between threads costs more
than it saves (one partner's score at 10M usage rows: 0.37 s with two threads, 0.30 s with one).
DuckDB's thread count belongs to the whole database instance, so side-by-side runs in a process take
turns, and the count is set back at the end of each; other queries on the instance meanwhile run on
one thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager

import pyarrow as pa

from partnerscore.engine.connect import fetch_arrow, scratch_database


#: Held by the side-by-side run under way in this process (each sets DuckDB's thread count).
_TAKING_TURNS = threading.Lock()


def duckdb_threads(backend) -> int:
    """How many threads the DuckDB instance of `backend` runs queries on."""
    return int(backend.con.execute("SELECT current_setting('threads')").fetchall()[0][0])


@contextmanager
def _one_thread_each(backend) -> Iterator[int]:
    """For the block: DuckDB on one thread per query, after the other side-by-side runs of this
    process; yields the thread count it had, set back on exit."""
    with _TAKING_TURNS:
        threads = duckdb_threads(backend)
        backend.con.execute("SET threads = 1")
        try:
            yield threads
        finally:
            backend.con.execute(f"SET threads = {threads}")


def replay_side_by_side(plan, backend, bind: Callable[[str], str], run_id: str) -> list[pa.Table]:
    """Execute `plan` (a `Plan`, its SQL passed through `bind`) on one connection per DuckDB thread and
    return its final queries' results. The run's tables are made under their recorded names in a
    database of their own (`scratch_database`), attached for the run and detached at its end."""
    made = len(plan.temporaries)
    steps = [sql for _, sql in plan.temporaries] + [sql for sql, _ in plan.finals]
    reads = plan.reads()
    results: dict[int, pa.Table] = {}
    cursors: queue.SimpleQueue = queue.SimpleQueue()

    def execute(i: int) -> None:
        cursor = cursors.get()
        try:
            if i < made:
                cursor.execute(f'CREATE TABLE "{plan.temporaries[i][0]}" AS {bind(steps[i])}')
            else:
                results[i] = fetch_arrow(cursor, bind(steps[i]))
        finally:
            cursors.put(cursor)
    done: set[int] = set()
    waiting, running = list(range(len(steps))), {}
    with _one_thread_each(backend) as workers, scratch_database(backend, run_id, workers) as connections:
        for cursor in connections:
            cursors.put(cursor)
        with ThreadPoolExecutor(workers) as pool:
            while waiting or running:
                for i in [i for i in waiting if reads[i] <= done][:workers - len(running)]:
                    waiting.remove(i)
                    running[pool.submit(execute, i)] = i
                assert running, "a statement reads a table no statement of the plan makes"
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    done.add(running.pop(future))
                    future.result()  # the first failure ends the run (the pool lets running ones finish)
    return [results[made + k].cast(schema) for k, (_, schema) in enumerate(plan.finals)]
