"""Benchmark of the decision tools: `plan` for one partner and area, and a what-if replay.

Each run is a fresh Python process (so its peak RSS is its own) that makes the call twice: **cold** is
the first call, as a command on the command line pays it; **warm** is the same call again in that
process, as a long-running `partnerscore serve` pays it (its plans replay as recorded SQL). Compiled
plans are also stored on disk (engine/plan.py): the first process of a measurement finds none and
compiles (**first**), the later ones replay what it stored, as a user's second command would. The
figures are medians over `--runs` processes; `whatif` is the replay alone, `whatif_known` the replay
when the caller already has the partner's score (as the web app does), `whatif_why` adds the
entities behind each move. The database is opened read-only; nothing is
written to it.

    python benchmarks/decisions.py                                    # the demo, built in a temp folder
    python benchmarks/decisions.py --db demo.duckdb --runs 5
    python benchmarks/decisions.py --label 10M --db benchmarks/data/10M/partnerscore.duckdb \\
        --plan 5000042:data_ai --no-whatif --runs 1 --merge

Results go to `benchmarks/results/decisions.json` (`--merge` keeps the labels of an earlier file that
this run does not measure); `--markdown` prints a results file as the tables of docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # measure this checkout's package, not another installed copy

from benchlib import (  # benchmarks/benchlib.py
    PeakRSS,
    load,
    machine,
    median,
    now_iso,
    write_json,
)

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "decisions.json"
AS_OF = "2026-10-31"
DEMO_PLANS = "4650101:data_ai,4650505:business_applications"
#: The what-if the web tests run: a Fabrikam person earns the Modern Work expert certification.
WHATIF_PARTNER = "4650202"
WHATIF_SCENARIO = [{"action": "add_certification", "partner_id": WHATIF_PARTNER, "person_id": "p-new",
                    "certification": "Enterprise Administrator Expert", "earned_on": "2026-10-01"}]
TARGETS = {"plan": 5.0, "whatif": 1.0, "whatif_known": 1.0, "whatif_why": None}  # seconds (issue #6; the replay is the target)


# --- child: one fresh process, one measurement ------------------------------------------------------

def child(args: argparse.Namespace) -> dict:
    """Run one measurement twice in this process; return timings, peak RSS and what was computed."""
    from partnerscore.engine.connect import open_duckdb

    day = date.fromisoformat(args.as_of)
    rss = PeakRSS()
    tables = open_duckdb(args.db)
    if args.child == "plan":
        from partnerscore.decisions.plan import plan
        partner, area = args.target.split(":")

        def call():
            result = plan(tables, partner, area, day)
            return {"status": result.status, "total_cost": result.total_cost, "actions": len(result.steps),
                    "candidates": len(result.candidates), "rounds": result.rounds, "breakdown": result.seconds}
    else:
        from partnerscore.engine.scoring import score
        from partnerscore.engine.whatif import parse_scenario, whatif
        partner, changes = args.target, parse_scenario(WHATIF_SCENARIO)
        why = args.child == "whatif_why"  # the replay, or the replay and the entities behind each move
        # The web app passes the partner's score it already shows; computed here, outside the timing.
        known = score(tables, day, partners=[partner]) if args.child == "whatif_known" else None

        def call():
            result = whatif(tables, partner, day, changes, why=why, before=known).to_json()
            moved = [a for a in result["areas"] if a["points_after"] != a["points_before"]]
            return {"areas_changed": {a["area"]: [a["points_before"], a["points_after"]] for a in moved}}

    out = {}
    for phase in ("cold", "warm"):
        rss.start_phase()
        start, cpu = time.perf_counter(), time.process_time()
        detail = call()
        out[f"{phase}_s"] = round(time.perf_counter() - start, 3)
        out[f"{phase}_cpu_s"] = round(time.process_time() - cpu, 3)  # every thread's CPU: robust to a busy machine
        out[f"{phase}_detail"] = detail
        out[f"{phase}_peak_rss_mb"] = rss.end_phase()
    tables.backend.disconnect()
    out.update(rss.close())
    import partnerscore
    out["package"] = str(Path(partnerscore.__file__).parent)
    return out


def run_child(db: Path, kind: str, target: str, as_of: str, plan_cache: Path) -> dict:
    """One measurement in a fresh process whose compiled plans are kept in `plan_cache` (engine/plan.py)."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--target", target, "--db", str(db),
               "--as-of", as_of, "--result", result.name]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PARTNERSCORE_PLAN_CACHE": str(plan_cache)}
        before = load()
        start = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=ROOT, env=env)
        doc = json.loads(Path(result.name).read_text())
        doc.update(process_s=round(time.perf_counter() - start, 2), load_before=before, load_after=load())
        return doc


# --- parent: several runs, medians --------------------------------------------------------------------

def demo_db(folder: Path) -> Path:
    from partnerscore.demo.fixtures import build_demo, write_dataset
    from partnerscore.ingest.importer import import_dataset

    db = folder / "demo.duckdb"
    import_dataset(write_dataset(build_demo(42), folder / "data"), db)
    return db


def summarize(kind: str, target: str, runs: list[dict]) -> dict:
    """Medians of the runs. The first run's process found no stored plans (`first_s`: it compiles);
    the others start fresh but replay the plans it stored (`cold_s`, as a second CLI command would)."""
    later = runs[1:] or runs
    doc = {"kind": kind, "target": target, "runs": len(runs), "first_s": runs[0]["cold_s"],
           "cold_s": median([r["cold_s"] for r in later]), "warm_s": median([r["warm_s"] for r in runs]),
           "cold_cpu_s": median([r["cold_cpu_s"] for r in later]), "warm_cpu_s": median([r["warm_cpu_s"] for r in runs]),
           "process_s": median([r["process_s"] for r in runs]),
           # Sampled, not getrusage: a child's ru_maxrss keeps the parent's peak across fork and exec
           # (the parent may have built the demo), which would hide the measurement's own.
           "peak_rss_mb": max(r["sampled_peak_mb"] for r in runs), "target_s": TARGETS[kind],
           "result": runs[0]["cold_detail"], "every_run": runs}
    if kind == "plan":
        for phase in ("cold", "warm"):
            steps = runs[0][f"{phase}_detail"]["breakdown"]
            doc[f"{phase}_breakdown_s"] = {k: median([r[f"{phase}_detail"]["breakdown"][k] for r in runs]) for k in steps}
    return doc


def markdown(path: Path) -> str:
    """The results file as the Markdown table of docs/performance.md § Decision tools."""
    doc = json.loads(path.read_text())
    head = ("| data | measurement | first process (compiles) | fresh process (stored plans) | warm (same process) "
            "| CPU cold / warm | target | peak RSS | load | result |")
    lines = [head, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for label, entry in doc["labels"].items():
        for m in entry["measurements"]:
            if m["kind"] == "plan":
                r = m["result"]
                what = f"`plan {m['target'].replace(':', ' ')}`"
                result = f"{r['status']}, {r['actions']} action(s), USD {r['total_cost']:,.0f}, {r['candidates']} candidates"
            else:
                why = {"whatif_why": " with the entities behind each move",
                       "whatif_known": " (replay, its score known: the web app)"}.get(m["kind"], " (replay)")
                what = f"`whatif {m['target']}`, one certification{why}"
                result = ", ".join(f"{a} {b:g} → {c:g}" for a, (b, c) in m["result"]["areas_changed"].items())
            loads = [r["load_before"][0] for r in m["every_run"]]
            first = f"{m['first_s']:.2f} s" if "first_s" in m else "—"
            target = f"{m['target_s']:g} s" if m["target_s"] else "—"
            lines.append(f"| {label} | {what} | {first} | {m['cold_s']:.2f} s | {m['warm_s']:.2f} s | "
                         f"{m['cold_cpu_s']:.1f} / {m['warm_cpu_s']:.1f} s | {target} | "
                         f"{m['peak_rss_mb']:,.0f} MB | {min(loads):g}–{max(loads):g} | {result} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", type=Path, help="partnerscore database (default: build the demo in a temp folder)")
    p.add_argument("--label", default="demo", help="name of this data set in the results (demo, 10M …)")
    p.add_argument("--plan", default=DEMO_PLANS, help="PARTNER:AREA[,PARTNER:AREA…] to plan for")
    p.add_argument("--no-whatif", action="store_true", help="skip the what-if measurement")
    p.add_argument("--as-of", default=AS_OF)
    p.add_argument("--runs", type=int, default=3, help="fresh processes per measurement (the median is reported)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--merge", action="store_true", help="keep the other labels of an earlier results file")
    p.add_argument("--markdown", type=Path, metavar="RESULTS", help="print a results file as Markdown and exit")
    p.add_argument("--child", choices=("plan", *TARGETS), help=argparse.SUPPRESS)
    p.add_argument("--target", help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.markdown:
        print(markdown(args.markdown))
        return
    if args.child:
        args.result.write_text(json.dumps(child(args)))
        return
    with tempfile.TemporaryDirectory(prefix="partnerscore-bench-") as tmp:
        db = args.db or demo_db(Path(tmp))
        jobs = [("plan", t) for t in args.plan.split(",") if t]
        if not args.no_whatif:
            jobs += [(kind, WHATIF_PARTNER) for kind in ("whatif", "whatif_known", "whatif_why")]
        previous = json.loads(args.out.read_text()) if args.merge and args.out.exists() else {"labels": {}}
        entry = {"db": str(db) if args.db else "demo (built in a temp folder)", "as_of": args.as_of,
                 "started": now_iso(), "machine": machine(), "measurements": []}
        for kind, target in jobs:
            runs = []
            plan_cache = Path(tmp) / f"plans-{kind}-{target.replace(':', '-')}"  # empty for the first run
            for i in range(args.runs):
                print(f"[{now_iso()}] {args.label} {kind} {target} run {i + 1}/{args.runs} (load {load()})", flush=True)
                runs.append(run_child(db, kind, target, args.as_of, plan_cache))
                print(f"    cold {runs[-1]['cold_s']} s, warm {runs[-1]['warm_s']} s, "
                      f"peak {runs[-1]['sampled_peak_mb']} MB", flush=True)
            entry["measurements"].append(summarize(kind, target, runs))
            write_json(args.out, {"labels": {**previous["labels"], args.label: entry}})
    print(markdown(args.out))


if __name__ == "__main__":
    main()
