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
import json
import sys
from pathlib import Path

from benchlib import (
    DATA,
    ROOT,
    load,
    machine,
    now_iso,
    parse_size,
    size_label,
    write_json,
)
from engine_children import (
    CHILDREN,
    FLOOR_SQL,
    MONTHS,
    RSS_CAP,
    SEED,
    SPARK_MASTER,
    run_child,
)
from engine_data import (
    CUSTOMERS_PER_PARTNER,
    calibrate,
    ensure_database,
    ensure_dataset,
)

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "engine.json"


DAY = "2026-10-31"          # the scoring day: the generator's last month is 2026-10


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
                     "partner_batch": args.partner_batch, "partner_batch_from": args.partner_batch_from,
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
        previous = doc["sizes"].get(label, {})
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
        batch = args.partner_batch if target >= parse_size(args.partner_batch_from or "0") else None
        entry["partner_batch"] = batch

        entry["floor"] = run_child("floor", logs / "floor.log", db=db, runs=args.floor_runs,
                                   duckdb_memory_limit=limit)
        write_json(out, doc)
        duck_json = DATA / label / "duckdb-score.json"
        if args.duckdb:
            entry["duckdb"] = run_child("duckdb", logs / "duckdb.log", db=db, day=args.day, json_out=duck_json,
                                        warm_runs=args.warm_runs, profile_top=args.profile_top if args.profile else 0,
                                        duckdb_memory_limit=limit, partner_batch=batch)
        else:  # kept from the merged file, with its own floor's ratios; Spark compares with its JSON
            entry["duckdb"] = {**previous.get("duckdb", {}), "kept_from_run_finished_at": previous.get("finished_at"),
                               "floor_seconds_of_its_run": (previous.get("floor") or {}).get("seconds")}
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
        kept = previous.get("ratios", {}) if not args.duckdb else {}
        entry["ratios"] = {
            "duckdb_warm": kept.get("duckdb_warm") if not args.duckdb else ratio(entry["duckdb"].get("warm_seconds"), floor),
            "duckdb_cold": kept.get("duckdb_cold") if not args.duckdb else ratio(entry["duckdb"].get("cold_seconds"), floor),
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
        in_batches = f" ({d['partner_batch']} partners a batch)" if d.get("partner_batch") else ""
        spark = "—"
        if sp:
            spark = (f"failed: {sp.get('error_line') or sp['error']}" if "error" in sp else
                     f"{_fmt(sp.get('cold_seconds'), ' s', 1)} / {_fmt(sp.get('warm_seconds'), ' s', 1)}")
        lines.append(" | ".join([
            f"| {e.get('usage_rows', 0):,}", f"{_fmt(imp.get('seconds'), ' s', 1)}{batches}",
            _fmt(f.get("seconds"), " s"), _fmt(d.get("cold_seconds"), " s", 1),
            _fmt(d.get("warm_seconds"), " s", 1) + in_batches, f"**{_fmt(r.get('duckdb_warm'), '×', 1)}**", _fmt(d.get("warm_peak_rss_mb"), " MB", 0), spark,
            _fmt(r.get("spark_warm"), "×", 0), _fmt(sp.get("peak_rss_mb"), " MB", 0),
            {True: "yes", False: "**no**"}.get(sp.get("equal_to_duckdb"), "—") + " |"]))
    for label, e in doc["sizes"].items():
        lat = e.get("latency")
        if lat:
            lines += ["", f"One partner ({lat['partner']}, {lat['partner_associations']} associations) on {label} "
                      f"({e['usage_rows']:,} usage rows), warm, median of {lat['runs']}:", "",
                      f"| call | first run | warm median | warm runs | first run of another partner "
                      f"({lat.get('another_partner', '—')}) |", "|---|---:|---:|---|---:|"]
            for call in ("score", "explain"):
                c = lat.get(call, {})
                name = "`score(partners=[p])`" if call == "score" else f"`explain(p, {lat['area']})`"
                lines.append(f"| {name} | {_fmt(c.get('first_seconds'), ' s')} | **{_fmt(c.get('median_seconds'), ' s')}** "
                             f"| {', '.join(f'{x:.2f}' for x in c.get('runs', []))} "
                             f"| {_fmt(c.get('another_partner_first_seconds'), ' s')} |")
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
    p.add_argument("--partner-batch", type=int,
                   help="full recompute as score(batch=N): N partners at a time (bounded memory)")
    p.add_argument("--partner-batch-from", default="0",
                   help="apply --partner-batch only to sizes of at least this many usage rows")
    p.add_argument("--rss-cap-gb", type=float, default=14.0,
                   help="stop a measurement whose process tree's RSS passes this (protects a shared machine; 0: off)")
    p.add_argument("--no-duckdb", dest="duckdb", action="store_false",
                   help="skip DuckDB's recompute; with --merge, keep its figures (and JSON) from the earlier run")
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
