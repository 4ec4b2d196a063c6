"""The engine benchmark's data: generated data sets of a given size and their imported databases
(both cached in `benchmarks/data/<size>/`)."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

from benchlib import DATA, now_iso, write_json
from engine_children import MONTHS, SEED, run_child

CUSTOMERS_PER_PARTNER = 100


CALIBRATION_CUSTOMERS = 5_000


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


def _store_schema() -> str:
    """A digest of the stored tables' DDL: a database imported under another schema is imported again."""
    from partnerscore.ingest.tables import STORED

    return hashlib.sha256(json.dumps(STORED, sort_keys=True).encode()).hexdigest()[:12]


def ensure_database(label: str, dataset: Path, generated: dict, batch_rows: int) -> tuple[Path, dict]:
    folder = DATA / label
    db = folder / "partnerscore.duckdb"
    manifest_path = folder / "import.json"
    usage_rows = generated["counts"]["usage"]
    parts = max(1, -(-usage_rows // batch_rows))
    if manifest_path.exists() and db.exists():
        manifest = json.loads(manifest_path.read_text())
        if (manifest.get("generated_at") == generated.get("generated_at") and manifest.get("batches") == parts
                and manifest.get("status") == "ok" and manifest.get("store_schema") == _store_schema()):
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
        "store_schema": _store_schema(),
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
