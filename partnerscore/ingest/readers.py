"""Read a data-set folder into string tables, one per table of the data contract.

A data set holds `<table>.csv` or `<table>.parquet` for each table of `CONTRACT` (file names match
case-insensitively). Every cell is read as text, whatever the file format, so that validation can
report the exact bad cell as the user wrote it. Column names are trimmed and lower-cased; columns the
contract does not know are kept (they show in the quarantine) but nothing else reads them. Cells are
trimmed, and an empty cell is missing (null). Each table gets a `_row` column: 1 = first data row.

Problems with a whole file (both formats present, unreadable file) are `BadRow`s with row 0; a CSV line
with the wrong number of fields is a `BadRow` with its row number. Whether a table may be absent depends
on the store the data set goes to (a first import needs every required table), so validation checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from partnerscore.errors import BadRow, DatasetError
from partnerscore.ingest.encodings import SAVE_AS, csv_encoding, has_nul, not_text
from partnerscore.ingest.headers import unknown_columns, unknown_file_warnings
from partnerscore.ingest.tables import CONTRACT, FORMATS, MEASURES

#: Name of the row-number column added to every table read.
ROW = "_row"
#: Where a row came from: the file and its row number there, and the key of `RawTable.headers` that
#: names its columns. Validation adds them to a table read from one file (`file`, `_row`, `file`); a
#: table translated from other files (Partner Center downloads) carries its own.
FILE, LINE, FROM = "_file", "_line", "_from"
HIDDEN = {ROW, FILE, LINE, FROM}
#: The longest CSV line read (pyarrow reads a file in blocks of this size, and no line may span two);
#: a few MiB of notes in a cell still import, while a file that is one endless line is refused.
MAX_LINE_BYTES = 16 << 20


@dataclass
class RawTable:
    """One input table as read: every column text, plus `_row`; `problems` found while reading."""

    table: str
    file: str
    data: pa.Table
    problems: list[BadRow] = field(default_factory=list)
    #: For a translated table: per `_from` key, contract column -> the source header it came from.
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The column names as the file's header writes them (trimmed, in order), for messages.
    header: list[str] = field(default_factory=list)
    #: For a translated table: the measure columns its sources carry (None: those its header has).
    measures: set[str] | None = None

    @property
    def columns(self) -> set[str]:
        """The column names the file's header holds (lower case)."""
        return set(self.data.column_names) - HIDDEN

    @property
    def carried_measures(self) -> set[str]:
        """The measure columns (`tables.MEASURES`) this table carries; the others it does not give at all."""
        return self.measures if self.measures is not None else self.columns & set(MEASURES.get(self.table, ()))

    def source_column(self, origin: str, column: str | None) -> str | None:
        """The column as the user's file names it: the source header of a translated column."""
        return self.headers.get(origin, {}).get(column, column) if column else column


@dataclass
class Dataset:
    """The tables of one data-set folder (each with the problems found reading it)."""

    path: Path
    tables: dict[str, RawTable]
    #: The files a translated data set was read from, as text tables with `_row`, by file name; the
    #: quarantine shows a rejected row's cells from here.
    sources: dict[str, pa.Table] = field(default_factory=dict)
    #: What reading found that loses nothing the contract holds but may be a mistake (unknown columns).
    warnings: list[BadRow] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        """The file names read, in contract order (the source files of a translated data set)."""
        return list(self.sources) or [raw.file for raw in self.tables.values()]


def read_dataset(path: Path | str,
                 progress: Callable[[str, int, int], None] | None = None) -> Dataset:
    """Read every contract table found in the folder `path`, as text.

    Args:
        path: the data-set folder.
        progress: called as `progress("read", tables_done, tables_total)`.

    Returns:
        The tables found (in contract order) and the file-level problems; an absent table is no
        problem here (see `validate.missing_tables`).

    Raises:
        DatasetError: `path` is not a folder.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder; give the folder that holds customers.csv, "
                           "usage.csv, …")
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    by_name = {name.lower(): folder / name for name in files}
    tables: dict[str, RawTable] = {}
    warnings: list[BadRow] = unknown_file_warnings(files)
    for done, table in enumerate(CONTRACT, start=1):
        found = [by_name[f"{table}.{fmt}"] for fmt in FORMATS if f"{table}.{fmt}" in by_name]
        if found:
            tables[table] = read_table(table, found[0])
            warnings += unknown_columns(tables[table])
        if len(found) > 1:  # read one anyway, so that rows naming its ids say why they are rejected
            tables[table].problems.insert(0, BadRow(
                found[0].name, 0, None, f"both {found[0].name} and {found[1].name} are present",
                "keep one of the two files"))
        if progress:
            progress("read", done, len(CONTRACT))
    return Dataset(folder, tables, warnings=warnings)


def read_table(table: str, file: Path, known: set[str] | None = None) -> RawTable:
    """Read one CSV or Parquet file of contract table `table` (or of another kind) as text columns.

    `known` are the (lower-case) column names a repeat of which is a problem; by default the contract
    table's columns.
    """
    parquet = file.suffix.lower() == ".parquet"
    encoding = "utf8" if parquet else csv_encoding(file)
    try:
        raw = RawTable(table, file.name, _read_parquet(table, file)) if parquet else _read_csv(table, file, encoding)
    except (pa.ArrowException, OSError, UnicodeError) as exc:
        empty = pa.table({ROW: pa.array([], pa.int64())})
        return RawTable(table, file.name, empty, [_unreadable(file, parquet, encoding, exc)])
    raw.header = [name.strip() for name in raw.data.column_names if name != ROW]
    known = known if known is not None else {c.name for c in CONTRACT.get(table, ())}
    raw.data, dupes = _normalise_names(raw.data, known)
    raw.problems += [BadRow(file.name, 0, name, "the column appears twice in the header",
                            "keep one of the two columns") for name in dupes]
    return raw


def _unreadable(file: Path, parquet: bool, encoding: str, exc: Exception) -> BadRow:
    """The problem of a file that cannot be read at all: empty, not text, a line too long, not CSV."""
    if not parquet and (reason := not_text(file, encoding)):
        return BadRow(file.name, 0, None, reason, SAVE_AS)
    if file.stat().st_size == 0 or "Empty CSV file" in str(exc):
        return BadRow(file.name, 0, None, "is empty: a table's file holds at least its header row")
    if "straddling object" in str(exc):  # pyarrow's words for a line longer than its block
        return BadRow(file.name, 0, None, f"has a line longer than {MAX_LINE_BYTES >> 20} MiB, more than any "
                      "value of the data contract needs")
    kind = "Parquet" if parquet else "CSV with a header row"
    # pyarrow names the file by its path; the folder (the web app's upload folder, say) is no business
    # of a message a user reads.
    said = _first_line(exc).replace(str(file), file.name)
    return BadRow(file.name, 0, None, f"cannot be read as {kind}: {said}")


def _read_csv(table: str, file: Path, encoding: str) -> RawTable:
    if encoding == "utf8" and has_nul(file):  # valid UTF-8, but UTF-16 without its mark: refuse, not misread
        raise UnicodeError("NUL bytes")
    text = pacsv.ReadOptions(use_threads=False, encoding=encoding, block_size=MAX_LINE_BYTES)
    names = pacsv.open_csv(file, read_options=text, parse_options=_parse_options(lambda _row: "skip")).schema.names
    skipped: list[tuple[int, int, int]] = []

    def malformed(row: pacsv.InvalidRow) -> str:
        skipped.append((row.number or 0, row.expected_columns, row.actual_columns))
        return "skip"

    data = pacsv.read_csv(
        file,
        read_options=text,
        parse_options=_parse_options(malformed),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False),
    )
    # The handler reports the file's line number (the header is line 1); data row = line - 1.
    bad_rows = [line - 1 for line, _, _ in skipped]
    problems = [BadRow(file.name, line - 1, None, f"has {got} fields where the header has {want}")
                for line, want, got in skipped]
    return RawTable(table, file.name, _clean(data, _row_numbers(data.num_rows, bad_rows)), problems)


def _parse_options(handler) -> pacsv.ParseOptions:
    return pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=handler)


def _row_numbers(kept: int, skipped: list[int]) -> pa.Array:
    """Row numbers of the rows kept when the rows `skipped` (1-based) were dropped while reading."""
    total = kept + len(skipped)
    gone = set(skipped)
    numbers = [n for n in range(1, total + 1) if n not in gone] if gone else None
    if numbers is None or len(numbers) != kept:  # a multi-line cell shifted the line count
        return pa.array(range(1, kept + 1), pa.int64())
    return pa.array(numbers, pa.int64())


def _read_parquet(table: str, file: Path) -> pa.Table:
    data = pq.read_table(file)
    types = {c.name: c.type for c in CONTRACT.get(table, ())}
    columns = [_as_text(col, types.get(name.strip().lower())) for name, col in
               zip(data.column_names, data.columns)]
    text = pa.table(dict(zip(data.column_names, columns))) if columns else pa.table({})
    return _clean(text, pa.array(range(1, data.num_rows + 1), pa.int64()))


def _as_text(col: pa.ChunkedArray, contract_type: str | None) -> pa.ChunkedArray:
    """A Parquet column as the text a CSV would hold: dates ISO, months YYYY-MM, true/false."""
    kind = col.type
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        col = pc.local_timestamp(col)
    if contract_type == "month" and (pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
        return pc.strftime(col, format="%Y-%m")
    if pa.types.is_timestamp(kind) and contract_type == "date":
        return pc.cast(pc.cast(col, pa.date32()), pa.string())
    if pa.types.is_dictionary(kind):
        col = pc.cast(col, kind.value_type)
    return pc.cast(col, pa.string())


def _clean(data: pa.Table, rows: pa.Array) -> pa.Table:
    """Trim every cell, make empty cells null, and add the `_row` column.

    A name the header repeats stays repeated (a list, not a dict), for `_normalise_names` to report.
    """
    names, columns = [], []
    for name, col in zip(data.column_names, data.columns):
        if name.strip().lower() in HIDDEN:
            continue
        trimmed = pc.utf8_trim_whitespace(col)
        names.append(name)
        columns.append(pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed))
    return pa.Table.from_arrays([*columns, rows], names=[*names, ROW])


def _normalise_names(data: pa.Table, known: set[str]) -> tuple[pa.Table, list[str]]:
    """Lower-case and trim column names; a repeated contract column is reported, other repeats renamed."""
    seen: set[str] = set()
    names, dupes = [], []
    for name in data.column_names:
        norm = name.strip().lower()
        if norm in seen:
            if norm in known:
                dupes.append(name.strip())
            norm = f"{norm}_{len(names)}"
        seen.add(norm)
        names.append(norm)
    return data.rename_columns(names), dupes


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
