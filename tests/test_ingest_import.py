"""Importing a data set: what is stored, what a re-import or a correction changes, and all-or-nothing.

Each test builds its data set in `tmp_path` from the clean one in `tests/data/ingest/base/`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from partnerscore.errors import BadRow, DatasetError, ImportFailed
from partnerscore.ingest import write
from partnerscore.ingest.importer import import_dataset
from partnerscore.ingest.quarantine import list_changes, list_imports, list_quarantine
from partnerscore.ingest.store import open_store
from partnerscore.ingest.tables import STORED

BASE = Path(__file__).parent / "data" / "ingest" / "base"
NOW = dt.datetime(2026, 1, 15, 9, 30)
CANONICAL = ("partners", "customers", "subscriptions", "associations", "usage", "certifications")
KEY_TABLES = ("tenant_keys", "subscription_keys")
ORDER = {"associations": "version_seq", "usage": "month, subscription_id, workload_key",
         "certifications": "partner_id, person_id, cert_key"}


def build(tmp_path: Path, name: str = "dataset", **cells: str) -> Path:
    """A copy of the base data set; `cells` like `usage__1__acr_usd="9"` overwrite one cell each."""
    folder = tmp_path / name
    shutil.copytree(BASE, folder)
    for key, value in cells.items():
        table, row, column = key.split("__")
        set_cell(folder / f"{table}.csv", int(row), column, value)
    return folder


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    rows[row - 1][header.index(column)] = value
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])


def snapshot(db: Path, tables=CANONICAL) -> dict[str, list[tuple]]:
    """Every row of the canonical tables, in a stable order."""
    with duckdb.connect(str(db)) as con:
        return {t: con.sql(f"SELECT * FROM {t} ORDER BY {ORDER.get(t, 1)}").fetchall() for t in tables}


def one(db: Path, sql: str):
    with duckdb.connect(str(db)) as con:
        return con.sql(sql).fetchall()


STORED_VALUES = [
    pytest.param("SELECT acr_micros FROM usage WHERE workload = 'Virtual Machines' AND month = '2025-01-01'",
                 [(1_200_500_000,)], id="Money is stored as integer micro-dollars"),
    pytest.param("SELECT acr_micros FROM usage WHERE workload = 'Virtual Machines' AND month = '2025-02-01'",
                 [(1,)], id="Half a micro-dollar rounds up"),
    pytest.param("SELECT acr_micros FROM usage WHERE workload = 'SQL Database'",
                 [(12_345_679,)], id="A half micro-dollar in a larger amount rounds up too"),
    pytest.param("SELECT month, workload_key, paid_units, active_units FROM usage WHERE subscription_id = 'S2'",
                 [(dt.date(2025, 1, 1), "exchange online", 250, 180)],
                 id="A month is stored as its first day and a workload under its catalogue key"),
    pytest.param("SELECT revenue_micros FROM usage WHERE subscription_id = 'S3'", [(4_999_990_000,)],
                 id="Revenue is stored as micro-dollars"),
    pytest.param("SELECT cert_key FROM certifications ORDER BY person_id",
                 [("azure administrator associate",), ("az-104",), ("teams administrator associate",)],
                 id="A certification is keyed without its Microsoft Certified prefix"),
    pytest.param("SELECT association_id, version_seq, incentive, poe_status, known_from FROM associations "
                 "ORDER BY version_seq",
                 [("A1", 1, False, "none", dt.date(2025, 1, 1)), ("A2", 2, False, "none", dt.date(2025, 2, 1)),
                  ("A3", 3, True, "approved", dt.date(2025, 3, 10)), ("A4", 4, False, "none", dt.date(2024, 7, 1)),
                  ("A5", 5, False, "none", dt.date(2025, 3, 15))],
                 id="Associations get versions in row order, defaults, and are known from recorded_at or start"),
    pytest.param("SELECT DISTINCT imported_at FROM associations", [(NOW,)],
                 id="Every ledger row carries the import time"),
    pytest.param("SELECT end_date FROM subscriptions WHERE subscription_id = 'S2'", [(dt.date(2027, 6, 30),)],
                 id="Dates are stored as dates"),
]


@pytest.fixture(scope="module")
def clean_store(tmp_path_factory) -> Path:
    """A store holding the clean base data set, shared by the read-only tests below."""
    tmp_path = tmp_path_factory.mktemp("clean")
    import_dataset(build(tmp_path), tmp_path / "store.duckdb", now=NOW)
    return tmp_path / "store.duckdb"


@pytest.mark.parametrize(("sql", "expected"), STORED_VALUES)
def test_import_clean_dataset_stores_canonical_values(clean_store: Path, sql: str, expected) -> None:
    assert one(clean_store, sql) == expected


def test_import_clean_dataset_reports_rows_added(tmp_path: Path) -> None:
    steps = []
    report = import_dataset(build(tmp_path), tmp_path / "store.duckdb", now=NOW,
                            progress=lambda step, done, total: steps.append((step, done, total)))
    assert (report.status, report.rejected, report.warnings) == ("ok", [], [])
    assert report.rows_added == {"partners": 3, "customers": 3, "subscriptions": 3, "associations": 5,
                                 "usage": 5, "certifications": 3}
    assert report.rows_read == report.rows_added
    assert (report.rows_changed, report.changes) == (dict.fromkeys(CANONICAL, 0), {})
    assert steps[-1] == ("write", 6, 6) and ("validate", 6, 6) in steps and ("read", 6, 6) in steps
    assert [(i.import_id, i.status, i.rows_added) for i in list_imports(tmp_path / "store.duckdb")] == [
        (report.import_id, "ok", 22)]


def test_reimport_of_the_same_dataset_changes_nothing(tmp_path: Path) -> None:
    db, folder = tmp_path / "store.duckdb", build(tmp_path)
    import_dataset(folder, db, now=NOW)
    before = snapshot(db, (*CANONICAL, *KEY_TABLES))
    again = import_dataset(folder, db, now=NOW + dt.timedelta(days=1))
    assert set(again.rows_added.values()) == set(again.rows_changed.values()) == {0}
    assert (again.changed_nothing, again.changes) == (True, {})
    assert snapshot(db, (*CANONICAL, *KEY_TABLES)) == before


#: A re-import of the base data set with some cells changed: (cells, rows added, rows changed, the changes
#: listed), counts given for the tables that are not 0.
REIMPORTS = [
    pytest.param({"usage__1__acr_usd": "1300"}, {}, {"usage": 1},
                 ["usage month 2025-01, subscription_id S1, workload Virtual Machines: acr_usd 1200.5 → 1300"],
                 id="A usage fact with another ACR is a changed row, listing the key and the ACR before and after"),
    pytest.param({"usage__4__active_units": "", "usage__4__paid_units": "260"}, {}, {"usage": 1},
                 ["usage month 2025-01, subscription_id S2, workload Exchange: paid_units 250 → 260, "
                  "active_units 180 → (empty)"],
                 id="A measure left empty is a change to empty, listed with the other column that changed"),
    pytest.param({"partners__1__name": "Contoso Renamed", "partners__3__partner_id": "P4"}, {"partners": 1},
                 {"partners": 1}, ["partners partner_id P1: name Contoso Cloud → Contoso Renamed"],
                 id="A renamed partner is a change and a partner the store lacks an addition"),
    pytest.param({"associations__3__end_date": "2025-12-31", "associations__3__recorded_at": "2025-06-01"}, {},
                 {"associations": 1},
                 ["associations association_id A3: end_date 2026-02-28 → 2025-12-31, recorded_at 2025-03-10 → "
                  "2025-06-01"],
                 id="A new version of a stored association is a change against the version stored last"),
    pytest.param({"certifications__3__expires_on": "2027-11-20", "subscriptions__2__end_date": ""}, {},
                 {"subscriptions": 1, "certifications": 1},
                 ["subscriptions subscription_id S2: end_date 2027-06-30 → (empty)",
                  "certifications partner_id P2, person_id carol, certification Microsoft 365 Certified: Teams "
                  "Administrator Associate, earned_on 2024-11-20: expires_on 2025-11-20 → 2027-11-20"],
                 id="Changes are listed table by table, in contract order"),
]


@pytest.mark.parametrize(("cells", "added", "changed", "listed"), REIMPORTS)
def test_reimport_reports_rows_added_apart_from_rows_changed(tmp_path: Path, cells, added, changed, listed) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    report = import_dataset(build(tmp_path, "changed", **cells), db, now=NOW)
    zero = dict.fromkeys(CANONICAL, 0)
    assert (report.rows_added, report.rows_changed) == (zero | added, zero | changed)
    assert [str(c) for rows in report.changes.values() for c in rows] == listed
    assert [str(c) for c in list_changes(db, report.import_id)] == listed
    logged = list_imports(db)[-1]
    assert (logged.rows_added, logged.rows_changed) == (sum(added.values()), sum(changed.values()))
    assert {t: n["changed"] for t, n in logged.counts.items() if n["changed"]} == changed


def test_a_measure_column_the_file_leaves_out_keeps_its_stored_values(tmp_path: Path) -> None:
    """A usage file of ACR and units only does not carry revenue: the stored revenue stays."""
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    folder = build(tmp_path, "no-revenue")
    with open(folder / "usage.csv", newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    keep = [i for i, name in enumerate(header) if name != "revenue_usd"]
    with open(folder / "usage.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([[r[i] for i in keep] for r in [header, *rows]])
    report = import_dataset(folder, db, now=NOW)
    assert report.changed_nothing
    assert one(db, "SELECT revenue_micros FROM usage WHERE subscription_id = 'S3'") == [(4_999_990_000,)]


def test_reimport_with_changed_usage_replaces_the_row(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    import_dataset(build(tmp_path, "changed", usage__1__acr_usd="1300"), db, now=NOW)
    assert one(db, "SELECT count(*), max(acr_micros) FROM usage WHERE workload = 'Virtual Machines'") == [
        (2, 1_300_000_000)]


def test_a_store_whose_usage_has_the_old_primary_key_still_replaces_changed_rows(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with duckdb.connect(str(db)) as con:  # the usage table as stores made before 2026-11-25 have it
        con.execute(f"CREATE TABLE usage ({STORED['usage']}, PRIMARY KEY (month, subscription_id, workload_key))")
    import_dataset(build(tmp_path), db, now=NOW)
    report = import_dataset(build(tmp_path, "changed", usage__1__acr_usd="1300"), db, now=NOW)
    assert (report.rows_added["usage"], report.rows_changed["usage"]) == (0, 1)
    assert one(db, "SELECT count(*), max(acr_micros) FROM usage WHERE workload = 'Virtual Machines'") == [
        (2, 1_300_000_000)]


def test_association_correction_adds_a_version_and_keeps_the_first(tmp_path: Path) -> None:
    db, original = tmp_path / "store.duckdb", build(tmp_path)
    import_dataset(original, db, now=NOW)
    corrected = build(tmp_path, "corrected", associations__3__end_date="2025-12-31",
                      associations__3__recorded_at="2025-06-01")
    report = import_dataset(corrected, db, now=NOW)
    assert (report.rows_added["associations"], report.rows_changed["associations"]) == (0, 1)
    assert one(db, "SELECT version_seq, end_date, known_from FROM associations WHERE association_id = 'A3' "
                   "ORDER BY version_seq") == [(3, dt.date(2026, 2, 28), dt.date(2025, 3, 10)),
                                               (6, dt.date(2025, 12, 31), dt.date(2025, 6, 1))]
    assert import_dataset(original, db, now=NOW).changed_nothing


def test_association_version_with_the_recorded_at_of_a_stored_one_and_other_content_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    first = import_dataset(build(tmp_path), db, now=NOW)
    before = snapshot(db)
    with pytest.raises(ImportFailed) as failed:
        import_dataset(build(tmp_path, "same-day", associations__3__end_date="2025-12-31"), db, now=NOW)
    assert [str(b) for b in failed.value.bad_rows] == [
        f"associations.csv:3 column association_id: association 'A3' recorded on 2025-03-10 is stored with other "
        f"content (end_date) by import {first.import_id}; give the correction a later recorded_at; fix the row or "
        "re-run with --skip-bad-rows"]
    assert snapshot(db) == before


def test_association_without_recorded_at_that_differs_from_the_stored_one_is_a_new_version(tmp_path: Path) -> None:
    """A later download ends an attribution: without recorded_at it is a correction from this import on."""
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    report = import_dataset(build(tmp_path, "ended", associations__1__end_date="2025-06-30"), db, now=NOW)
    assert (report.rows_added["associations"], report.rows_changed["associations"]) == (0, 1)
    assert one(db, "SELECT version_seq, end_date FROM associations WHERE association_id = 'A1' ORDER BY 1") == [
        (1, None), (6, dt.date(2025, 6, 30))]


def test_association_row_repeated_in_a_file_adds_one_version(tmp_path: Path) -> None:
    folder = build(tmp_path)
    with open(folder / "associations.csv", "a", encoding="utf-8") as f:
        f.write("A1,P1,csp_direct,T1,S1,,false,NONE,,,2025-01-01,,,,\n")
    report = import_dataset(folder, tmp_path / "store.duckdb", now=NOW)
    assert report.rows_added["associations"] == 5


def test_failed_import_changes_nothing_but_is_listed_in_the_quarantine(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    before = snapshot(db, (*CANONICAL, *KEY_TABLES))
    bad = build(tmp_path, "bad", usage__1__acr_usd="999", usage__2__month="2025-13", customers__1__tenant_id="T9")
    with pytest.raises(ImportFailed) as failed:
        import_dataset(bad, db, now=NOW)
    expected = [BadRow("usage.csv", 2, "month", "'2025-13' is not YYYY-MM")]
    assert failed.value.bad_rows == expected
    assert snapshot(db, (*CANONICAL, *KEY_TABLES)) == before
    assert list_quarantine(db, failed.value.import_id) == expected
    last = list_imports(db)[-1]
    assert (last.import_id, last.status, last.rows_added, last.rows_rejected) == (
        failed.value.import_id, "failed", 0, 1)
    raw = one(db, "SELECT raw FROM quarantine")[0][0]
    assert json.loads(raw) == {"month": "2025-13", "tenant_id": "T1", "subscription_id": "S1",
                               "workload": "Virtual Machines", "acr_usd": "0.0000005", "paid_units": None,
                               "active_units": None, "revenue_usd": None}


def test_skip_bad_rows_imports_the_good_rows_and_quarantines_the_bad(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    folder = build(tmp_path, usage__2__month="2025-13")
    with open(folder / "partners.csv", "a", encoding="utf-8") as f:
        f.write("P9,Tailspin,services,,surplus\n")
    report = import_dataset(folder, db, skip_bad_rows=True, now=NOW)
    assert report.status == "partial"
    assert (report.rows_read["usage"], report.rows_added["usage"]) == (5, 4)
    assert (report.rows_read["partners"], report.rows_added["partners"]) == (4, 3)
    assert [str(b) for b in list_quarantine(db)] == [
        "partners.csv:4: has 5 fields where the header has 4; fix the row or re-run with --skip-bad-rows",
        "usage.csv:2 column month: '2025-13' is not YYYY-MM; fix the row or re-run with --skip-bad-rows"]
    assert list_imports(db)[-1].rows_rejected == 2


def test_crash_mid_import_leaves_the_store_as_it_was(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    before = snapshot(db, (*CANONICAL, "imports", "quarantine"))

    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(write, "append_versions", crash)  # after partners..subscriptions were upserted
    changed = build(tmp_path, "changed", partners__1__name="Contoso Renamed", customers__1__segment="enterprise")
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_dataset(changed, db, now=NOW)
    assert snapshot(db, (*CANONICAL, "imports", "quarantine")) == before


def _as_parquet(folder: Path) -> Path:
    """The same data set with every table as a typed Parquet file (dates, numbers, booleans)."""
    out = folder.parent / "parquet"
    out.mkdir()
    for path in folder.glob("*.csv"):
        table = pacsv.read_csv(path)  # lets pyarrow infer types, as a Parquet writer would keep them
        if path.stem == "usage":
            months = [dt.date.fromisoformat(m + "-01") for m in table["month"].to_pylist()]
            table = table.set_column(0, "month", pa.array(months, pa.date32()))
        pq.write_table(table, out / f"{path.stem}.parquet")
    return out


def test_csv_and_parquet_give_the_same_stored_tables(tmp_path: Path) -> None:
    folder = build(tmp_path)
    import_dataset(folder, tmp_path / "csv.duckdb", now=NOW)
    report = import_dataset(_as_parquet(folder), tmp_path / "parquet.duckdb", now=NOW)
    assert report.files[0] == "partners.parquet"
    csv_rows, parquet_rows = snapshot(tmp_path / "csv.duckdb"), snapshot(tmp_path / "parquet.duckdb")
    ledger = "SELECT * EXCLUDE (import_id) FROM associations ORDER BY version_seq"  # import ids differ by design
    csv_rows["associations"] = one(tmp_path / "csv.duckdb", ledger)
    parquet_rows["associations"] = one(tmp_path / "parquet.duckdb", ledger)
    assert parquet_rows == csv_rows


def test_a_cell_of_a_few_mebibytes_is_read_whole(tmp_path: Path) -> None:
    notes = "x" * (3 << 20)
    report = import_dataset(build(tmp_path, customers__2__name=notes), tmp_path / "store.duckdb", now=NOW)
    assert (report.status, report.rejected) == ("ok", [])
    assert one(tmp_path / "store.duckdb", "SELECT length(name) FROM customers WHERE tenant_id = 'T2'") == [(3 << 20,)]


ENCODINGS = [
    pytest.param("utf-16", id="A UTF-16 file with its byte-order mark imports as its UTF-8 twin"),
    pytest.param("utf-16-be", id="A big-endian UTF-16 file with its byte-order mark imports as its UTF-8 twin"),
    pytest.param("utf-32", id="A UTF-32 file with its byte-order mark imports as its UTF-8 twin"),
    pytest.param("utf-8-sig", id="A UTF-8 file with a byte-order mark imports as its twin without"),
]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_file_in_an_encoding_its_byte_order_mark_names_is_read_in_it(tmp_path: Path, encoding: str) -> None:
    other = build(tmp_path, "other", customers__1__name="Adatum Müller ✓")
    build(tmp_path, "twin", customers__1__name="Adatum Müller ✓")
    for path in other.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        path.write_bytes((codecs.BOM_UTF16_BE if encoding == "utf-16-be" else b"") + text.encode(encoding))
    report = import_dataset(other, tmp_path / "other.duckdb", now=NOW)
    twin = import_dataset(tmp_path / "twin", tmp_path / "twin.duckdb", now=NOW)
    assert (report.status, report.rejected, report.rows_added) == ("ok", [], twin.rows_added)
    assert snapshot(tmp_path / "other.duckdb") | {"associations": []} == \
        snapshot(tmp_path / "twin.duckdb") | {"associations": []}
    assert one(tmp_path / "other.duckdb", "SELECT name FROM customers WHERE tenant_id = 'T1'") == [("Adatum Müller ✓",)]


def test_headers_match_case_insensitively_in_any_order_and_extra_columns_are_ignored(tmp_path: Path) -> None:
    base = build(tmp_path)
    import_dataset(base, tmp_path / "base.duckdb", now=NOW)
    shuffled = build(tmp_path, "shuffled")
    (shuffled / "partners.csv").unlink()
    (shuffled / "Partners.csv").write_text(
        " Name ,PARTNER_ID,Notes,Role,Parent_Partner_ID\n"
        "Contoso Cloud,P1,vip,direct_bill,\nFabrikam Distribution,P2,,indirect_provider,\n"
        "Northwind Resale,P3,,INDIRECT_RESELLER,P2\n", encoding="utf-8")
    report = import_dataset(shuffled, tmp_path / "shuffled.duckdb", now=NOW)
    assert report.rejected == []
    assert snapshot(tmp_path / "shuffled.duckdb", ("partners",)) == snapshot(tmp_path / "base.duckdb", ("partners",))


def test_enumerations_in_another_case_are_stored_in_the_contract_case(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path, associations__4__type="dpor", subscriptions__1__program="csp",
                         subscriptions__1__cloud="Azure"), db, now=NOW)
    assert one(db, "SELECT type FROM associations WHERE association_id = 'A4'") == [("DPOR",)]
    assert one(db, "SELECT program, cloud FROM subscriptions WHERE subscription_id = 'S1'") == [("CSP", "azure")]


def test_ids_already_in_the_store_satisfy_references(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    later = tmp_path / "later"
    later.mkdir()
    for path in BASE.glob("*.csv"):  # header-only files, then one new month of usage
        (later / path.name).write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with open(later / "usage.csv", "a", encoding="utf-8") as f:
        f.write("2025-03,T1,S1,Virtual Machines,10,,,\n")
    report = import_dataset(later, db, now=NOW)
    assert report.rows_added == dict.fromkeys(CANONICAL, 0) | {"usage": 1}


def test_import_into_an_open_connection_leaves_it_usable(tmp_path: Path) -> None:
    con = open_store(":memory:")
    report = import_dataset(build(tmp_path), con, now=NOW)
    assert con.sql("SELECT count(*) FROM usage").fetchall() == [(report.rows_added["usage"],)]
    assert [b.reason for b in list_quarantine(con)] == []


def test_open_store_twice_keeps_the_data(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    open_store(db).close()
    import_dataset(build(tmp_path), db, now=NOW)
    open_store(db).close()
    assert one(db, "SELECT count(*) FROM partners") == [(3,)]


UNKNOWN_FILES = [
    pytest.param("customer.csv", "customer.csv:0: is not a table of the data contract, so it is not read; did you "
                 "mean customers.csv? rename it and import again", id="A near miss of a table's file name is named"),
    pytest.param("orders.parquet", "orders.parquet:0: is not a table of the data contract, so it is not read; the "
                 "tables are partners, customers, subscriptions, associations, usage, certifications",
                 id="A data file named after no table is named with the tables there are"),
]


@pytest.mark.parametrize(("name", "warning"), UNKNOWN_FILES)
def test_a_data_file_the_contract_does_not_know_is_a_warning(tmp_path: Path, name: str, warning: str) -> None:
    folder = build(tmp_path)
    (folder / name).write_text("tenant_id,name\nT9,Litware\n", encoding="utf-8")
    (folder / "README.txt").write_text("not data", encoding="utf-8")
    report = import_dataset(folder, tmp_path / "store.duckdb", now=NOW)
    assert (report.status, [str(w) for w in report.warnings]) == ("ok", [warning])


def test_import_of_a_path_that_is_not_a_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="is not a folder"):
        import_dataset(tmp_path / "nowhere", tmp_path / "store.duckdb")


#: The account structure alone: a global account G1 over the location P1, and a new reseller P4 of P2,
#: a provider only the store holds (P2 and P3 untouched).
STRUCTURE = ("partner_id,name,role,parent_partner_id\n"
             "G1,Contoso Group,services,\n"
             "P1,Contoso Cloud,direct_bill,G1\n"
             "P4,Litware Resale,indirect_reseller,P2\n")


def partners_only(tmp_path: Path, text: str = STRUCTURE, name: str = "structure") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "partners.csv").write_text(text, encoding="utf-8")
    return folder


def test_a_partners_only_folder_updates_a_store_that_holds_an_import(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    others = snapshot(db, CANONICAL[1:])
    report = import_dataset(partners_only(tmp_path), db, now=NOW)
    assert (report.status, report.tables, report.files) == ("ok", ["partners"], ["partners.csv"])
    assert report.rows_added == dict.fromkeys(CANONICAL, 0) | {"partners": 2}
    assert report.rows_changed == dict.fromkeys(CANONICAL, 0) | {"partners": 1}
    assert one(db, "SELECT partner_id, name, parent_partner_id FROM partners ORDER BY 1") == [
        ("G1", "Contoso Group", None), ("P1", "Contoso Cloud", "G1"),
        ("P2", "Fabrikam Distribution", None), ("P3", "Northwind Resale", "P2"), ("P4", "Litware Resale", "P2")]
    assert snapshot(db, CANONICAL[1:]) == others


def test_a_partners_only_folder_is_refused_as_a_first_import(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    global_and_location = STRUCTURE.split("P4,")[0]  # no reference outside the folder
    with pytest.raises(ImportFailed) as failed:
        import_dataset(partners_only(tmp_path, global_and_location), db, now=NOW)
    assert [(b.file, b.row) for b in failed.value.bad_rows] == [
        ("customers.csv", 0), ("subscriptions.csv", 0), ("associations.csv", 0), ("usage.csv", 0)]
    assert all("which a first import needs" in b.reason for b in failed.value.bad_rows)
    assert snapshot(db) == {table: [] for table in CANONICAL}
    assert [r.status for r in list_imports(db)] == ["failed"]


def test_the_same_partners_only_update_imported_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    import_dataset(partners_only(tmp_path), db, now=NOW)
    before = snapshot(db)
    again = import_dataset(partners_only(tmp_path, name="again"), db, now=NOW)
    assert again.changed_nothing
    assert snapshot(db) == before


def test_a_partners_only_update_naming_an_unknown_parent_changes_nothing_and_is_quarantined(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    before = snapshot(db)
    bad = partners_only(tmp_path, STRUCTURE + "P2,Fabrikam Distribution,indirect_provider,G404\n")
    with pytest.raises(ImportFailed) as failed:
        import_dataset(bad, db, now=NOW)
    assert snapshot(db) == before
    assert list_quarantine(db, failed.value.import_id) == [
        BadRow("partners.csv", 4, "parent_partner_id", "'G404' is not in partners.csv or in the store")]


def keys_of(db: Path) -> dict[str, list[tuple]]:
    return {"tenants": one(db, "SELECT tenant_id, tenant_key FROM tenant_keys ORDER BY tenant_key"),
            "subscriptions": one(db, "SELECT subscription_id, subscription_key FROM subscription_keys "
                                     "ORDER BY subscription_key")}


def test_every_tenant_and_subscription_id_gets_one_integer_key_in_id_order(clean_store: Path) -> None:
    assert keys_of(clean_store) == {"tenants": [("T1", 1), ("T2", 2), ("T3", 3)],
                                    "subscriptions": [("S1", 1), ("S2", 2), ("S3", 3)]}


KEYED_ROWS = [
    pytest.param("customers", "tenant_id", "tenant_key", id="A customer row carries its tenant's key"),
    pytest.param("subscriptions", "tenant_id", "tenant_key", id="A subscription row carries its tenant's key"),
    pytest.param("subscriptions", "subscription_id", "subscription_key", id="A subscription row carries its own key"),
    pytest.param("associations", "tenant_id", "tenant_key", id="An association carries its tenant's key"),
    pytest.param("associations", "subscription_id", "subscription_key",
                 id="An association carries its subscription's key, none when it names no subscription"),
    pytest.param("usage", "tenant_id", "tenant_key", id="A usage row carries its tenant's key"),
    pytest.param("usage", "subscription_id", "subscription_key", id="A usage row carries its subscription's key"),
]


@pytest.mark.parametrize(("table", "id_column", "key_column"), KEYED_ROWS)
def test_stored_rows_carry_the_key_of_each_id(clean_store: Path, table: str, id_column: str, key_column: str) -> None:
    key_table = id_column.replace("_id", "_keys")
    assert one(clean_store, f"""
        SELECT count(*) FROM {table} r LEFT JOIN {key_table} k USING ({id_column})
        WHERE r.{key_column} IS DISTINCT FROM k.{key_column}""") == [(0,)]


def test_a_later_import_keys_only_its_new_ids_and_never_changes_a_given_key(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    before = keys_of(db)
    with open(build(tmp_path, "more") / "customers.csv", "a", encoding="utf-8") as f:
        f.write("T0,Northwind,US,smb\n")
    import_dataset(tmp_path / "more", db, now=NOW)
    after = keys_of(db)
    assert after["tenants"] == [*before["tenants"], ("T0", 4)]
    assert after["subscriptions"] == before["subscriptions"]


def test_a_store_written_before_keys_existed_is_keyed_when_opened(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    import_dataset(build(tmp_path), db, now=NOW)
    keyed = snapshot(db, (*CANONICAL, *KEY_TABLES))
    with duckdb.connect(str(db)) as con:  # as stores made before 2026-11-26 have them
        for table, column in [("customers", "tenant_key"), ("subscriptions", "tenant_key"),
                              ("subscriptions", "subscription_key"), ("associations", "tenant_key"),
                              ("associations", "subscription_key"), ("usage", "tenant_key"),
                              ("usage", "subscription_key")]:
            con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        con.execute("DROP TABLE tenant_keys")
        con.execute("DROP TABLE subscription_keys")
    open_store(db).close()
    assert snapshot(db, (*CANONICAL, *KEY_TABLES)) == keyed


def test_a_store_logged_before_changes_were_counted_gains_the_columns(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    first = import_dataset(build(tmp_path), db, now=NOW)
    with duckdb.connect(str(db)) as con:  # the import log as stores made before 2026-12-07 have it
        con.execute("ALTER TABLE imports DROP COLUMN rows_changed")
        con.execute("ALTER TABLE imports DROP COLUMN counts")
        con.execute("DROP TABLE import_changes")
    second = import_dataset(build(tmp_path, "changed", usage__1__acr_usd="1300"), db, now=NOW)
    assert [(r.import_id, r.rows_added, r.rows_changed, r.counts.get("usage")) for r in list_imports(db)] == [
        (first.import_id, 22, None, None), (second.import_id, 0, 1, {"read": 5, "added": 0, "changed": 1})]
    assert [str(c) for c in list_changes(db, second.import_id)] == [
        "usage month 2025-01, subscription_id S1, workload Virtual Machines: acr_usd 1200.5 → 1300"]
