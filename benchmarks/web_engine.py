"""Benchmark of the web app's engine calls on the demo database, over loopback only: how fast a first and
a cached page answer, whether reads keep answering while a plan runs, and what a plan past the time
limit costs in memory.

Starts `partnerscore serve` on 127.0.0.1 (a free port) twice: once with a generous time limit, once with
PARTNERSCORE_REQUEST_SECONDS=--limit. Memory is the RSS of the server and every process it started
(the engine workers). Writes `benchmarks/results/web_engine.json`.

    python benchmarks/web_engine.py                    # demo database built in a temp folder
    python benchmarks/web_engine.py --db demo.duckdb --limit 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
from benchlib import load, now_iso, write_json
from web_load import HOST, demo_db, free_port

AS_OF = "2026-10-31"
CONTOSO, FABRIKAM = "4650101", "4650202"
#: A plan that takes tens of seconds on the demo: every month end up to 2027-03-31 (five target days).
SLOW_PLAN = (f"/api/partners/{CONTOSO}/areas/data_ai/plan", {"as_of": AS_OF, "by": "2027-03-31", "keep": True})
RESULTS = Path(__file__).parent / "results" / "web_engine.json"


def tree_rss(pid: int) -> int:
    """RSS in MB of a process and all its descendants."""
    root = psutil.Process(pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total >> 20


def rss_by_process(pid: int) -> dict[str, int]:
    """RSS in MB of the server and of each process it started, by pid."""
    root = psutil.Process(pid)
    out = {}
    for proc in [root, *root.children(recursive=True)]:
        try:
            out[f"{'server' if proc.pid == pid else 'child'} {proc.pid}"] = proc.memory_info().rss >> 20
        except psutil.NoSuchProcess:
            pass
    return out


@contextmanager
def server(db: Path, users: Path, env: dict):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from partnerscore.cli.app import main; main()", "serve", "--db", str(db),
         "--users", str(users), "--host", HOST, "--port", str(port), "--as-of", AS_OF, "--no-access-log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env})
    base = f"http://{HOST}:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


def timed(client: httpx.Client, method: str, url: str, **kw) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.request(method, url, **kw)
    return round(time.perf_counter() - start, 3), response.status_code


def in_background(client: httpx.Client, pid: int) -> tuple[threading.Thread, dict]:
    """POST the slow plan in a thread; its result and the peak RSS while it ran land in the dict."""
    out: dict = {"peak_mb": 0}

    def run() -> None:
        out["seconds"], out["status"] = timed(client, "POST", SLOW_PLAN[0], json=SLOW_PLAN[1])

    thread = threading.Thread(target=run)
    thread.start()

    def sample() -> None:
        while thread.is_alive():
            out["peak_mb"] = max(out["peak_mb"], tree_rss(pid))
            time.sleep(0.1)

    threading.Thread(target=sample, daemon=True).start()
    return thread, out


def pages(base: str, pid: int, token: str) -> dict:
    """First and cached page, then reads while the slow plan runs, with memory before and after it."""
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=900)
    first, _ = timed(client, "GET", f"/api/partners/{CONTOSO}/scores")
    cached = [timed(client, "GET", f"/api/partners/{CONTOSO}/scores")[0] for _ in range(30)]
    other, _ = timed(client, "GET", f"/api/partners/{FABRIKAM}/scores")
    page, _ = timed(client, "GET", f"/api/partners/{FABRIKAM}/areas/modern_work")
    before, processes_before = tree_rss(pid), rss_by_process(pid)
    thread, plan = in_background(client, pid)
    time.sleep(2)  # the plan is under way
    during = [timed(client, "GET", f"/api/partners/{CONTOSO}/scores")[0] for _ in range(10)]
    uncached, status = timed(client, "GET", f"/api/partners/{FABRIKAM}/scores?as_of=2026-09-30")
    running = thread.is_alive()
    thread.join()
    return {"first_page_s": first, "cached_page_median_s": statistics.median(cached),
            "another_partner_first_page_s": other, "area_page_cached_engine_s": page,
            "cached_read_while_plan_runs_max_s": max(during),
            "uncached_read_while_plan_runs_s": uncached, "uncached_read_status": status,
            "plan_still_running_after_uncached_read": running, "plan": plan,
            "rss_before_plan_mb": before, "rss_after_plan_mb": tree_rss(pid),
            "rss_by_process_before_plan_mb": processes_before, "rss_by_process_after_plan_mb": rss_by_process(pid)}


def cancelled(base: str, pid: int, token: str) -> dict:
    """The slow plan under a short time limit: its answer, and memory before, during and after."""
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=900)
    timed(client, "GET", f"/api/partners/{CONTOSO}/scores")
    before, processes_before = tree_rss(pid), rss_by_process(pid)
    thread, plan = in_background(client, pid)
    thread.join()
    processes_at_answer = rss_by_process(pid)
    time.sleep(5)  # a replacement worker starts and imports the engine
    after = tree_rss(pid)
    again, status = timed(client, "GET", f"/api/partners/{FABRIKAM}/scores")
    return {"plan": plan, "rss_before_plan_mb": before, "rss_after_answer_mb": after,
            "rss_by_process_before_plan_mb": processes_before, "rss_by_process_at_answer_mb": processes_at_answer,
            "rss_by_process_after_answer_mb": rss_by_process(pid),
            "next_uncached_read_s": again, "next_uncached_read_status": status}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="partnerscore database (default: build the demo in a temp folder)")
    parser.add_argument("--limit", type=float, default=5.0, help="the short time limit, in seconds")
    parser.add_argument("--label", default="", help="what code ran (e.g. the commit)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    from partnerscore.web.security import add_user

    with tempfile.TemporaryDirectory(prefix="partnerscore-bench-") as tmp:
        tmp = Path(tmp)
        db = args.db or demo_db(tmp)
        users = tmp / "users.yaml"
        token = add_user(users, "bench", "admin", "*")
        started = {"when": now_iso(), "load_before": load(), "label": args.label}
        with server(db, users, {"PARTNERSCORE_REQUEST_SECONDS": "600"}) as (base, pid):
            generous = pages(base, pid, token)
        print(generous)
        with server(db, users, {"PARTNERSCORE_REQUEST_SECONDS": str(args.limit)}) as (base, pid):
            short = cancelled(base, pid, token)
        print(short)
    write_json(args.out, {**started, "limit_s": args.limit, "generous_limit": generous, "short_limit": short,
                          "load_after": load(), "cpus": os.cpu_count()})
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
