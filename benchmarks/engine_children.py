"""The engine benchmark's measurements, each run in a fresh interpreter (`engine.py --child KIND`), and
how the parent starts one, watches its process tree's memory and collects its result."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchlib import MB, ROOT, PeakRSS, load, median, now_iso, write_json
from engine_profile import StatementTimer, profile_plan, run_breakdown

MONTHS = 24                 # months of usage generated


SEED = 7


SPARK_MASTER = "local[2]"


FLOOR_SQL = ("SELECT tenant_id, subscription_id, workload_key, month, sum(acr_micros), sum(paid_units), "
             "sum(active_units), sum(revenue_micros) FROM usage GROUP BY ALL")


def _configure(tables, args) -> None:
    """Benchmark-only connection settings: no progress bar; the memory limit if one was asked for."""
    tables.backend.raw_sql("SET enable_progress_bar = false")
    if args.duckdb_memory_limit:
        tables.backend.raw_sql(f"SET memory_limit = '{args.duckdb_memory_limit}'")


def _setting(tables, name: str) -> str:
    return tables.backend.con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]


def child_floor(args) -> dict:
    import duckdb

    rss = PeakRSS()
    con = duckdb.connect(str(args.db), read_only=True)
    con.execute("SET enable_progress_bar = false")
    if args.duckdb_memory_limit:
        con.execute(f"SET memory_limit = '{args.duckdb_memory_limit}'")
    usage_rows = con.execute("SELECT count(*) FROM usage").fetchall()[0][0]
    runs, peaks, groups = [], [], None
    for i in range(args.runs):
        rss.start_phase()
        start = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE floor_groups AS {FLOOR_SQL}")
        runs.append(time.perf_counter() - start)
        peaks.append(rss.end_phase())
        groups = con.execute("SELECT count(*) FROM floor_groups").fetchall()[0][0]
        con.execute("DROP TABLE floor_groups")
    threads = con.execute("SELECT current_setting('threads'), current_setting('memory_limit')").fetchall()[0]
    con.close()
    return {"sql": f"CREATE TEMP TABLE floor_groups AS {FLOOR_SQL}", "usage_rows": usage_rows,
            "groups": groups, "runs": [round(r, 4) for r in runs], "seconds": median(runs),
            "phase_peak_rss_mb": peaks, "duckdb_threads": threads[0], "duckdb_memory_limit": threads[1],
            **rss.close()}


def child_duckdb(args) -> dict:
    from partnerscore.engine.connect import open_duckdb
    from partnerscore.engine.plan import PLANS
    from partnerscore.engine.scoring import plan_key, score
    from partnerscore.rules.load import rules_at

    rss = PeakRSS()
    timer = StatementTimer()
    day = date.fromisoformat(args.day)
    tables = open_duckdb(args.db)
    _configure(tables, args)
    result: dict = {"day": args.day, "memory_limit": _setting(tables, "memory_limit"),
                    "partner_batch": args.partner_batch}

    rss.start_phase()
    start = time.perf_counter()
    report = score(tables, day, batch=args.partner_batch)
    cold = time.perf_counter() - start
    result["cold"] = run_breakdown(timer.take(), cold)
    result["cold"]["peak_rss_mb"] = rss.end_phase()
    result["cold"]["python_seconds_note"] = ("building and compiling the Ibis expressions, plus the final "
                                             "query (run through Ibis, not timed apart)")
    doc = report.to_json()
    Path(args.json_out).write_text(json.dumps(doc, sort_keys=True))
    result["partners"] = len(doc["partners"])
    result["json_sha256"] = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    warm_runs, paired = [], []
    for i in range(args.warm_runs):
        # The floor again, in this process just before the run: a ratio robust to the machine's load drifting.
        start = time.perf_counter()
        tables.backend.con.execute(f"CREATE TEMP TABLE psbench_floor AS {FLOOR_SQL}")
        paired.append(time.perf_counter() - start)
        tables.backend.con.execute("DROP TABLE psbench_floor")
        rss.start_phase()
        start = time.perf_counter()
        again = score(tables, day, batch=args.partner_batch)
        seconds = time.perf_counter() - start
        run = run_breakdown(timer.take(), seconds)
        run["peak_rss_mb"] = rss.end_phase()
        warm_runs.append(run)
        if i == 0:
            result["warm_equals_cold"] = again.to_json() == doc
    result["warm_runs"] = warm_runs
    result["warm_seconds"] = median([r["seconds"] for r in warm_runs])
    result["paired_floor_seconds"] = [round(f, 4) for f in paired]
    result["paired_ratio"] = median([r["seconds"] / f for r, f in zip(warm_runs, paired)])
    result["warm_peak_rss_mb"] = max(r["peak_rss_mb"] for r in warm_runs) if warm_runs else None
    result["cold_seconds"] = result["cold"]["seconds"]

    if args.profile_top > 0 and not args.partner_batch:  # a batched run has one plan per batch
        plan = PLANS.get(plan_key(tables, day, rules_at(day), None, None, None))
        with tempfile.TemporaryDirectory(prefix="psbench-profile-") as tmp:
            rss.start_phase()
            result["profile"] = profile_plan(tables, plan, args.profile_top, Path(tmp))
            result["profile"]["peak_rss_mb"] = rss.end_phase()
        timer.take()
    result.update(rss.close())
    return result


def child_spark(args) -> dict:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from partnerscore.engine.scoring import score
    from partnerscore.engine.spark import open_spark, parquet_store, spark_session

    rss = PeakRSS(children=True)
    timer = StatementTimer()
    day = date.fromisoformat(args.day)
    result: dict = {"master": args.master, "day": args.day,
                    "driver_memory_env": os.environ.get("PARTNERSCORE_SPARK_DRIVER_MEMORY")}
    folder = Path(args.db).with_suffix(".parquet")
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    parquet_store(args.db)
    result["export_seconds"] = round(time.perf_counter() - start, 3)

    rss.start_phase()
    start = time.perf_counter()
    session = spark_session(args.master)
    result["session_start_seconds"] = round(time.perf_counter() - start, 3)
    result["session_peak_rss_mb"] = rss.end_phase()
    conf = session.sparkContext.getConf()
    result["spark_version"] = session.version
    result["conf"] = {k: conf.get(k, None) for k in (
        "spark.master", "spark.driver.memory", "spark.sql.shuffle.partitions", "spark.sql.adaptive.enabled",
        "spark.sql.codegen.wholeStage", "spark.sql.autoBroadcastJoinThreshold", "spark.default.parallelism")}
    result["conf"]["spark.sql.shuffle.partitions"] = session.conf.get("spark.sql.shuffle.partitions")
    tables = open_spark(folder, args.master)

    rss.start_phase()
    start = time.perf_counter()
    try:
        report = score(tables, day)
    finally:
        result["cold"] = run_breakdown(timer.take(), time.perf_counter() - start)
        result["cold"]["peak_rss_mb"] = rss.end_phase()
        result["cold_seconds"] = result["cold"]["seconds"]
        write_json(Path(args.result), result)  # kept if the run fails below
    doc = report.to_json()
    Path(args.json_out).write_text(json.dumps(doc, sort_keys=True))
    result["partners"] = len(doc["partners"])
    result["json_sha256"] = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    warm = []
    for _ in range(args.warm_runs):
        rss.start_phase()
        start = time.perf_counter()
        score(tables, day)
        run = run_breakdown(timer.take(), time.perf_counter() - start)
        run["peak_rss_mb"] = rss.end_phase()
        warm.append(run)
    result["warm_runs"] = warm
    result["warm_seconds"] = median([r["seconds"] for r in warm])
    result["warm_peak_rss_mb"] = max((r["peak_rss_mb"] for r in warm), default=None)
    session.stop()
    result.update(rss.close())
    return result


def child_latency(args) -> dict:
    from partnerscore.engine.connect import open_duckdb
    from partnerscore.engine.explain import explain
    from partnerscore.engine.scoring import score

    rss = PeakRSS()
    day = date.fromisoformat(args.day)
    tables = open_duckdb(args.db)
    _configure(tables, args)
    con = tables.backend.con
    busiest = con.execute(
        "SELECT partner_id, count(*) AS n FROM associations GROUP BY 1 ORDER BY n DESC, 1 LIMIT 2").fetchall()
    partner, associations = busiest[0]
    partner = args.partner or partner
    other = next(p for p, _n in busiest if p != partner)
    result: dict = {"partner": partner, "partner_associations": associations, "area": args.area,
                    "day": args.day, "runs": args.runs}

    def measure(label, fn):
        rss.start_phase()
        start = time.perf_counter()
        fn()
        first = time.perf_counter() - start
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        result[label] = {"first_seconds": round(first, 4), "runs": [round(t, 4) for t in times],
                         "median_seconds": median(times), "peak_rss_mb": rss.end_phase()}

    measure("score", lambda: score(tables, day, partners=[partner]))
    measure("explain", lambda: explain(tables, partner, args.area, day))
    # Another partner's first score and explanation replay the plans compiled for the first partner.
    for call, fn in (("score", lambda: score(tables, day, partners=[other])),
                     ("explain", lambda: explain(tables, other, args.area, day))):
        start = time.perf_counter()
        fn()
        result[call]["another_partner_first_seconds"] = round(time.perf_counter() - start, 4)
    result["another_partner"] = other
    result.update(rss.close())
    return result


def child_import(args) -> dict:
    from partnerscore.ingest.importer import import_dataset

    rss = PeakRSS()
    start = time.perf_counter()
    report = import_dataset(Path(args.dataset), Path(args.db))
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), "status": report.status, "rows_added": report.rows_added,
            "rejected": len(report.rejected), "warnings": len(report.warnings), **rss.close()}


def child_generate(args) -> dict:
    from partnerscore.demo.generate import generate_large

    rss = PeakRSS()
    start = time.perf_counter()
    counts = generate_large(Path(args.dataset), partners=args.partners, customers=args.customers,
                            months=MONTHS, seed=SEED)
    return {"seconds": round(time.perf_counter() - start, 3), "counts": counts, **rss.close()}


CHILDREN = {"floor": child_floor, "duckdb": child_duckdb, "spark": child_spark, "latency": child_latency,
            "import": child_import, "generate": child_generate}


def _watch(proc: subprocess.Popen, cap: float | None) -> tuple[int, bool]:
    """Wait for `proc`, sampling its process tree's RSS; stop it if it passes `cap` bytes."""
    import psutil

    try:
        root = psutil.Process(proc.pid)
    except psutil.Error:
        proc.wait()
        return 0, False
    peak, kids, kids_at = 0, [], 0.0
    while proc.poll() is None:
        now = time.monotonic()
        if now - kids_at > 1.0:
            try:
                kids = root.children(recursive=True)
            except psutil.Error:
                kids = []
            kids_at = now
        rss = 0
        for p in [root, *kids]:
            try:
                rss += p.memory_info().rss
            except psutil.Error:
                pass
        peak = max(peak, rss)
        if cap and rss > cap:
            _kill_group(proc.pid)
            proc.wait()
            return peak, True
        time.sleep(0.2)
    return peak, False


RSS_CAP: list[float | None] = [None]


def run_child(kind: str, log: Path, **options) -> dict:
    """Run one measurement in a fresh interpreter; return its result with the load around it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(prefix=f"psbench-{kind}-", suffix=".json", delete=False) as fh:
        result_file = Path(fh.name)
    cmd = [sys.executable, str(ROOT / "benchmarks" / "engine.py"), "--child", kind, "--result", str(result_file)]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            cmd.append(flag)
        elif value is False or value is None:
            continue
        else:
            cmd += [flag, str(value)]
    rss_cap = RSS_CAP[0]
    before = load()
    started = now_iso()
    print(f"  [{started}] {kind} … (load {before})", flush=True)
    start = time.perf_counter()
    with log.open("a") as out:
        out.write(f"\n=== {started} {' '.join(cmd)}\n")
        out.flush()
        # No stored plans (engine/plan.py): "cold" is a run that builds and compiles its expressions.
        env = {**os.environ, "PARTNERSCORE_PLAN_CACHE": "off"}
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True, env=env)
        try:
            tree_peak, capped = _watch(proc, rss_cap)
        finally:
            _kill_group(proc.pid)  # e.g. a JVM left behind by a failed Spark run
    wall = time.perf_counter() - start
    after = load()
    result = json.loads(result_file.read_text()) if result_file.exists() and result_file.stat().st_size else {}
    if proc.returncode != 0:
        result["error"] = f"exit code {proc.returncode}; see {log.relative_to(ROOT)}"
        result["error_line"] = _last_error(log)
    if capped:
        result["error"] = (f"stopped by the benchmark: the process tree's RSS passed --rss-cap-gb "
                           f"({rss_cap / 1e9:g} GB) on a shared machine")
    result["parent_observed_tree_peak_rss_mb"] = round(tree_peak / MB, 1)
    result_file.unlink(missing_ok=True)
    result["process_wall_seconds"] = round(wall, 2)
    result["load_before"], result["load_after"] = before, after
    print(f"  … {kind} done in {wall:.1f} s (load {after})" + (f": {result['error']}" if "error" in result else ""),
          flush=True)
    return result


def _kill_group(pgid: int) -> None:
    """Stop whatever is left of a child's process group (only the group this script started)."""
    import signal

    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        time.sleep(2)


def _last_error(log: Path) -> str | None:
    """The last line of a child's log naming an error (e.g. a Java OutOfMemoryError)."""
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines()
             if "Error" in line or "Exception" in line]
    return lines[-1][:300] if lines else None
