"""Run the unchanged engine on Apache Spark (PySpark), for data that outgrows one machine.

The canonical tables are read from Parquet (`<table>.parquet` per table, as `export_parquet`
writes them from a partnerscore database); the same Ibis expressions then run on a Spark session.
`--spark-master` (default `local[*]`) points the same command at a real cluster.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from functools import cache
from pathlib import Path

import duckdb

from partnerscore.engine.connect import TABLE_NAMES, Tables, open_parquet
from partnerscore.engine.report import ScoreReport
from partnerscore.engine.scoring import score
from partnerscore.errors import PartnerscoreError


@cache
def spark_session(master: str = "local[*]"):
    """A Spark session tuned for this engine: UTC, few shuffle partitions locally, no UI."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise PartnerscoreError("Spark is not installed: pip install 'partnerscore[spark]'") from exc
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warehouse = Path(tempfile.gettempdir()) / "partnerscore-spark-warehouse"
    builder = (SparkSession.builder.master(master).appName("partnerscore")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.warehouse.dir", str(warehouse))
               .config("spark.driver.memory", os.environ.get("PARTNERSCORE_SPARK_DRIVER_MEMORY", "4g")))
    if master.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", "4")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def export_parquet(db: Path | str, folder: Path | str) -> Path:
    """Write a database's canonical tables as `<table>.parquet` files Spark can read."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db), read_only=True) as con:
        for name in TABLE_NAMES:
            con.execute(f"COPY {name} TO '{folder / (name + '.parquet')}' (FORMAT parquet)")
    return folder


def open_spark(folder: Path | str, master: str = "local[*]") -> Tables:
    """Bind canonical Parquet tables on a Spark session through Ibis."""
    import ibis

    backend = ibis.pyspark.connect(spark_session(master))
    return open_parquet(folder, backend)


def parquet_store(db: Path | str) -> Path:
    """The canonical Parquet copy of a database that Spark reads (`<db>.parquet/`), refreshed when stale."""
    db = Path(db)
    folder = db.with_suffix(".parquet")
    marker = folder / "partners.parquet"
    if not marker.exists() or marker.stat().st_mtime < db.stat().st_mtime:
        export_parquet(db, folder)
    return folder


def score_db_on_spark(db: Path | str, day: date, *, master: str = "local[*]",
                      partners: list[str] | None = None) -> ScoreReport:
    """Score a partnerscore database on Spark (tables exported to Parquet first)."""
    with tempfile.TemporaryDirectory(prefix="partnerscore-spark-") as tmp:
        tables = open_spark(export_parquet(db, tmp), master)
        return score(tables, day, partners=partners)


def score_dataset_on_spark(dataset: Path | str, day: date, *, master: str = "local[*]") -> ScoreReport:
    """Import a data-set folder and score it on Spark."""
    from partnerscore.ingest.importer import import_dataset

    with tempfile.TemporaryDirectory(prefix="partnerscore-") as tmp:
        db = Path(tmp) / "dataset.duckdb"
        import_dataset(Path(dataset), db)
        return score_db_on_spark(db, day, master=master)
