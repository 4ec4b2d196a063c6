"""The local DuckDB store: one file holding the canonical tables that import writes and the engine reads.

`open_store` creates the tables of `tables.STORED` when they are missing, so any command can start from
an empty path. The engine opens the same file itself with `ibis.duckdb.connect(path)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from partnerscore.errors import StoreError
from partnerscore.ingest.tables import ADDED_COLUMNS, ID_KEYS, KEYED, STORED
from partnerscore.ingest.write import assign_keys

#: A store given by its file path, or an already open connection (which the caller keeps and closes).
Store = Path | str | duckdb.DuckDBPyConnection


def open_store(db_path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open (or create) the store at `db_path` and create any canonical table it lacks.

    Calling it again on the same file changes nothing. The caller closes the connection.

    Args:
        db_path: the DuckDB file; `":memory:"` gives a throw-away store.

    Returns:
        An open DuckDB connection.

    >>> con = open_store(":memory:")
    >>> sorted(name for (name,) in con.sql("SELECT table_name FROM duckdb_tables()").fetchall())[:3]
    ['associations', 'certifications', 'customers']
    """
    try:
        con = duckdb.connect(str(db_path))
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the store {db_path}: {exc}; close other programs that use it "
                         "or choose another file") from exc
    create_tables(con)
    return con


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical tables that `con` lacks (idempotent), and key a store written before
    integer keys existed."""
    for table, ddl in STORED.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({ddl})")
    present = set(con.execute("SELECT table_name, column_name FROM duckdb_columns()").fetchall())
    for table, column, kind in ADDED_COLUMNS:
        if (table, column) not in present:  # an older store: altered once, so opening it writes nothing
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    _add_keys(con)


def _add_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Add the key columns a store lacks and fill them, in one transaction (once per store)."""
    def columns(table: str) -> list[str]:
        return [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    missing = [(table, key) for table, keys in KEYED.items() for key in keys if ID_KEYS[key][1] not in columns(table)]
    if not missing:
        return
    con.begin()
    try:
        for table, key in missing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {ID_KEYS[key][1]} INTEGER")
        assign_keys(con, "{table}")
        for table, key in missing:
            id_column, key_column = ID_KEYS[key]
            con.execute(f"UPDATE {table} SET {key_column} = k.{key_column} FROM {key} k "
                        f"WHERE {table}.{id_column} = k.{id_column}")
        con.commit()
    except BaseException:
        con.rollback()
        raise


@contextmanager
def connected(db: Store, *, create: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to `db`; a path is opened here and closed afterwards, a connection is lent.

    With `create=False` a path that does not exist raises `StoreError` instead of creating a file, so
    that reading commands do not leave empty stores behind.
    """
    if isinstance(db, duckdb.DuckDBPyConnection):
        create_tables(db)
        yield db
        return
    if not create and str(db) != ":memory:" and not Path(db).exists():
        raise StoreError(f"no store at {db}; import a data set first")
    con = open_store(db)
    try:
        yield con
    finally:
        con.close()
