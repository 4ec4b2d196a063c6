"""Open the canonical tables on a backend. The only module that knows which engine runs the rules.

DuckDB (a local file) is the embedded default; Spark runs the same Ibis expressions over the same
canonical tables exported as Parquet. Nothing else in `engine/` names a backend.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import ibis
import ibis.expr.operations as ops
import pyarrow as pa

from partnerscore.errors import PartnerscoreError, StoreError

TABLE_NAMES = ("partners", "customers", "subscriptions", "associations", "usage", "certifications")
#: The tables that hold their IDs' integer keys when a store keys them (`ingest/tables.py` `KEYED`).
KEYED_TABLE_NAMES = ("customers", "subscriptions", "associations", "usage")
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
    #: Whether every table holding tenant or subscription IDs also holds their integer keys (a store's
    #: tables do; tables made from others, as what-if's, do not and are scored on the IDs themselves).
    keyed: bool = False
    #: Whether `open_duckdb` bound these tables to a store's own (see `shared`).
    from_store: bool = False
    #: Each tenant ID with its integer key (a store's `tenant_keys`), to show tenants scored on their
    #: keys by their IDs again (`keys.with_tenant_ids`); None when no store gave it.
    tenant_keys: ibis.Table | None = None

    @property
    def shared(self) -> bool:
        """Whether every table is still one of a DuckDB store's catalog tables, which each connection to
        its database reads (what-if's copies are registered on one connection only): a few partners'
        run may then execute independent statements side by side, one connection each (`Plan.replay`)."""
        def own(name: str) -> bool:
            op = getattr(self, name).op()
            return isinstance(op, ops.DatabaseTable) and op.name == name
        return self.from_store and all(own(name) for name in TABLE_NAMES)


def default_engine() -> str:
    """The engine named by PARTNERSCORE_ENGINE, else duckdb."""
    return os.environ.get("PARTNERSCORE_ENGINE", "duckdb")


def open_duckdb(db: Path | str, *, read_only: bool = True) -> Tables:
    """Bind the tables of a partnerscore DuckDB file."""
    if not Path(db).exists():
        raise PartnerscoreError(f"{db}: no such database; run `partnerscore import DATASET --db {db}` first")
    try:
        con = ibis.duckdb.connect(str(db), read_only=read_only)
    except duckdb.Error as exc:  # another process writes it (an import), or it is no DuckDB file
        raise StoreError(f"cannot open {db}: {exc}; if another program writes it (an import), try again "
                         "when it is done") from exc
    tables = _bound(con, {name: con.table(name) for name in TABLE_NAMES})
    names = con.table("tenant_keys") if tables.keyed else None
    return replace(tables, from_store=True, tenant_keys=names)


def open_parquet(folder: Path | str, backend) -> Tables:
    """Bind canonical tables stored as `<table>.parquet` in `folder` on any Ibis backend."""
    folder = Path(folder)
    return _bound(backend, {name: backend.read_parquet(str(folder / f"{name}.parquet"), table_name=name)
                            for name in TABLE_NAMES})


def _bound(backend, tables: dict[str, ibis.Table]) -> Tables:
    """`Tables` of a store's tables, keyed when they all hold their IDs' keys (a store written before
    keys existed and not opened for writing since does not)."""
    keyed = all("tenant_key" in tables[name].columns for name in KEYED_TABLE_NAMES)
    return Tables(backend, *(tables[name] for name in TABLE_NAMES), keyed=keyed)


def temporary_table(backend, name: str, schema) -> ibis.Table:
    """A table made by `materialize_sql`, typed as the expression it came from.

    The engine may store a wider type than Ibis inferred (DuckDB sums BIGINT into HUGEINT).
    """
    return backend.table(name).cast(schema)


def drop_materialized(backend, name: str) -> None:
    """Free a table made by `materialize_sql`."""
    if backend.name == "pyspark":
        backend._session.catalog.dropTempView(name)
    else:
        backend.raw_sql(f'DROP TABLE IF EXISTS "{name}"')


def materialize_sql(backend, sql: str, name: str) -> None:
    """Create temporary table `name` from SQL compiled for this backend (eagerly cached on Spark)."""
    if backend.name == "pyspark":
        # A local checkpoint computes the rows now and cuts the lineage: a temp view would keep the whole
        # plan behind it, and later queries would re-analyse every earlier stage (heap exhaustion).
        backend._session.sql(sql).localCheckpoint(eager=True).createOrReplaceTempView(name)
    else:
        # Ibis 12's create_table(temp=True) emits a DROP that DuckDB 2 rejects; plain SQL does the same.
        backend.raw_sql(f'CREATE TEMP TABLE "{name}" AS {sql}')


@contextmanager
def scratch_database(backend, name: str, count: int) -> Iterator[list]:
    """`count` further connections to a DuckDB backend's database that create their tables in `name`, an
    in-memory database attached for as long as the block runs, and find the store's tables after it.

    Every connection sees an attached database (temporary tables are seen by one connection only), it
    is writable even when the store is opened read-only, and detaching it drops all its tables at once."""
    store = backend.con.execute("SELECT current_database()").fetchall()[0][0]
    backend.con.execute(f"ATTACH ':memory:' AS \"{name}\" (READ_WRITE)")
    cursors = []
    try:
        for _ in range(count):
            cursors.append(backend.con.cursor())
            cursors[-1].execute(f'USE "{name}"')
            cursors[-1].execute(f"SET search_path = '\"{name}\".main,\"{store}\".main'")
        yield cursors
    finally:
        for cursor in cursors:
            cursor.close()
        backend.con.execute(f'DETACH "{name}"')


# DuckDB's relation API (`con.sql(query).to_arrow_table()`) binds and optimises a query twice, once to
# make the relation and once to run it: 3-4 ms for a partner's final query, on each of an explanation's
# dozen. Its DB-API result plans a query once and copies the rows once more, which for these results
# costs nothing; DuckDB warns about that copy on every call.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result makes an extra copy", category=UserWarning)


def fetch_arrow(con, sql: str) -> pa.Table:
    """Run `sql` on a DuckDB connection and return its rows as an Arrow table, planning it once."""
    return con.execute(sql).to_arrow_table()


def query_arrow(backend, sql: str) -> pa.Table:
    """Run SQL compiled for this backend and return its result as an Arrow table."""
    if backend.name == "pyspark":
        return backend._session.sql(sql).toArrow()
    return fetch_arrow(backend.con, sql)


def register_arrow(backend, name: str, table: pa.Table) -> ibis.Table:
    """Expose an Arrow table to SQL as `name` in this connection (what-if tables)."""
    if backend.name == "pyspark":
        backend._session.createDataFrame(table.to_pandas()).createOrReplaceTempView(name)
    else:
        backend.con.register(name, table)
    return backend.table(name)


def resellers_of(tables: Tables, provider_id: str) -> list[str]:
    """The resellers of an indirect provider: partners whose `parent_partner_id` is the provider, and
    partners holding a CSP_INDIRECT association that names it as `indirect_provider_id`.

    Both count because a Partner Center import knows the reseller only from the association (the
    downloads name the reseller on the provider's CSP Tier 1 row and fill no `parent_partner_id`).
    Raises PartnerscoreError when `provider_id` is not a partner of the ledger.
    """
    partners = tables.partners
    if partners.filter(partners.partner_id == provider_id).count().to_pyarrow().as_py() == 0:
        raise PartnerscoreError(f"unknown partner {provider_id!r}: not in the ledger; `partnerscore score --all` "
                                "lists the partners")
    children = partners.filter(partners.parent_partner_id == provider_id).select("partner_id")
    associations = tables.associations
    named = associations.filter(associations.type == "CSP_INDIRECT",
                                associations.indirect_provider_id == provider_id).select("partner_id")
    found = children.union(named, distinct=True).to_pyarrow().column("partner_id").to_pylist()
    return sorted(set(found) - {provider_id})
