"""The engine's own process: the web app runs each library call that reads the database in a worker
process, so that a call past its time limit can be stopped.

A thread cannot be stopped, and DuckDB's `interrupt()` does not reach the Python between its queries
(a plan spends much of its time in OR-Tools and in building what-if tables). A process can: the server
kills it (SIGKILL), which frees all its memory and its hold on the database file at once, and starts a
replacement. A worker stays alive between jobs, so the engine's in-process caches (compiled scoring
plans, rule sets) stay warm; only a job that overran costs the next one a cold start.

Jobs and results cross a pipe as pickles. A job names a module-level function (`module:function`); a
`PartnerscoreError` comes back as itself (the web maps it to 4xx), any other exception as `JobCrashed`
carrying the worker's traceback.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
import signal
import threading
import time
import traceback
from typing import Any

from partnerscore.errors import PartnerscoreError

#: The server has threads (uvicorn's, the thread pool's): a forked child would copy their locks held.
_CONTEXT = multiprocessing.get_context("spawn")
#: How often a worker checks that the server that started it is still alive.
ORPHAN_CHECK_SECONDS = 1.0


class JobTimeout(Exception):
    """The job ran past its time limit; the worker running it was killed and replaced."""


class WorkerGone(Exception):
    """The worker stopped before answering: the server is shutting down, or the system killed it."""


class JobCrashed(Exception):
    """The job raised an unexpected error; the message is the worker's traceback."""


class Worker:
    """One engine process, started on first use (or by `start`), running one job at a time.

    The caller serialises `call`s (one lane lock per worker); `stop_now` may come from a signal handler.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False
        self._process = None
        self._conn = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the process unless one runs; it imports the engine while the server does other work."""
        if self.closed or (self._process is not None and self._process.is_alive()):
            return
        if self._process is not None:
            self._reap()
        parent, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(target=serve, args=(child, os.getpid()), name=f"partnerscore-{self.name}",
                                   daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent

    def call(self, function: str, args: tuple = (), kwargs: dict | None = None, *, timeout: float) -> Any:
        """The result of `function(*args, **kwargs)` run in the worker, or the exception it raised.

        Raises:
            JobTimeout: no answer within `timeout` seconds (the worker is killed and replaced).
            WorkerGone: the worker died first (it is replaced, unless the worker was closed).
        """
        self.start()
        if self.closed:
            raise WorkerGone(f"the {self.name} worker is stopped")
        try:
            self._conn.send((function, args, kwargs or {}))
            answered = self._conn.poll(max(timeout, 0.0))
            payload = self._conn.recv_bytes() if answered else None
        except (EOFError, OSError):
            self._replace()
            raise WorkerGone(f"the {self.name} worker stopped before answering") from None
        if payload is None:
            self._replace()
            raise JobTimeout(f"{function} ran past {timeout:.0f} s")
        status, value = pickle.loads(payload)
        if status == "ok":
            return value
        if status == "error":
            raise _rebuild(value)
        raise JobCrashed(value)

    def _replace(self) -> None:
        self._reap()
        self.start()

    def _reap(self) -> None:
        """Kill the process (if alive) and wait for it, so that its memory and file locks are released."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is not None:
            process.kill()
            process.join()
        if conn is not None:
            conn.close()

    def stop_now(self) -> None:
        """Kill the process for good, without waiting and taking no lock: safe in a signal handler. A
        job in flight then ends in WorkerGone, and no replacement starts."""
        self.closed = True
        process = self._process
        if process is not None and process.pid is not None:
            try:
                os.kill(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# --- in the worker process ---------------------------------------------------------------------------

def serve(conn, parent_pid: int) -> None:
    """The worker's loop: run each job received on `conn` and send back its pickled outcome."""
    # Ctrl+C reaches the terminal's whole process group: the server alone decides when a worker stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True).start()
    importlib.import_module("partnerscore.web.jobs")  # the engine, imported before the first job
    while True:
        try:
            function, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        conn.send_bytes(_outcome(function, args, kwargs))


def _outcome(function: str, args: tuple, kwargs: dict) -> bytes:
    try:
        module, name = function.split(":")
        return pickle.dumps(("ok", getattr(importlib.import_module(module), name)(*args, **kwargs)))
    except PartnerscoreError as exc:
        return pickle.dumps(("error", _portable(exc)))
    except Exception:  # a bug: the server logs this traceback with its own
        return pickle.dumps(("crash", traceback.format_exc()))


def _portable(exc: BaseException) -> tuple:
    """An exception as (module, class, args, attributes), rebuilt in the server without calling its
    `__init__` (some take other arguments than their message)."""
    state = dict(vars(exc))
    try:
        pickle.dumps(state)
    except Exception:
        state = {}
    return type(exc).__module__, type(exc).__qualname__, exc.args, state


def _rebuild(portable: tuple) -> BaseException:
    module, qualname, args, state = portable
    try:
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        exc = cls.__new__(cls)
        exc.args = args
        exc.__dict__.update(state)
        return exc
    except Exception:
        return PartnerscoreError(*args)


def _exit_when_orphaned(parent_pid: int) -> None:
    """End the worker when the server is gone (killed without a chance to stop its workers)."""
    while os.getppid() == parent_pid:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(0)
