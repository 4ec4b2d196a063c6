"""Fuzzing the import: valid data sets, spoiled the ways files get spoiled, imported into a database that
already holds an import.

Each example takes the small data set (`tests/data/small`) or the Partner Center sample downloads
(`tests/data/partner_center`), applies one to three mutations (a byte-order mark, another encoding, a huge
field, a wrong type, a truncated or repeated line, a repeated header, a negative or non-finite number, …)
and imports the result into a copy of a database holding the unspoiled set. Every run must end in one of:

- a clean import (status `ok`; `partial` with `--skip-bad-rows`, drawn too), after which importing the
  same folder again changes nothing and rejects the same rows;
- `ImportFailed`, every problem naming its file (and a row, 0 for the whole file), with the canonical
  tables exactly as they were and the failed import logged;
- for downloads, a `DatasetError` naming the file, raised before the database is touched.

Never another exception, never a half-written store. The run is bounded (`EXAMPLES` per data set,
no deadline): both take about 47 s of CPU, 1 to 2 minutes on the shared 2-core machine.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from partnerscore.errors import DatasetError, ImportFailed
from partnerscore.ingest.importer import import_dataset

DATA = Path(__file__).parent / "data"
SETS = {"contract": DATA / "small", "partner-center": DATA / "partner_center"}
CANONICAL = ("partners", "customers", "subscriptions", "associations", "usage", "certifications",
             "tenant_keys", "subscription_keys")
EXAMPLES = 30

#: A file as the mutations see it: its name, and its content as text lines of cells (None once it is
#: only bytes, after a byte-level mutation).
Mutation = Callable[[Path], None]


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


@st.composite
def cell_edit(draw, value: st.SearchStrategy[str]) -> tuple[str, Callable]:
    """Write a drawn value into a drawn cell (row and column are drawn once the file is known)."""
    row_pick, column_pick, text = draw(st.integers(0, 10_000)), draw(st.integers(0, 10_000)), draw(value)

    def edit(path: Path) -> None:
        rows = read_rows(path)
        if len(rows) < 2:
            return
        row = rows[1 + row_pick % (len(rows) - 1)]
        if row:
            row[column_pick % len(row)] = text
        write_rows(path, rows)
    return f"cell={text[:20]!r}", edit


WRONG_VALUES = st.sampled_from([
    "abc", "", " ", "1e400", "2025-02-30", "2025-13", "13/45/2025", "1,5", "1.200,50", "０１２", "\x00",
    "'; DROP TABLE usage; --", '"', "-1", "-0.5", "-1e3", "NaN", "nan", "inf", "-Infinity", "+inf", "1e-400",
    "99999999999999999999999", "0x1A", "true", "NULL", "None", "é", "🙂", "=1+1", "\\N", "9" * 400,
])
NUMBER_VALUES = st.one_of(st.integers(-10**6, -1).map(str), st.floats(allow_nan=True, allow_infinity=True).map(str))


@st.composite
def line_edit(draw) -> tuple[str, Callable]:
    """Repeat, drop or truncate a line, or repeat a column of the header."""
    kind, pick, cut = draw(st.sampled_from(["repeat", "drop", "truncate", "header"])), draw(st.integers(0, 10_000)), \
        draw(st.floats(0.05, 0.95))

    def edit(path: Path) -> None:
        rows = read_rows(path)
        if len(rows) < 2:
            return
        i = 1 + pick % (len(rows) - 1)
        if kind == "repeat":
            rows.insert(i, list(rows[i]))
        elif kind == "drop":
            del rows[i]
        elif kind == "header":
            column = pick % len(rows[0])
            rows = [[*r, r[column] if column < len(r) else ""] for r in rows]
        if kind != "truncate":
            write_rows(path, rows)
            return
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        line = lines[i]
        lines[i] = line[: max(1, int(len(line) * cut))] + "\n"
        path.write_text("".join(lines), encoding="utf-8")
    return f"line={kind}", edit


@st.composite
def byte_edit(draw) -> tuple[str, Callable]:
    """Change the file's bytes: a byte-order mark, another encoding, a huge field, a cut at any byte."""
    kind = draw(st.sampled_from(["bom", "utf-16", "utf-16-le", "latin-1", "cp1252", "huge", "cut", "crlf", "empty"]))
    size, cut = draw(st.sampled_from([70_000, 1_100_000, 3_000_000])), draw(st.floats(0.01, 0.99))

    def edit(path: Path) -> None:
        data = path.read_bytes()
        if kind == "bom":
            path.write_bytes(b"\xef\xbb\xbf" + data)
        elif kind in ("utf-16", "utf-16-le"):
            path.write_bytes(data.decode("utf-8").encode(kind))
        elif kind in ("latin-1", "cp1252"):  # a name with accents first, so the encodings differ
            text = data.decode("utf-8").replace(",", ",Müller-Café ", 1) if b"," in data else data.decode("utf-8")
            path.write_bytes(text.encode(kind, errors="replace"))
        elif kind == "huge":
            rows = read_rows(path)
            if len(rows) > 1 and rows[1]:
                rows[1][-1] = "9" * size
                write_rows(path, rows)
        elif kind == "cut":
            path.write_bytes(data[: int(len(data) * cut)])
        elif kind == "crlf":
            path.write_bytes(data.replace(b"\n", b"\r\n"))
        else:
            path.write_bytes(b"")
    return f"bytes={kind}", edit


#: Byte-level edits go last: after them the file may no longer be UTF-8 CSV.
TEXT_EDITS = st.one_of(cell_edit(WRONG_VALUES), cell_edit(NUMBER_VALUES), line_edit())


@st.composite
def spoiled(draw, files: list[str]) -> list[tuple[str, str, Callable]]:
    """One to three (file, description, edit) mutations, byte-level ones last."""
    edits = [(draw(st.sampled_from(files)), *draw(TEXT_EDITS)) for _ in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()) or not edits:
        edits.append((draw(st.sampled_from(files)), *draw(byte_edit())))
    return edits


def snapshot(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: sorted(con.sql(f"SELECT * FROM {t}").fetchall(), key=repr) for t in CANONICAL}


def logged(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [s for (s,) in con.sql("SELECT status FROM imports ORDER BY rowid").fetchall()]


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    """Per data set, a database holding it, unspoiled: each example imports into a copy."""
    folder = tmp_path_factory.mktemp("fuzz-stores")
    made = {}
    for source, data in SETS.items():
        made[source] = folder / f"{source}.duckdb"
        import_dataset(data, made[source], source=source)
    return made


def check_import(source: str, store: Path, edits: list[tuple[str, str, Callable]], skip_bad_rows: bool) -> None:
    """Import the spoiled set into a copy of `store`; the outcome must be one of the three allowed."""
    with tempfile.TemporaryDirectory(prefix="partnerscore-fuzz-") as tmp:
        folder, db = Path(tmp) / "data", Path(tmp) / "store.duckdb"
        shutil.copytree(SETS[source], folder)
        shutil.copy(store, db)
        for file, _, edit in edits:
            edit(folder / file)
        before, log = snapshot(db), logged(db)
        try:
            report = import_dataset(folder, db, source=source, skip_bad_rows=skip_bad_rows)
        except ImportFailed as failed:
            assert failed.bad_rows and all(b.file and b.row >= 0 and b.reason for b in failed.bad_rows)
            assert snapshot(db) == before, "a failed import changed the store"
            assert logged(db) == [*log, "failed"]
            return
        except DatasetError as refused:
            assert source == "partner-center" and str(refused), refused
            assert (snapshot(db), logged(db)) == (before, log), "a refused folder changed the store"
            return
        assert report.status == ("partial" if report.rejected else "ok")
        assert skip_bad_rows or not report.rejected
        again = import_dataset(folder, db, source=source, skip_bad_rows=skip_bad_rows)
        assert again.changed_nothing, f"a second import of the same folder changed {again.rows_changed}"
        assert [str(b) for b in again.rejected] == [str(b) for b in report.rejected]


@pytest.mark.parametrize("source", list(SETS), ids=["The small data set, spoiled, imports cleanly or fails "
                                                    "row by row, leaving the store as it was",
                                                    "The Partner Center downloads, spoiled, likewise"])
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
@given(data=st.data())
def test_import_of_a_spoiled_dataset_ends_clean_or_in_row_errors(stores, source: str, data) -> None:
    files = sorted(p.name for p in SETS[source].iterdir())
    edits = data.draw(spoiled(files), label="edits")
    check_import(source, stores[source], edits, data.draw(st.booleans(), label="skip_bad_rows"))
