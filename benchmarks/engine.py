#!/usr/bin/env python
"""Engine benchmarks: full recompute on DuckDB and on Spark local, against the floor.

    python benchmarks/engine.py --rows 1M,10M,100M --spark-up-to 10M --out benchmarks/results/engine.json

For each size (usage rows) it:

1. generates a data-contract data set with `generate_large` (cached in `benchmarks/data/<size>/`,
   gitignored), with as many customers as give that many usage rows (the rows-per-customer ratio is
   measured once on a small run and cached in `benchmarks/data/calibration.json`);
2. imports it into `benchmarks/data/<size>/partnerscore.duckdb` with `import_dataset` (timed, reported
   apart from the recompute; above `--import-batch-rows` the data set is split by customer and imported
   in several all-or-nothing imports, because the importer holds a whole data set as text in memory);
3. measures, each in a FRESH subprocess so that peak RSS belongs to one measurement:
   - `floor`: DuckDB scanning and grouping the usage table once (`CREATE TEMP TABLE … AS SELECT … GROUP
     BY ALL`) on the same database file, median of `--floor-runs`;
   - `duckdb`: `score(open_duckdb(db), day)` for every partner: cold (first run in the process: builds
     and compiles the expressions) and warm (later runs replay the recorded plan). The warm median is
     the "full recompute" figure compared with the floor. Each SQL statement is timed (Python overhead
     = run time minus SQL time), then the plan is replayed once more under DuckDB's profiler to find
     the operators the time goes to;
   - `spark`: the same `score` on Spark `local[2]` over the database's Parquet copy (export timed
     apart), cold and warm, up to `--spark-up-to`; its JSON document is compared with DuckDB's;
   - `latency` (at `--latency-at`, default 10M): one partner's `score(..., partners=[p])` and
     `explain(p, area)`, warm (after one run for the same day), median of `--latency-runs`.

Peak RSS is sampled (psutil, every 50 ms) over the measuring process and its children (the JVM for
Spark), per phase, and cross-checked with `getrusage` for the process itself. The machine's load average
is recorded before and after every measurement: the machine may be shared.

Results are written to `--out` after every step (a partial run keeps what it measured); `--merge`
keeps the sizes of an earlier results file that this run does not measure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "engine.json"

DAY = "2026-10-31"          # the scoring day: the generator's last month is 2026-10
MONTHS = 24                 # months of usage generated
SEED = 7
CUSTOMERS_PER_PARTNER = 100
CALIBRATION_CUSTOMERS = 5_000
SPARK_MASTER = "local[2]"
MB = 1_000_000

FLOOR_SQL = ("SELECT tenant_id, subscription_id, workload_key, month, sum(acr_micros), sum(paid_units), "
             "sum(active_units), sum(revenue_micros) FROM usage GROUP BY ALL")


# --------------------------------------------------------------------------------------------------
# small helpers


def parse_size(text: str) -> int:
    """'1M' -> 1_000_000, '250k' -> 250_000, '1500000' -> 1_500_000."""
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000, "b": 1_000_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    return int(float(number) * factor)


def size_label(rows: int) -> str:
    for factor, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if rows >= factor and rows % (factor // 10) == 0:
            value = rows / factor
            return f"{value:g}{suffix}"
    return str(rows)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def write_json(path: Path, doc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    tmp.replace(path)


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 4) if values else None


class PeakRSS:
    """Samples the RSS of this process and (optionally) its children, with a peak per phase."""

    def __init__(self, children: bool = False, interval: float = 0.05) -> None:
        import psutil

        self._psutil = psutil
        self._proc = psutil.Process()
        self._children = children
        self._kids: list = []
        self._kids_at = 0.0
        self.interval = interval
        self.peak = 0
        self.phase_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def current(self) -> int:
        rss = self._proc.memory_info().rss
        if self._children:
            now = time.monotonic()
            if now - self._kids_at > 1.0:
                try:
                    self._kids = self._proc.children(recursive=True)
                except self._psutil.Error:
                    self._kids = []
                self._kids_at = now
            for kid in self._kids:
                try:
                    rss += kid.memory_info().rss
                except self._psutil.Error:
                    pass
        return rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            rss = self.current()
            self.peak = max(self.peak, rss)
            self.phase_peak = max(self.phase_peak, rss)

    def start_phase(self) -> None:
        self.phase_peak = self.current()

    def end_phase(self) -> float:
        """The phase's peak RSS in MB."""
        rss = self.current()
        self.phase_peak = max(self.phase_peak, rss)
        self.peak = max(self.peak, self.phase_peak)
        return round(self.phase_peak / MB, 1)

    def close(self) -> dict:
        self._stop.set()
        self._thread.join()
        self_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KB on Linux
        kids_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        return {"sampled_peak_mb": round(self.peak / MB, 1),
                "process_maxrss_mb": round(self_max / MB, 1),
                "reaped_children_maxrss_mb": round(kids_max / MB, 1),
                "peak_rss_mb": round(max(self.peak, self_max) / MB, 1)}


# --------------------------------------------------------------------------------------------------
# children: one measurement per process


class StatementTimer:
    """Times every SQL statement the engine runs (temporary tables, final query, drops).

    It wraps the module-level functions the engine calls (`connect.materialize_sql` when a run builds
    its expressions, `plan.materialize_sql` / `plan.query_arrow` / `plan.drop_materialized` when it
    replays a plan); nothing in the engine changes.
    """

    def __init__(self) -> None:
        from partnerscore.engine import connect, plan, scoring

        self.records: list[tuple[str, str, float]] = []

        def wrap(kind, fn):
            def timed(backend, sql_or_name, *rest):
                start = time.perf_counter()
                try:
                    return fn(backend, sql_or_name, *rest)
                finally:
                    name = rest[0] if kind == "temporary" else (sql_or_name if kind == "drop" else "final")
                    self.records.append((kind, name, time.perf_counter() - start))
            return timed

        connect.materialize_sql = wrap("temporary", connect.materialize_sql)
        plan.materialize_sql = wrap("temporary", plan.materialize_sql)
        plan.query_arrow = wrap("final", plan.query_arrow)
        plan.drop_materialized = wrap("drop", plan.drop_materialized)
        scoring.drop_materialized = wrap("drop", scoring.drop_materialized)

    def take(self) -> list[tuple[str, str, float]]:
        records, self.records = self.records, []
        return records


def _index(name: str) -> int:
    return int(name.rsplit("_", 1)[1])


def _run_breakdown(records, total: float) -> dict:
    temporaries = [(n, s) for k, n, s in records if k == "temporary"]
    final = sum(s for k, _, s in records if k == "final")
    drops = sum(s for k, _, s in records if k == "drop")
    sql = sum(s for _, s in temporaries)
    return {"seconds": round(total, 3), "statements": len(temporaries),
            "temporaries_seconds": round(sql, 3), "final_query_seconds": round(final, 3),
            "drop_seconds": round(drops, 3),
            "python_seconds": round(total - sql - final - drops, 3),
            "per_statement": [round(s, 4) for _, s in sorted(temporaries, key=lambda r: _index(r[0]))]}


def _operator_summary(node: dict, by_type: dict, nodes: list, depth: int = 0) -> None:
    kind = node.get("type") or node.get("name") or "?"
    timing = float(node.get("timing") or 0.0)
    by_type[kind] = by_type.get(kind, 0.0) + timing
    extra = node.get("extra_info") or {}
    nodes.append({"operator": kind, "seconds": round(timing, 4), "rows": node.get("intermediate_rows"),
                  "groups": len(extra.get("Groups", []) or []) if isinstance(extra.get("Groups"), list) else None,
                  "aggregates": extra.get("Aggregates") or None,
                  "detail": {k: extra[k] for k in ("Table", "Conditions", "Join Type", "Groups") if k in extra}})
    for child in node.get("children", []):
        _operator_summary(child, by_type, nodes, depth + 1)


def profile_plan(tables, plan, top: int, workdir: Path) -> dict:
    """Replay `plan` once with DuckDB's JSON profiler on every statement; summarise operator times."""
    from partnerscore.engine.connect import drop_materialized, materialize_sql
    from partnerscore.engine.plan import new_run_id

    con = tables.backend.con
    run_id = new_run_id()
    created, statements = [], []
    by_type_all: dict[str, float] = {}
    distinct_seconds = 0.0
    try:
        for i, (name, sql) in enumerate(plan.temporaries):
            fresh = name.replace(plan.run_id, run_id)
            out = workdir / f"profile-{i}.json"
            con.execute("PRAGMA enable_profiling = 'json'")
            con.execute(f"PRAGMA profiling_output = '{out}'")
            start = time.perf_counter()
            materialize_sql(tables.backend, sql.replace(plan.run_id, run_id), fresh)
            seconds = time.perf_counter() - start
            con.execute("PRAGMA disable_profiling")
            created.append(fresh)
            rows = con.execute(f'SELECT count(*) FROM "{fresh}"').fetchall()[0][0]
            by_type: dict[str, float] = {}
            nodes: list[dict] = []
            cpu = None
            try:
                doc = json.loads(out.read_text())
                cpu = doc.get("cpu_time") or (doc.get("query") or {}).get("cpu_time")
                roots = doc.get("children") or doc.get("operator") or []
                for root in roots if isinstance(roots, list) else [roots]:
                    _operator_summary(root, by_type, nodes)
            except (OSError, ValueError):
                pass
            for kind, t in by_type.items():
                by_type_all[kind] = by_type_all.get(kind, 0.0) + t
            wide_distinct = [n for n in nodes if n["operator"] == "HASH_GROUP_BY" and not n["aggregates"]
                             and (n["groups"] or 0) >= 8]
            distinct_seconds += sum(n["seconds"] for n in wide_distinct)
            statements.append({
                "index": i, "seconds": round(seconds, 4), "cpu_seconds": round(cpu, 4) if cpu else None,
                "output_rows": rows, "sql_chars": len(sql),
                "wide_distincts": len(wide_distinct),
                "wide_distinct_seconds": round(sum(n["seconds"] for n in wide_distinct), 4),
                "operator_seconds": {k: round(v, 4) for k, v in sorted(by_type.items(), key=lambda kv: -kv[1])[:6]},
                "top_operators": sorted(nodes, key=lambda n: -n["seconds"])[:5],
                "scans": [(n["detail"].get("Table"), n["rows"]) for n in nodes if n["operator"] == "TABLE_SCAN"],
                "sql_head": " ".join(sql.split())[:400],
            })
    finally:
        for name in created:
            drop_materialized(tables.backend, name)
    operator_total = sum(by_type_all.values())
    # The covered usage (one row per usage row and crediting association) is the largest temporary.
    largest = max(statements, key=lambda s: s["output_rows"]) if statements else None
    suffix = f"_{largest['index']}" if largest else None
    readers = [s for s in statements if suffix and any(str(t or "").endswith(suffix) for t, _ in s["scans"])]
    heaviest = sorted(statements, key=lambda s: -s["seconds"])
    for s in statements:
        s.pop("scans")
    return {
        "statements": len(statements),
        "seconds": round(sum(s["seconds"] for s in statements), 3),
        "operator_seconds": {k: round(v, 3) for k, v in sorted(by_type_all.items(), key=lambda kv: -kv[1])},
        "operator_seconds_total": round(operator_total, 3),
        "wide_distinct_seconds": round(distinct_seconds, 3),
        "wide_distinct_share_of_operator_time": round(distinct_seconds / operator_total, 3) if operator_total else None,
        "statements_with_wide_distinct": sum(1 for s in statements if s["wide_distincts"]),
        "covered_usage": {"statement": largest["index"] if largest else None,
                          "rows": largest["output_rows"] if largest else None,
                          "seconds_to_build": largest["seconds"] if largest else None,
                          "statements_reading_it": len(readers),
                          "seconds_of_statements_reading_it": round(sum(s["seconds"] for s in readers), 3)},
        "per_statement": [{k: s[k] for k in ("index", "seconds", "output_rows", "wide_distincts")} for s in statements],
        "heaviest": heaviest[:top],
    }


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
    result: dict = {"day": args.day, "memory_limit": _setting(tables, "memory_limit")}

    rss.start_phase()
    start = time.perf_counter()
    report = score(tables, day)
    cold = time.perf_counter() - start
    result["cold"] = _run_breakdown(timer.take(), cold)
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
        again = score(tables, day)
        seconds = time.perf_counter() - start
        run = _run_breakdown(timer.take(), seconds)
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

    if args.profile_top > 0:
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
        result["cold"] = _run_breakdown(timer.take(), time.perf_counter() - start)
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
        run = _run_breakdown(timer.take(), time.perf_counter() - start)
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
    partner, associations = con.execute(
        "SELECT partner_id, count(*) AS n FROM associations GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1").fetchall()[0]
    partner = args.partner or partner
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


# --------------------------------------------------------------------------------------------------
# the parent: data, measurements, results


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
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--result", str(result_file)]
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
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
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


def calibrate() -> dict:
    """Usage rows per customer of the generator (24 months), measured once on a small run."""
    path = DATA / "calibration.json"
    params = {"customers": CALIBRATION_CUSTOMERS, "partners": CALIBRATION_CUSTOMERS // CUSTOMERS_PER_PARTNER,
              "months": MONTHS, "seed": SEED}
    if path.exists():
        cached = json.loads(path.read_text())
        if cached.get("params") == params:
            return cached
    from partnerscore.demo.generate import generate_large

    with tempfile.TemporaryDirectory(prefix="psbench-calibrate-") as tmp:
        counts = generate_large(tmp, partners=params["partners"], customers=params["customers"],
                                months=MONTHS, seed=SEED)
    doc = {"params": params, "counts": counts, "usage_rows_per_customer": counts["usage"] / params["customers"]}
    write_json(path, doc)
    return doc


def ensure_dataset(label: str, target_rows: int, per_customer: float) -> tuple[Path, dict]:
    folder = DATA / label
    dataset = folder / "dataset"
    customers = max(100, round(target_rows / per_customer))
    params = {"customers": customers, "partners": max(10, customers // CUSTOMERS_PER_PARTNER),
              "months": MONTHS, "seed": SEED}
    manifest_path = folder / "generate.json"
    if manifest_path.exists() and (dataset / "usage.parquet").exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("params") == params:
            return dataset, {**manifest, "cached": True}
    shutil.rmtree(folder, ignore_errors=True)
    result = run_child("generate", folder / "logs" / "generate.log", dataset=dataset,
                       customers=customers, partners=params["partners"])
    if "error" in result:
        raise SystemExit(f"generating {label} failed: {result['error']}")
    manifest = {"params": params, **result, "generated_at": now_iso()}
    write_json(manifest_path, manifest)
    return dataset, {**manifest, "cached": False}


def split_dataset(dataset: Path, parts: int, out: Path) -> list[Path]:
    """Split a data set by customer into `parts` data sets (partners and certifications in each)."""
    import duckdb

    shutil.rmtree(out, ignore_errors=True)
    folders = []
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    src = {t: f"read_parquet('{dataset / (t + '.parquet')}', file_row_number = true)"
           for t in ("partners", "customers", "subscriptions", "associations", "usage", "certifications")}
    con.execute(f"CREATE TEMP TABLE part_of AS SELECT tenant_id, hash(tenant_id) % {parts} AS part "
                f"FROM {src['customers']}")
    for k in range(parts):
        folder = out / f"part-{k:03d}"
        folder.mkdir(parents=True)
        for table, query in src.items():
            if table in ("partners", "certifications"):
                select = f"SELECT * EXCLUDE (file_row_number) FROM {query} ORDER BY file_row_number"
            else:
                select = (f"SELECT t.* EXCLUDE (file_row_number) FROM {query} t JOIN part_of p USING (tenant_id) "
                          f"WHERE p.part = {k} ORDER BY t.file_row_number")
            con.execute(f"COPY ({select}) TO '{folder / (table + '.parquet')}' (FORMAT parquet)")
        folders.append(folder)
    con.close()
    return folders


def ensure_database(label: str, dataset: Path, generated: dict, batch_rows: int) -> tuple[Path, dict]:
    folder = DATA / label
    db = folder / "partnerscore.duckdb"
    manifest_path = folder / "import.json"
    usage_rows = generated["counts"]["usage"]
    parts = max(1, -(-usage_rows // batch_rows))
    if manifest_path.exists() and db.exists():
        manifest = json.loads(manifest_path.read_text())
        if (manifest.get("generated_at") == generated.get("generated_at") and manifest.get("batches") == parts
                and manifest.get("status") == "ok"):
            return db, {**manifest, "cached": True}
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(db.with_suffix(".parquet"), ignore_errors=True)
    split_seconds = 0.0
    if parts > 1:
        start = time.perf_counter()
        sources = split_dataset(dataset, parts, folder / "import-parts")
        split_seconds = time.perf_counter() - start
    else:
        sources = [dataset]
    batches = []
    for source in sources:
        result = run_child("import", folder / "logs" / "import.log", dataset=source, db=db)
        batches.append(result)
        if "error" in result or result.get("status") != "ok":
            break
    if parts > 1:
        shutil.rmtree(folder / "import-parts", ignore_errors=True)
    ok = all(b.get("status") == "ok" for b in batches) and len(batches) == parts
    manifest = {
        "status": "ok" if ok else "failed", "generated_at": generated.get("generated_at"),
        "batches": parts, "batch_rows": batch_rows if parts > 1 else None,
        "seconds": round(sum(b.get("seconds", 0.0) for b in batches), 2),
        "split_seconds": round(split_seconds, 2),
        "peak_rss_mb": max((b.get("peak_rss_mb", 0.0) for b in batches), default=None),
        "db_bytes": db.stat().st_size if db.exists() else None,
        "load_before": batches[0]["load_before"] if batches else None,
        "load_after": batches[-1]["load_after"] if batches else None,
        "per_batch": [{k: b.get(k) for k in ("seconds", "peak_rss_mb", "status", "rejected", "warnings",
                                              "load_before", "load_after", "error")} for b in batches],
        "imported_at": now_iso(),
    }
    write_json(manifest_path, manifest)
    if not ok:
        raise SystemExit(f"importing {label} failed; see {folder / 'logs' / 'import.log'}")
    return db, {**manifest, "cached": False}


def first_difference(a, b, path: str = "$") -> str | None:
    """Where two JSON documents first differ, as a readable path."""
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: missing on one side"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def machine() -> dict:
    import psutil

    versions = {}
    for module in ("duckdb", "ibis", "pyspark", "pyarrow", "psutil"):
        try:
            versions[module] = __import__(module).__version__
        except Exception:  # noqa: BLE001 - optional
            versions[module] = None
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    except OSError:
        java = None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        dirty = sorted(line[3:] for line in subprocess.run(
            ["git", "status", "--porcelain", "--", "partnerscore"], capture_output=True, text=True,
            cwd=ROOT).stdout.splitlines() if line.strip())
    except OSError:
        commit, dirty = None, None
    memory = psutil.virtual_memory()
    return {"cpus": os.cpu_count(), "memory_total_gb": round(memory.total / 1e9, 1),
            "memory_available_gb_at_start": round(memory.available / 1e9, 1),
            "platform": platform.platform(), "python": platform.python_version(), "java": java,
            "versions": versions, "git_commit": commit, "uncommitted_changes_in_partnerscore": dirty,
            "spark_driver_memory_env": os.environ.get("PARTNERSCORE_SPARK_DRIVER_MEMORY")}


def ratio(value, floor) -> float | None:
    return round(value / floor, 2) if value and floor else None


def evaluate_targets(sizes: dict, latency_label: str | None) -> list[dict]:
    def get(label, *keys):
        node = sizes.get(label, {})
        for key in keys:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        return node if node != {} else None

    targets = []
    big = "100M" if "100M" in sizes else None
    targets.append({"target": "DuckDB full recompute (warm) at 100M usage rows within 3x the floor",
                    "size": big, "value": get(big, "ratios", "duckdb_warm") if big else None, "limit": 3.0,
                    "unit": "x floor", "inclusive": True})
    targets.append({"target": "DuckDB full recompute peak memory at 100M usage rows under 6 GB",
                    "size": big, "value": get(big, "duckdb", "peak_rss_mb") if big else None, "limit": 6000,
                    "unit": "MB"})
    targets.append({"target": "DuckDB full recompute (warm) at 10M usage rows under 10 s",
                    "size": "10M" if "10M" in sizes else None,
                    "value": get("10M", "duckdb", "warm_seconds"), "limit": 10.0, "unit": "s"})
    spark = get("10M", "spark") or {}
    targets.append({"target": "Spark local completes 10M usage rows with results identical to DuckDB",
                    "size": "10M" if "10M" in sizes else None,
                    "value": {"completed": "error" not in spark and bool(spark), "equal": spark.get("equal_to_duckdb")}
                    if spark else None})
    lat = get(latency_label, "latency") if latency_label else None
    targets.append({"target": "single partner score (warm) on 10M usage rows under 300 ms", "size": latency_label,
                    "value": (lat or {}).get("score", {}).get("median_seconds"), "limit": 0.3, "unit": "s"})
    targets.append({"target": "single partner explain (warm) on 10M usage rows under 300 ms", "size": latency_label,
                    "value": (lat or {}).get("explain", {}).get("median_seconds"), "limit": 0.3, "unit": "s"})
    for t in targets:
        value = t["value"]
        if value is None:
            t["met"] = None
        elif isinstance(value, dict):
            t["met"] = bool(value["completed"] and value["equal"])
        else:
            t["met"] = value <= t["limit"] if t.pop("inclusive", False) else value < t["limit"]
    return targets


def parent(args) -> None:
    sizes_wanted = [parse_size(s) for s in args.rows.split(",") if s.strip()]
    spark_up_to = parse_size(args.spark_up_to) if args.spark_up_to else 0
    latency_at = parse_size(args.latency_at) if args.latency_at else None
    out = Path(args.out)
    RSS_CAP[0] = args.rss_cap_gb * 1e9 if args.rss_cap_gb else None
    doc = {"sizes": {}}
    if args.merge and out.exists():
        doc = json.loads(out.read_text())
    doc.update({
        "benchmark": "engine", "started_at": now_iso(),
        "command": "python benchmarks/engine.py " + " ".join(sys.argv[1:]),
        "machine": machine(), "load_at_start": load(),
        "settings": {"day": args.day, "months": MONTHS, "seed": SEED, "customers_per_partner": CUSTOMERS_PER_PARTNER,
                     "spark_master": SPARK_MASTER, "spark_up_to": spark_up_to, "warm_runs": args.warm_runs,
                     "floor_runs": args.floor_runs, "latency_runs": args.latency_runs,
                     "import_batch_rows": args.import_batch_rows, "floor_sql": FLOOR_SQL,
                     "rss_cap_gb": args.rss_cap_gb, "duckdb_memory_limit": args.duckdb_memory_limit,
                     "duckdb_memory_limit_from": args.duckdb_memory_limit_from,
                     "full_recompute_figure": "warm: median of the runs after the first in one process "
                                              "(plan replay); cold = the first run (builds and compiles "
                                              "the expressions)"},
    })
    doc.setdefault("sizes", {})
    print(f"machine: {doc['machine']['cpus']} cpus, load {doc['load_at_start']}", flush=True)
    calibration = calibrate()
    per_customer = calibration["usage_rows_per_customer"]
    doc["settings"]["usage_rows_per_customer"] = round(per_customer, 2)
    write_json(out, doc)

    for target in sizes_wanted:
        label = size_label(target)
        print(f"== {label} usage rows", flush=True)
        entry: dict = {"label": label, "target_usage_rows": target, "load_before": load(), "started_at": now_iso()}
        doc["sizes"][label] = entry
        dataset, generated = ensure_dataset(label, target, per_customer)
        entry["generate"] = {k: generated.get(k) for k in ("seconds", "peak_rss_mb", "cached", "generated_at")}
        entry["params"] = generated["params"]
        entry["rows"] = generated["counts"]
        entry["usage_rows"] = generated["counts"]["usage"]
        write_json(out, doc)
        db, imported = ensure_database(label, dataset, generated, args.import_batch_rows)
        entry["import"] = imported
        write_json(out, doc)
        logs = DATA / label / "logs"
        limit = args.duckdb_memory_limit if target >= parse_size(args.duckdb_memory_limit_from or "0") else None
        entry["duckdb_memory_limit"] = limit or "DuckDB default (80% of RAM)"

        entry["floor"] = run_child("floor", logs / "floor.log", db=db, runs=args.floor_runs,
                                   duckdb_memory_limit=limit)
        write_json(out, doc)
        duck_json = DATA / label / "duckdb-score.json"
        entry["duckdb"] = run_child("duckdb", logs / "duckdb.log", db=db, day=args.day, json_out=duck_json,
                                    warm_runs=args.warm_runs, profile_top=args.profile_top if args.profile else 0,
                                    duckdb_memory_limit=limit)
        write_json(out, doc)
        if target <= spark_up_to:
            spark_json = DATA / label / "spark-score.json"
            spark_json.unlink(missing_ok=True)
            entry["spark"] = run_child("spark", logs / "spark.log", db=db, day=args.day, json_out=spark_json,
                                       warm_runs=args.spark_warm_runs, master=SPARK_MASTER)
            if "error" not in entry["spark"] and duck_json.exists() and spark_json.exists():
                a, b = json.loads(duck_json.read_text()), json.loads(spark_json.read_text())
                entry["spark"]["equal_to_duckdb"] = a == b
                entry["spark"]["first_difference"] = first_difference(a, b)
            write_json(out, doc)
        if latency_at is not None and target == latency_at:
            entry["latency"] = run_child("latency", logs / "latency.log", db=db, day=args.day, area=args.area,
                                         runs=args.latency_runs, partner=args.partner, duckdb_memory_limit=limit)
            write_json(out, doc)

        floor = entry["floor"].get("seconds")
        entry["ratios"] = {
            "duckdb_warm": ratio(entry["duckdb"].get("warm_seconds"), floor),
            "duckdb_cold": ratio(entry["duckdb"].get("cold_seconds"), floor),
            "duckdb_warm_paired": entry["duckdb"].get("paired_ratio"),
            "spark_warm": ratio((entry.get("spark") or {}).get("warm_seconds"), floor),
            "spark_cold": ratio((entry.get("spark") or {}).get("cold_seconds"), floor),
        }
        entry["load_after"] = load()
        entry["finished_at"] = now_iso()
        doc["targets"] = evaluate_targets(doc["sizes"], size_label(latency_at) if latency_at else None)
        write_json(out, doc)
        print(f"   floor {floor} s, duckdb warm {entry['duckdb'].get('warm_seconds')} s "
              f"(x{entry['ratios']['duckdb_warm']}), cold {entry['duckdb'].get('cold_seconds')} s", flush=True)

    doc["load_at_end"] = load()
    doc["finished_at"] = now_iso()
    doc["targets"] = evaluate_targets(doc["sizes"], size_label(latency_at) if latency_at else None)
    write_json(out, doc)
    print(json.dumps(doc["targets"], indent=2))


def _fmt(value, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}"
    else:
        text = f"{value:,}"
    return text + unit


def markdown(path: Path) -> str:
    """The results file as the Markdown tables of docs/performance.md § Engine."""
    doc = json.loads(Path(path).read_text())
    lines = ["| usage rows | import | floor | DuckDB cold | DuckDB warm (full recompute) | × floor | "
             "peak RSS (warm) | Spark local cold / warm | × floor (warm) | Spark peak RSS | Spark = DuckDB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"]
    for label, e in doc["sizes"].items():
        d, f, sp, r = e.get("duckdb", {}), e.get("floor", {}), e.get("spark") or {}, e.get("ratios", {})
        imp = e.get("import", {})
        batches = f" ({imp['batches']} batches)" if imp.get("batches", 1) > 1 else ""
        spark = "—"
        if sp:
            spark = (f"failed: {sp.get('error_line') or sp['error']}" if "error" in sp else
                     f"{_fmt(sp.get('cold_seconds'), ' s', 1)} / {_fmt(sp.get('warm_seconds'), ' s', 1)}")
        lines.append(" | ".join([
            f"| {e.get('usage_rows', 0):,}", f"{_fmt(imp.get('seconds'), ' s', 1)}{batches}",
            _fmt(f.get("seconds"), " s"), _fmt(d.get("cold_seconds"), " s", 1), _fmt(d.get("warm_seconds"), " s", 1),
            f"**{_fmt(r.get('duckdb_warm'), '×', 1)}**", _fmt(d.get("warm_peak_rss_mb"), " MB", 0), spark,
            _fmt(r.get("spark_warm"), "×", 0), _fmt(sp.get("peak_rss_mb"), " MB", 0),
            {True: "yes", False: "**no**"}.get(sp.get("equal_to_duckdb"), "—") + " |"]))
    for label, e in doc["sizes"].items():
        lat = e.get("latency")
        if lat:
            lines += ["", f"One partner ({lat['partner']}, {lat['partner_associations']} associations) on {label} "
                      f"({e['usage_rows']:,} usage rows), warm, median of {lat['runs']}:", "",
                      "| call | first run | warm median | warm runs |", "|---|---:|---:|---|"]
            for call in ("score", "explain"):
                c = lat.get(call, {})
                name = "`score(partners=[p])`" if call == "score" else f"`explain(p, {lat['area']})`"
                lines.append(f"| {name} | {_fmt(c.get('first_seconds'), ' s')} | **{_fmt(c.get('median_seconds'), ' s')}** "
                             f"| {', '.join(f'{x:.2f}' for x in c.get('runs', []))} |")
    lines += ["", "| target | value | met |", "|---|---:|:---:|"]
    for t in doc.get("targets", []):
        value = t["value"]
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, float):
            value = f"{value:,.2f} {t.get('unit', '')}".strip()
        lines.append(f"| {t['target']} | {value if value is not None else '—'} | "
                     f"{ {True: 'yes', False: '**no**'}.get(t['met'], 'not measured') } |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", default="1M,10M,100M", help="usage-row sizes, comma-separated (e.g. 1M,10M,100M)")
    p.add_argument("--spark-up-to", default="10M", help="run Spark local for sizes up to this (0: never)")
    p.add_argument("--latency-at", default="10M", help="size at which single-partner latency is measured ('' = none)")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    p.add_argument("--merge", action="store_true", help="keep sizes of an existing results file not measured now")
    p.add_argument("--day", default=DAY)
    p.add_argument("--warm-runs", type=int, default=3, help="DuckDB warm (plan replay) runs after the cold one")
    p.add_argument("--spark-warm-runs", type=int, default=1)
    p.add_argument("--floor-runs", type=int, default=3)
    p.add_argument("--latency-runs", type=int, default=5)
    p.add_argument("--area", default="modern_work", help="area explained in the latency measurement")
    p.add_argument("--partner", default=None, help="partner of the latency measurement (default: most associations)")
    p.add_argument("--import-batch-rows", type=int, default=5_000_000,
                   help="import larger data sets in batches of about this many usage rows")
    p.add_argument("--duckdb-memory-limit", default=None,
                   help="DuckDB memory_limit for floor, recompute and latency (default: DuckDB's, 80%% of RAM)")
    p.add_argument("--duckdb-memory-limit-from", default="0",
                   help="apply --duckdb-memory-limit only to sizes of at least this many usage rows")
    p.add_argument("--rss-cap-gb", type=float, default=14.0,
                   help="stop a measurement whose process tree's RSS passes this (protects a shared machine; 0: off)")
    p.add_argument("--no-profile", dest="profile", action="store_false", help="skip the profiled replay")
    p.add_argument("--profile-top", type=int, default=5, help="heaviest statements detailed in the profile")
    p.add_argument("--markdown", metavar="RESULTS", help="print a results file as Markdown tables and exit")
    # child mode (internal)
    p.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--dataset", help=argparse.SUPPRESS)
    p.add_argument("--json-out", help=argparse.SUPPRESS)
    p.add_argument("--runs", type=int, default=3, help=argparse.SUPPRESS)
    p.add_argument("--master", default=SPARK_MASTER, help=argparse.SUPPRESS)
    p.add_argument("--customers", type=int, help=argparse.SUPPRESS)
    p.add_argument("--partners", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.markdown:
        print(markdown(Path(args.markdown)))
        return
    if args.child:
        result = CHILDREN[args.child](args)
        write_json(Path(args.result), result)
        return
    parent(args)


if __name__ == "__main__":
    main()
