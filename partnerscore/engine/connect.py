"""Open the canonical tables on a backend. The only module that knows which engine runs the rules.

DuckDB (a local file) is the embedded default; Spark runs the same Ibis expressions over the same
canonical tables exported as Parquet. Nothing else in `engine/` names a backend.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import ibis

from partnerscore.errors import PartnerscoreError

TABLE_NAMES = ("partners", "customers", "subscriptions", "associations", "usage", "certifications")
ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class Tables:
    """The canonical tables as unexecuted Ibis tables, bound to one backend."""

    backend: object
    partners: ibis.Table
    customers: ibis.Table
    subscriptions: ibis.Table
    associations: ibis.Table
    usage: ibis.Table
    certifications: ibis.Table


def default_engine() -> str:
    """The engine named by PARTNERSCORE_ENGINE, else duckdb."""
    return os.environ.get("PARTNERSCORE_ENGINE", "duckdb")


def open_duckdb(db: Path | str, *, read_only: bool = True) -> Tables:
    """Bind the tables of a partnerscore DuckDB file."""
    if not Path(db).exists():
        raise PartnerscoreError(f"{db}: no such database; run `partnerscore import DATASET --db {db}` first")
    con = ibis.duckdb.connect(str(db), read_only=read_only)
    return Tables(con, *(con.table(name) for name in TABLE_NAMES))


def open_parquet(folder: Path | str, backend) -> Tables:
    """Bind canonical tables stored as `<table>.parquet` in `folder` on any Ibis backend."""
    folder = Path(folder)
    return Tables(backend, *(backend.read_parquet(str(folder / f"{name}.parquet"), table_name=name)
                             for name in TABLE_NAMES))
