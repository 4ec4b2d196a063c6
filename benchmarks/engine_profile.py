"""Where a scoring run's time goes: every SQL statement timed, and a plan replayed under DuckDB's profiler."""

from __future__ import annotations

import json
import time
from pathlib import Path


class StatementTimer:
    """Times every SQL statement the engine runs (temporary tables, final query, drops).

    It wraps the module-level functions the engine calls (`metrics.base.materialize_sql` when a run
    builds its expressions, `plan.materialize_sql` / `plan.query_arrow` / `plan.drop_materialized` when
    it replays a plan); nothing in the engine changes.
    """

    def __init__(self) -> None:
        from partnerscore.engine import plan, scoring
        from partnerscore.engine.metrics import base

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

        base.materialize_sql = wrap("temporary", base.materialize_sql)
        plan.materialize_sql = wrap("temporary", plan.materialize_sql)
        plan.query_arrow = wrap("final", plan.query_arrow)
        plan.drop_materialized = wrap("drop", plan.drop_materialized)
        scoring.drop_materialized = wrap("drop", scoring.drop_materialized)

    def take(self) -> list[tuple[str, str, float]]:
        records, self.records = self.records, []
        return records


def _index(name: str) -> int:
    return int(name.rsplit("_", 1)[1])


def run_breakdown(records, total: float) -> dict:
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
