"""Replay a plan's statements side by side on several DuckDB connections.

A few partners' run is about seventy statements of a few milliseconds each, mostly DuckDB's fixed
cost per statement (binding, optimising, starting pipelines), which it spends on one core. Here a
statement starts as soon as a connection is free and the tables it reads exist, the first such in
the plan's order: handing every ready statement to the pool at once queued the covered usage, which
most statements wait for, behind the ones ready before it.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import pyarrow as pa

from partnerscore.engine.connect import fetch_arrow, scratch_database


def replay_side_by_side(plan, backend, bind: Callable[[str], str], run_id: str, workers: int) -> list[pa.Table]:
    """Execute `plan` (a `Plan`, its SQL passed through `bind`) on `workers` connections and return its
    final queries' results. The run's tables are made under their recorded names in a database of
    their own (`scratch_database`), attached for the run and detached at its end."""
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
    with scratch_database(backend, run_id, workers) as connections:
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
