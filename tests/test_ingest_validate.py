"""Each kind of bad input gives exactly the one-line messages a user reads.

Every case starts from the clean data set in `tests/data/ingest/base/`, changes a few cells, imports it
into a fresh store and compares the `ImportFailed` lines word for word.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from partnerscore.errors import BadRow, ImportFailed
from partnerscore.ingest.importer import check_dataset, import_dataset

BASE = Path(__file__).parent / "data" / "ingest" / "base"
FIX = "; fix the row or re-run with --skip-bad-rows"


def set_cell(table: str, row: int, column: str, value: str):
    """An edit: write `value` into `column` of data row `row` (1 = first) of `<table>.csv`."""
    def edit(folder: Path) -> None:
        header, rows = _read(folder / f"{table}.csv")
        rows[row - 1][header.index(column)] = value
        _write(folder / f"{table}.csv", header, rows)
    return edit


def add_row(table: str, **cells: str):
    """An edit: append a row to `<table>.csv`; missing cells are empty."""
    def edit(folder: Path) -> None:
        header, rows = _read(folder / f"{table}.csv")
        rows.append([cells.get(name, "") for name in header])
        _write(folder / f"{table}.csv", header, rows)
    return edit


def drop_column(table: str, column: str):
    """An edit: remove `column` from `<table>.csv`."""
    def edit(folder: Path) -> None:
        header, rows = _read(folder / f"{table}.csv")
        i = header.index(column)
        _write(folder / f"{table}.csv", header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows])
    return edit


def rename_column(table: str, column: str, name: str):
    """An edit: give `column` of `<table>.csv` another name in the header."""
    def edit(folder: Path) -> None:
        header, rows = _read(folder / f"{table}.csv")
        header[header.index(column)] = name
        _write(folder / f"{table}.csv", header, rows)
    return edit


def repeat_column(table: str, column: str):
    """An edit: add a second `column` to `<table>.csv`, holding the first's values."""
    def edit(folder: Path) -> None:
        header, rows = _read(folder / f"{table}.csv")
        i = header.index(column)
        _write(folder / f"{table}.csv", [*header, column], [[*r, r[i]] for r in rows])
    return edit


def append_text(file: str, text: str):
    """An edit: append raw text to a file (for lines the CSV writer would not produce)."""
    def edit(folder: Path) -> None:
        with open(folder / file, "a", encoding="utf-8") as f:
            f.write(text)
    return edit


def with_bom(file: str):
    """An edit: start the file with a UTF-8 byte-order mark, as Excel writes it."""
    def edit(folder: Path) -> None:
        path = folder / file
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return edit


def encode(file: str, encoding: str):
    """An edit: save the file in another encoding (Python's codec name; `utf-16` writes its byte-order mark)."""
    def edit(folder: Path) -> None:
        path = folder / file
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    return edit


def remove_file(file: str):
    """An edit: delete a file from the data set."""
    return lambda folder: (folder / file).unlink()


def parquet_copy(table: str):
    """An edit: also write `<table>.parquet` beside `<table>.csv`."""
    return lambda folder: pq.write_table(pacsv.read_csv(folder / f"{table}.csv"), folder / f"{table}.parquet")


def usage_parquet(**columns: list):
    """An edit: replace `usage.csv` by `usage.parquet` (types as pyarrow infers them), with `columns` replaced."""
    def edit(folder: Path) -> None:
        table = pacsv.read_csv(folder / "usage.csv")
        for name, values in columns.items():
            table = table.set_column(table.column_names.index(name), name, pa.array(values, pa.float64()))
        pq.write_table(table, folder / "usage.parquet")
        (folder / "usage.csv").unlink()
    return edit


def build(tmp_path: Path, *edits) -> Path:
    """A copy of the base data set with `edits` applied."""
    folder = tmp_path / "dataset"
    shutil.copytree(BASE, folder)
    for edit in edits:
        edit(folder)
    return folder


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])


CASES = [
    pytest.param([set_cell("usage", 2, "month", "2025-13")],
                 [f"usage.csv:2 column month: '2025-13' is not YYYY-MM{FIX}"],
                 id="A month 13 is not YYYY-MM"),
    pytest.param([set_cell("associations", 2, "start_date", "2025-02-30")],
                 [f"associations.csv:2 column start_date: '2025-02-30' is not YYYY-MM-DD{FIX}"],
                 id="30 February is not a date"),
    pytest.param([set_cell("certifications", 1, "earned_on", "01/05/2025")],
                 [f"certifications.csv:1 column earned_on: '01/05/2025' is not YYYY-MM-DD{FIX}"],
                 id="A day-first date is not ISO"),
    pytest.param([set_cell("usage", 1, "subscription_id", "S9")],
                 [f"usage.csv:1 column subscription_id: 'S9' is not in subscriptions.csv or in the store{FIX}"],
                 id="Usage of a subscription that neither the data set nor the store holds is rejected"),
    pytest.param([set_cell("subscriptions", 1, "start_date", "2025-1-1")],
                 [f"subscriptions.csv:1 column start_date: '2025-1-1' is not YYYY-MM-DD{FIX}",
                  f"associations.csv:1 column subscription_id: 'S1' names a rejected row (subscriptions.csv:1){FIX}",
                  f"associations.csv:2 column subscription_id: 'S1' names a rejected row (subscriptions.csv:1){FIX}",
                  f"usage.csv:1 column subscription_id: 'S1' names a rejected row (subscriptions.csv:1){FIX}",
                  f"usage.csv:2 column subscription_id: 'S1' names a rejected row (subscriptions.csv:1){FIX}",
                  f"usage.csv:3 column subscription_id: 'S1' names a rejected row (subscriptions.csv:1){FIX}"],
                 id="Rows naming a rejected subscription say which row was rejected"),
    pytest.param([set_cell("associations", 4, "subscription_id", "")],
                 [f"associations.csv:4 column subscription_id: is required for a DPOR association{FIX}"],
                 id="A DPOR association without a subscription is rejected"),
    pytest.param([set_cell("associations", 2, "subscription_id", "")],
                 [f"associations.csv:2 column subscription_id: is required for a PAL association{FIX}"],
                 id="A PAL association without a subscription is rejected"),
    pytest.param([set_cell("associations", 3, "workload", "")],
                 [f"associations.csv:3 column workload: is required for a CPOR_OSU association{FIX}"],
                 id="A CPOR_OSU association without a workload is rejected"),
    pytest.param([set_cell("associations", 5, "indirect_provider_id", "")],
                 [f"associations.csv:5 column indirect_provider_id: is required for a CSP_INDIRECT association{FIX}"],
                 id="A CSP_INDIRECT association without its indirect provider is rejected"),
    pytest.param([set_cell("associations", 5, "indirect_provider_id", "P7")],
                 [f"associations.csv:5 column indirect_provider_id: 'P7' is not in partners.csv or in the store{FIX}"],
                 id="An unknown indirect provider is rejected"),
    pytest.param([set_cell("associations", 1, "type", "CPOR_XYZ")],
                 [f"associations.csv:1 column type: 'CPOR_XYZ' is not one of CPOR_OSU, CPOR_OSA, CPOR_REVREC, "
                  f"DPOR, PAL, CSP_DIRECT, CSP_INDIRECT, TPOR{FIX}"],
                 id="An association type outside the program's list is rejected"),
    pytest.param([add_row("associations", association_id="A3", partner_id="P1", type="CPOR_OSU", tenant_id="T2",
                          workload="Exchange", incentive="true", poe_status="approved", start_date="2025-03-01",
                          end_date="2025-12-31", recorded_at="2025-03-10")],
                 [f"associations.csv:3 column association_id: association 'A3' recorded on 2025-03-10 has other "
                  f"content at associations.csv:6 (end_date); keep the right row, or give the later version a "
                  f"later recorded_at{FIX}",
                  f"associations.csv:6 column association_id: association 'A3' recorded on 2025-03-10 has other "
                  f"content at associations.csv:3 (end_date); keep the right row, or give the later version a "
                  f"later recorded_at{FIX}"],
                 id="Two versions of one association recorded the same day with other content are both rejected, "
                    "each naming the other row"),
    pytest.param([add_row("associations", association_id="A1", partner_id="P2", type="CSP_DIRECT", tenant_id="T1",
                          subscription_id="S1", start_date="2025-01-01", end_date="2025-06-30")],
                 [f"associations.csv:1 column association_id: association 'A1' with no recorded_at, known from its "
                  f"start_date 2025-01-01, has other content at associations.csv:6 (partner_id, end_date); keep the "
                  f"right row, or give the later version a later recorded_at{FIX}",
                  f"associations.csv:6 column association_id: association 'A1' with no recorded_at, known from its "
                  f"start_date 2025-01-01, has other content at associations.csv:1 (partner_id, end_date); keep the "
                  f"right row, or give the later version a later recorded_at{FIX}"],
                 id="Without recorded_at, two versions of one association known from the same start date with other "
                    "content are both rejected"),
    pytest.param([set_cell("associations", 3, "end_date", "2025-02-01")],
                 [f"associations.csv:3 column end_date: '2025-02-01' is before start_date '2025-03-01'{FIX}"],
                 id="An association that ends before it starts is rejected"),
    pytest.param([set_cell("certifications", 3, "expires_on", "2024-01-01")],
                 [f"certifications.csv:3 column expires_on: '2024-01-01' is before earned_on '2024-11-20'{FIX}"],
                 id="A certification that expires before it was earned is rejected"),
    pytest.param([add_row("partners", partner_id="P9", name="  ")],
                 [f"partners.csv:4 column name: is empty but required{FIX}"],
                 id="A blank required cell is rejected"),
    pytest.param([add_row("partners", partner_id="P1", name="Contoso again")],
                 [f"partners.csv:4 column partner_id: 'P1' already appears at row 1{FIX}"],
                 id="A partner id repeated in one file is rejected"),
    pytest.param([add_row("usage", month="2025-01", tenant_id="T2", subscription_id="S2",
                          workload="exchange  online", paid_units="1")],
                 [f"usage.csv:6 column workload: month 2025-01, subscription 'S2', workload 'exchange online' "
                  f"already appears at row 4{FIX}"],
                 id="Two usage rows for the same month, subscription and workload (any spelling) are rejected"),
    pytest.param([set_cell("usage", 4, "tenant_id", "T1")],
                 [f"usage.csv:4 column tenant_id: 'T1' is not the tenant of subscription 'S2' ('T2'){FIX}"],
                 id="Usage whose tenant is not its subscription's tenant is rejected"),
    pytest.param([set_cell("usage", 4, "paid_units", "-5"), set_cell("usage", 4, "active_units", "1.5")],
                 [f"usage.csv:4 column paid_units: '-5' is not a whole number of 0 or more{FIX}",
                  f"usage.csv:4 column active_units: '1.5' is not a whole number of 0 or more{FIX}"],
                 id="Negative or fractional unit counts are rejected, one line per cell"),
    pytest.param([set_cell("usage", 1, "acr_usd", "-1200.50")],
                 [f"usage.csv:1 column acr_usd: '-1200.50' is negative; an amount of US dollars is 0 or more{FIX}"],
                 id="A negative ACR is rejected at its cell"),
    pytest.param([set_cell("usage", 5, "revenue_usd", "-4999.99")],
                 [f"usage.csv:5 column revenue_usd: '-4999.99' is negative; an amount of US dollars is 0 or more{FIX}"],
                 id="A negative revenue is rejected at its cell"),
    pytest.param([set_cell("usage", 1, "acr_usd", "NaN"), set_cell("usage", 2, "acr_usd", "-inf"),
                  set_cell("usage", 4, "paid_units", "Infinity")],
                 [f"usage.csv:1 column acr_usd: 'NaN' is not a finite number{FIX}",
                  f"usage.csv:2 column acr_usd: '-inf' is not a finite number{FIX}",
                  f"usage.csv:4 column paid_units: 'Infinity' is not a finite number{FIX}"],
                 id="Not-a-number and infinite amounts are rejected as not finite, one line per cell"),
    pytest.param([usage_parquet(acr_usd=[float("nan"), -1.5, 12.5, None, None])],
                 [f"usage.parquet:1 column acr_usd: 'nan' is not a finite number{FIX}",
                  f"usage.parquet:2 column acr_usd: '-1.5' is negative; an amount of US dollars is 0 or more{FIX}"],
                 id="A Parquet float column's NaN and negative amounts are rejected like the CSV's"),
    pytest.param([set_cell("usage", 1, "acr_usd", "1.200,50")],
                 [f"usage.csv:1 column acr_usd: '1.200,50' is not a decimal number of US dollars below "
                  f"9,000,000,000,000{FIX}"],
                 id="Money with a decimal comma is rejected"),
    pytest.param([set_cell("associations", 3, "incentive", "yes")],
                 [f"associations.csv:3 column incentive: 'yes' is not true or false{FIX}"],
                 id="A boolean other than true or false is rejected"),
    pytest.param([add_row("subscriptions", subscription_id="S9", tenant_id="T1", program="csp", cloud="gcp",
                          start_date="2025-01-01")],
                 [f"subscriptions.csv:4 column cloud: 'gcp' is not one of azure, m365, dynamics365, "
                  f"power_platform{FIX}"],
                 id="A cloud outside the contract's list is rejected"),
    pytest.param([set_cell("certifications", 2, "partner_id", "P404")],
                 [f"certifications.csv:2 column partner_id: 'P404' is not in partners.csv or in the store{FIX}"],
                 id="A certification of an unknown partner is rejected"),
    pytest.param([drop_column("usage", "workload")],
                 ["usage.csv:0 column workload: the required column is missing from the header; "
                  "add the column and import again"],
                 id="A file without a required column is rejected as a whole"),
    pytest.param([rename_column("usage", "workload", "Workloads")],
                 ["usage.csv:0 column workload: the required column is missing from the header; the header has "
                  "Workloads: rename it to workload and import again"],
                 id="A required column missing next to a near miss of its name says which column to rename"),
    pytest.param([drop_column("usage", "acr_usd"), drop_column("usage", "paid_units"),
                  drop_column("usage", "active_units"), drop_column("usage", "revenue_usd")],
                 ["usage.csv:0: has none of the measure columns acr_usd, paid_units, active_units, revenue_usd, so "
                  "its rows carry no usage; add the measure columns the file is meant to carry and import again"],
                 id="A usage file without any measure column is rejected as a whole, naming the columns it lacks"),
    pytest.param([remove_file("usage.csv")],
                 [("usage.csv:0: the data set has no usage.csv or usage.parquet, which a first import needs (it "
                   "needs partners, customers, subscriptions, associations and usage); add the file: only a store "
                   "that already holds an import takes a folder of some tables only")],
                 id="A first import without a required file is rejected, saying which tables a first import needs"),
    pytest.param([repeat_column("certifications", "earned_on")],
                 ["certifications.csv:0 column earned_on: the column appears twice in the header; keep one of the "
                  "two columns"],
                 id="A column the header repeats with the same spelling is rejected, not one of the two kept"),
    pytest.param([set_cell("certifications", 2, "certification", "Certifié Azure"),
                  encode("certifications.csv", "latin-1")],
                 ["certifications.csv:0: is not UTF-8: line 3 has the byte 0xe9, as Latin-1 or Windows-1252 text "
                  "would; save the file as UTF-8 (or UTF-16 with a byte-order mark) and import again"],
                 id="A Latin-1 file is refused, naming its first line that is not UTF-8, not guessed at"),
    pytest.param([encode("certifications.csv", "utf-16-le")],
                 ["certifications.csv:0: line 1 holds NUL bytes: the file is UTF-16 without a byte-order mark, or "
                  "not text at all; save the file as UTF-8 (or UTF-16 with a byte-order mark) and import again"],
                 id="A UTF-16 file without its byte-order mark is refused as such, not read as odd UTF-8"),
    pytest.param([lambda folder: (folder / "certifications.csv").write_bytes(b"")],
                 ["certifications.csv:0: is empty: a table's file holds at least its header row; fix the file and "
                  "import again"],
                 id="An empty file is refused as empty"),
    pytest.param([set_cell("certifications", 1, "certification", "x" * (40 << 20))],
                 ["certifications.csv:0: has a line longer than 16 MiB, more than any value of the data contract "
                  "needs; fix the file and import again"],
                 id="A line of 40 MiB is refused as longer than the reader takes, saying so"),
    pytest.param([parquet_copy("usage")],
                 ["usage.csv:0: both usage.csv and usage.parquet are present; keep one of the two files"],
                 id="A table given both as CSV and as Parquet is rejected"),
    pytest.param([add_row("partners", partner_id="P9", name="Tailspin", parent_partner_id="P404")],
                 [f"partners.csv:4 column parent_partner_id: 'P404' is not in partners.csv or in the store{FIX}"],
                 id="A partner whose parent partner is unknown is rejected"),
    pytest.param([add_row("partners", partner_id="P9"), add_row("partners", partner_id="P10", name="Litware",
                                                                parent_partner_id="P9")],
                 [f"partners.csv:4 column name: is empty but required{FIX}",
                  f"partners.csv:5 column parent_partner_id: 'P9' names a rejected row (partners.csv:4){FIX}"],
                 id="A partner whose parent partner is a rejected row says which row"),
    pytest.param([append_text("partners.csv", "P9,Tailspin,services,,surplus\n")],
                 [f"partners.csv:4: has 5 fields where the header has 4{FIX}"],
                 id="A CSV line with more fields than the header is rejected"),
    pytest.param([set_cell("partners", 1, "name", "Contoso\nCloud"), add_row("partners", partner_id="P1", name="x")],
                 [f"partners.csv:4 column partner_id: 'P1' already appears at row 1{FIX}"],
                 id="A quoted cell spanning two lines does not shift the row numbers after it"),
    pytest.param([add_row("partners", partner_id="P2", name="x"), with_bom("partners.csv")],
                 [f"partners.csv:4 column partner_id: 'P2' already appears at row 2{FIX}"],
                 id="A byte-order mark before the header is not part of the first column name"),
    pytest.param([add_row("partners", partner_id="P9", name="Dup", role="lsp"),
                  add_row("partners", partner_id="P9", name="Dup", role="LSP")],
                 [f"partners.csv:5 column partner_id: 'P9' already appears at row 4{FIX}"],
                 id="Enumerations match case-insensitively but a repeated id is still one error"),
]


@pytest.mark.parametrize(("edits", "expected"), CASES)
def test_import_bad_rows_exact_messages(tmp_path: Path, edits, expected) -> None:
    folder = build(tmp_path, *edits)
    with pytest.raises(ImportFailed) as failed:
        import_dataset(folder, tmp_path / "store.duckdb")
    assert [str(bad) for bad in failed.value.bad_rows] == expected


def test_import_unknown_workload_is_a_warning_not_an_error(tmp_path: Path) -> None:
    folder = build(tmp_path, set_cell("usage", 1, "workload", "Quantum Widgets"),
                   set_cell("usage", 2, "workload", "quantum widgets"))
    report = import_dataset(folder, tmp_path / "store.duckdb")
    assert report.status == "ok"
    assert [str(w) for w in report.warnings] == [
        "usage.csv:1 column workload: unknown workload 'Quantum Widgets' (and 1 more row); it counts "
        "toward no area-specific metric; check the spelling against the workload catalogue "
        "(rules/workloads.yaml)"]


IGNORED = "partnerscore does not read this column of {}; its values are not imported"
WARNINGS = [
    pytest.param([rename_column("usage", "revenue_usd", "revenue_usdd")],
                 [f"usage.csv:0 column revenue_usdd: {IGNORED.format('usage.csv')}; did you mean revenue_usd? "
                  "rename the column and import again"],
                 id="A misspelt optional column is a warning naming it, with the column it nearly matches"),
    pytest.param([rename_column("partners", "role", "Notes")],
                 [f"partners.csv:0 column Notes: {IGNORED.format('partners.csv')}; check its name against "
                  "docs/data-contract.md, or leave it out"],
                 id="A column the contract does not know is a warning naming it as written"),
    pytest.param([rename_column("partners", "role", "ROLE"), rename_column("customers", "segment", " Segment ")],
                 [], id="A contract column in another case or with spaces around it is no unknown column"),
    pytest.param([rename_column("partners", "role", "notes"), rename_column("partners", "parent_partner_id", "NOTES")],
                 [f"partners.csv:0 column notes: {IGNORED.format('partners.csv')}; check its name against "
                  "docs/data-contract.md, or leave it out"],
                 id="An unknown column repeated in the header is one warning"),
]


@pytest.mark.parametrize(("edits", "expected"), WARNINGS)
def test_import_unknown_columns_are_warnings(tmp_path: Path, edits, expected) -> None:
    report = import_dataset(build(tmp_path, *edits), tmp_path / "store.duckdb")
    assert (report.status, [str(w) for w in report.warnings]) == ("ok", expected)


def test_an_unreadable_parquet_file_is_named_without_the_folder_it_is_in(tmp_path: Path) -> None:
    folder = build(tmp_path, remove_file("usage.csv"))
    (folder / "usage.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ImportFailed) as failed:
        import_dataset(folder, tmp_path / "store.duckdb")
    message = str(failed.value.bad_rows[0])
    assert message.startswith("usage.parquet:0: cannot be read as Parquet: ")
    assert str(tmp_path) not in message and "'usage.parquet'" in message


def test_bad_row_message_names_file_row_column_and_fix() -> None:
    bad = BadRow("usage.csv", 118, "month", "'2025-13' is not YYYY-MM")
    assert str(bad) == "usage.csv:118 column month: '2025-13' is not YYYY-MM; fix the row or re-run with --skip-bad-rows"


def test_import_failed_message_ends_with_a_summary(tmp_path: Path) -> None:
    folder = build(tmp_path, set_cell("usage", 2, "month", "2025-13"))
    with pytest.raises(ImportFailed) as failed:
        import_dataset(folder, tmp_path / "store.duckdb")
    last = str(failed.value).splitlines()[-1]
    assert last == f"import failed with 1 problem; nothing was imported (quarantine of import {failed.value.import_id})"


def test_check_dataset_lists_problems_without_importing(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db)
    later = build(tmp_path / "later", set_cell("usage", 2, "month", "2025-13"))
    found = check_dataset(later, db)
    assert [str(b) for b in found.rejected] == [f"usage.csv:2 column month: '2025-13' is not YYYY-MM{FIX}"]
    assert check_dataset(build(tmp_path / "clean")).rejected == []
