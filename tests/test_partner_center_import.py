"""Importing Partner Center Insights downloads (`import DIR --from partner-center`).

The sample downloads in `tests/data/partner_center/` follow the published column lists (see
docs/partner-center.md): Contoso's two locations 4650101 (Seattle) and 4650102 (Dublin) under the global
account 4650100, eight customer tenants `…5b01` … `…5b08`, five subscriptions `…6001` … `…6005`.
Every expected value below was worked out by hand from those files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.errors import BadRow, DatasetError, ImportFailed
from partnerscore.ingest.importer import import_dataset
from partnerscore.ingest.quarantine import list_imports

SAMPLES = Path(__file__).parent / "data" / "partner_center"
NOW = dt.datetime(2026, 11, 25, 9, 0)
TABLES = ("partners", "customers", "subscriptions", "associations", "usage", "certifications")
T = {k: f"3f2a8c1e-5b7d-4e21-9a0c-1d2e3f4a5b0{i}" for i, k in enumerate("ABCDEFGH", 1)}
S = {k: f"b1e0a6f2-7c3d-4f8e-9a1b-2c3d4e5f600{i}" for i, k in enumerate(["AZ1", "AZ2", "AZ3", "D365", "O365"], 1)}
NOT_A_PARTNER_ID = "is not a Partner ID (a whole number, such as 4650101)"
NEGATIVE = "is negative; an amount of US dollars is 0 or more"
runner = CliRunner()


def downloads(tmp_path: Path, **cells: str) -> Path:
    """A copy of the sample downloads; `cells` like `OfficeUsage__3__MPNId="x"` overwrite one cell each."""
    folder = tmp_path / "downloads"
    shutil.copytree(SAMPLES, folder)
    for key, value in cells.items():
        name, row, column = key.split("__")
        path = folder / f"{name}.csv"
        with open(path, newline="", encoding="utf-8") as f:
            header, *rows = list(csv.reader(f))
        rows[int(row) - 1][header.index(column)] = value
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows([header, *rows])
    return folder


def drop_column(folder: Path, name: str, column: str) -> None:
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    keep = [i for i, c in enumerate(rows[0]) if c != column]
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([[r[i] for i in keep] for r in rows])


def rename_column(folder: Path, name: str, column: str, new: str) -> None:
    path = folder / f"{name}.csv"
    text = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(text[0].replace(column, new) + "\n" + text[1], encoding="utf-8")


def duplicate_column(folder: Path, name: str, column: str) -> None:
    """Repeat `column` at the end of every line of the download, its copy holding 0."""
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([header + [column], *[r + ["0"] for r in rows]])


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db)) as con:
        return con.sql(sql).fetchall()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every canonical row, in a stable order."""
    with duckdb.connect(str(db)) as con:
        return {t: sorted(con.sql(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    """The sample downloads imported once into a store the read-only tests below share."""
    db = tmp_path_factory.mktemp("pc") / "store.duckdb"
    import_dataset(SAMPLES, db, source="partner-center", now=NOW)
    return db


STORED = [
    pytest.param(
        "SELECT partner_id, name FROM partners ORDER BY 1",
        [("4650101", "Contoso Cloud Services - Seattle"), ("4650102", "Contoso Cloud Services - Dublin"),
         ("4650401", "Northwind Traders")],
        id="Each location Partner ID is a partner, and so is a reseller its indirect provider names"),
    pytest.param(
        "SELECT count(*), count(*) FILTER (segment = 'smb'), count(*) FILTER (segment = 'enterprise') FROM customers",
        [(8, 5, 3)],
        id="Every customer tenant of every download is one customer, its segment mapped"),
    pytest.param(
        f"SELECT name, segment FROM customers WHERE tenant_id = '{T['E']}'", [("Fourth Coffee", "enterprise")],
        id="A Major Commercial customer segment is the enterprise segment"),
    pytest.param(
        "SELECT subscription_id, program, cloud, start_date, end_date FROM subscriptions "
        f"WHERE subscription_id IN ('{S['AZ1']}', '{S['AZ3']}', '{S['D365']}', '{S['O365']}') ORDER BY 1",
        [(S["AZ1"], "EA", "azure", dt.date(2024, 2, 12), None),
         (S["AZ3"], "CSP", "azure", dt.date(2025, 1, 20), None),
         (S["D365"], "EA", "dynamics365", dt.date(2024, 7, 1), dt.date(2027, 6, 30)),
         (S["O365"], "CSP", "m365", dt.date(2025, 9, 1), dt.date(2027, 6, 30))],
        id="The sales channel gives the licensing program and the product the cloud"),
    pytest.param(
        "SELECT tenant_id, program, start_date FROM subscriptions WHERE subscription_id LIKE '%:m365' ORDER BY 1",
        [(T["A"], "EA", dt.date(2025, 10, 1)), (T["B"], "CSP", dt.date(2026, 10, 1)),
         (T["C"], "EA", dt.date(2026, 9, 1)), (T["D"], "EA", dt.date(2025, 10, 1))],
        id="Office usage goes to one subscription per tenant, a CSP one where a CSP partner is attributed"),
    pytest.param(
        "SELECT partner_id, type, right(tenant_id, 2), right(subscription_id, 4), workload FROM associations "
        "ORDER BY 1, 2, 3, 4, 5",
        [("4650101", "CPOR_OSU", "01", "m365", "Exchange Online"), ("4650101", "CPOR_OSU", "01", "m365", "Teams"),
         ("4650101", "CPOR_OSU", "03", "m365", "SharePoint Online"),
         ("4650101", "CPOR_OSU", "04", "m365", "Exchange Online"),
         ("4650101", "CPOR_OSU", "07", "6004", "Dynamics 365 Sales"),
         ("4650101", "CPOR_REVREC", "07", "6004", None),
         ("4650101", "CSP_DIRECT", "02", "6005", None), ("4650101", "CSP_DIRECT", "02", "m365", None),
         ("4650101", "DPOR", "05", "6001", None), ("4650101", "PAL", "06", "6002", None),
         ("4650102", "CPOR_OSU", "01", "m365", "Exchange Online"),
         ("4650102", "CPOR_OSU", "04", "m365", "Exchange Online"),
         ("4650102", "PAL", "05", "6001", None), ("4650401", "CSP_INDIRECT", "08", "6003", None)],
        id="Each partner attribution type is an association of that type on its tenant, subscription and workload"),
    pytest.param(
        "SELECT partner_id, right(tenant_id, 2), start_date, end_date FROM associations "
        "WHERE end_date IS NOT NULL ORDER BY 1",
        [("4650101", "03", dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
         ("4650102", "04", dt.date(2025, 10, 1), dt.date(2025, 10, 31))],
        id="An attribution that stops before the download's last month ends with the last month it appears in"),
    pytest.param(
        "SELECT partner_id, indirect_provider_id, start_date FROM associations WHERE type = 'CSP_INDIRECT'",
        [("4650401", "4650102", dt.date(2025, 10, 1))],
        id="A CSP Tier 1 row naming a reseller is that reseller's indirect association through the provider"),
    pytest.param(
        f"SELECT month, workload_key, acr_micros FROM usage WHERE subscription_id = '{S['AZ1']}' ORDER BY 1, 2",
        [(dt.date(2025, 10, 1), "virtual machines", 900_000_000), (dt.date(2026, 9, 1), "virtual machines", 1_400_000_000),
         (dt.date(2026, 10, 1), "storage", 230_500_000), (dt.date(2026, 10, 1), "virtual machines", 1_500_000_000)],
        id="Azure consumed revenue is stored per month, subscription and meter category"),
    pytest.param(
        f"SELECT month, workload_key, paid_units, active_units FROM usage WHERE tenant_id = '{T['A']}' ORDER BY 1, 2",
        [(dt.date(2025, 10, 1), "exchange online", 40, 20), (dt.date(2026, 9, 1), "exchange online", 48, 28),
         (dt.date(2026, 10, 1), "exchange online", 50, 30), (dt.date(2026, 10, 1), "teams", 50, 44)],
        id="Paid available units and monthly active users are stored per month, tenant and workload"),
    pytest.param(
        f"SELECT month, workload_key, paid_units, active_units, revenue_micros FROM usage "
        f"WHERE subscription_id = '{S['D365']}' ORDER BY 1",
        [(dt.date(2025, 10, 1), "sales", 36, 30, 5_500_000_000), (dt.date(2026, 10, 1), "sales", 40, 35, 6_000_000_000)],
        id="Dynamics seats and the billed revenue of the same month and subscription make one usage row"),
    pytest.param(
        "SELECT partner_id, right(person_id, 2), cert_key, earned_on FROM certifications ORDER BY 1, 2, 3",
        [("4650101", "01", "teams administrator associate", dt.date(2026, 3, 10)),
         ("4650101", "02", "identity and access administrator associate", dt.date(2025, 11, 20)),
         ("4650102", "04", "azure administrator associate", dt.date(2026, 5, 5)),
         ("4650102", "04", "azure solutions architect expert", dt.date(2026, 8, 14))],
        id="Completed certifications are certifications of their partner, exams are not"),
]


@pytest.mark.parametrize(("sql", "expected"), STORED)
def test_partner_center_samples_import_as_the_hand_checked_rows(imported: Path, sql: str, expected) -> None:
    assert query(imported, sql) == expected


DUPLICATES = [
    pytest.param(f"SELECT acr_micros FROM usage WHERE subscription_id = '{S['AZ1']}' AND month = '2026-10-01' "
                 "AND workload_key = 'virtual machines'", [(1_500_000_000,)],
                 id="ACR repeated for a second location under the global ID is counted once"),
    pytest.param(f"SELECT paid_units, active_units FROM usage WHERE tenant_id = '{T['A']}' AND month = '2026-10-01' "
                 "AND workload_key = 'exchange online'", [(50, 30)],
                 id="Paid units and active users repeated for a second location are counted once"),
    pytest.param(f"SELECT sum(acr_micros) FROM usage WHERE subscription_id = '{S['AZ1']}' AND month = '2026-10-01'",
                 [(1_730_500_000,)], id="The subscription's month totals its own MonthlySubscriptionLevelACR"),
    pytest.param(f"SELECT partner_id, type FROM associations WHERE subscription_id = '{S['AZ1']}' ORDER BY 1",
                 [("4650101", "DPOR"), ("4650102", "PAL")],
                 id="The second location keeps its own attribution of the duplicated row"),
]


@pytest.mark.parametrize(("sql", "expected"), DUPLICATES)
def test_rows_duplicated_for_several_locations_do_not_double_count(imported: Path, sql: str, expected) -> None:
    assert query(imported, sql) == expected


def test_partner_center_import_reports_its_downloads_and_rows(tmp_path: Path) -> None:
    report = import_dataset(SAMPLES, tmp_path / "s.duckdb", source="partner-center", now=NOW)
    assert (report.status, report.rejected, report.warnings) == ("ok", [], [])
    assert report.files == ["AzureUsage.csv", "CustomersAndTenants.csv", "DynamicsUsage.csv", "OfficeUsage.csv",
                            "SeatsSubscriptionsAndRevenue.csv", "TrainingCompletions.csv"]
    assert report.rows_added == {"partners": 3, "customers": 8, "subscriptions": 9, "associations": 14,
                                 "usage": 20, "certifications": 4}


def test_importing_the_same_downloads_twice_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    import_dataset(SAMPLES, db, source="partner-center", now=NOW)
    before = snapshot(db)
    again = import_dataset(SAMPLES, db, source="partner-center", now=NOW + dt.timedelta(days=1))
    assert again.rows_added == dict.fromkeys(TABLES, 0)
    assert snapshot(db) == before
    assert [r.status for r in list_imports(db)] == ["ok", "ok"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"], ids=[
    "A download saved as UTF-16 with its byte-order mark imports as the UTF-8 sample",
    "A download saved as UTF-8 with a byte-order mark imports as the sample"])
def test_a_download_in_another_encoding_imports_as_the_sample(tmp_path: Path, encoding: str) -> None:
    folder = downloads(tmp_path)
    for path in folder.glob("*.csv"):
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    import_dataset(SAMPLES, tmp_path / "sample.duckdb", source="partner-center", now=NOW)
    report = import_dataset(folder, tmp_path / "s.duckdb", source="partner-center", now=NOW)
    assert (report.status, report.rejected) == ("ok", [])
    ledger = "SELECT * EXCLUDE (import_id) FROM associations ORDER BY version_seq"
    assert query(tmp_path / "s.duckdb", ledger) == query(tmp_path / "sample.duckdb", ledger)
    assert {t: r for t, r in snapshot(tmp_path / "s.duckdb").items() if t != "associations"} == \
        {t: r for t, r in snapshot(tmp_path / "sample.duckdb").items() if t != "associations"}


def test_the_imported_partner_is_scored_with_the_hand_checked_points(imported: Path) -> None:
    result = runner.invoke(app, ["score", "--db", str(imported), "--as-of", "2026-10-31", "-p", "4650101",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    areas = {a["area"]: a for a in json.loads(result.stdout)["partners"][0]["areas"]}
    mw = {m["metric"]: (m["value"], m["points"]) for m in areas["modern_work"]["metrics"]}
    assert areas["modern_work"]["track"] == "smb"
    # SMB-eligible covered tenants: …5b01 and …5b02 in 2026-10 against …5b01 in 2025-10: 1 x 2 points.
    assert mw["net_customer_adds"] == (1, 2.0)
    # Teams Administrator and Identity and Access Administrator: 2 people, full 10 points.
    assert mw["intermediate_certifications"] == (2, 10.0)
    # CPOR_OSU on …5b01: 30 Exchange + 44 Teams active users against 20 a year earlier = 54 x 30/500.
    assert mw["usage_growth"] == (54, 3.24)
    data_ai = {m["metric"]: (m["value"], m["points"]) for m in areas["data_ai"]["metrics"]}
    # DPOR on …6001: 1,730.50 ACR in 2026-10 against 900.00 in 2025-10 = 92.28% growth, capped at 20.
    assert data_ai["usage_growth"] == (92.28, 20.0)


BAD_FILES = [
    pytest.param(
        lambda folder: (folder / "Mystery.csv").write_text("Region,Quarter,Bookings\nEMEA,Q1,12\n"),
        [("Mystery.csv: its columns match no Partner Center download partnerscore knows; the known downloads "
         "and the columns each needs are:\n"
         "  CustomersAndTenants: MpnId, PartnerName, CustomerName, CustomerTenantId, CustomerTenantName, Month\n"
         "  SeatsSubscriptionsAndRevenue: MpnId, PartnerName, SubscriptionId, SubscriptionStartDate, month, "
         "CustomerName, CustomerTenantId, ReportingProductName, Product, PartnerAttributionType, SalesChannel, "
         "IsDuplicateRowForPGA, BilledRevenueUSD\n"
         "  AzureUsage: SubscriptionId, SubscriptionStartDate, Month, MeterCategory, CustomerName, CustomerTenantId, "
         "MpnId, PartnerName, PartnerAttributionType, SalesChannel, IsACRDuplicateAtPGALevel, TotalACR\n"
         "  OfficeUsage: CustomerTenantId, WorkloadName, Month, PaidAvailableUnits, MonthlyActiveUsers, CustomerName, "
         "MPNId, PartnerName, PartnerAttributionType, IsDuplicateRowForPGA\n"
         "  DynamicsUsage: SubscriptionId, SubscriptionStartDate, Month, RevSumCategoryName, SalesModel, CustomerName, "
         "CustomerTenantId, MPNId, PartnerName, PartnerAttachType, AvailableSeats, ActiveSeats\n"
         "  TrainingCompletions: TrainingActivityId, TrainingTitle, TrainingType, AADUserId, TrainingCompletionDate, "
         "MPNId, PartnerName\nnothing was imported")],
        id="A file whose columns match no known download is refused, listing every download and its columns"),
    pytest.param(
        lambda folder: drop_column(folder, "OfficeUsage", "PartnerAttributionType"),
        [("OfficeUsage.csv: looks like the OfficeUsage download but lacks the column(s) PartnerAttributionType; "
         "download the report again with all its columns\nnothing was imported")],
        id="A download without one of its columns is refused, naming the column"),
    pytest.param(
        lambda folder: (folder / "AzureUsage_2026-10.csv").write_text("SubscriptionId,Month,TotalACR\nx,2026-10-01,1\n"),
        [("AzureUsage_2026-10.csv: looks like the AzureUsage download but lacks the column(s) SubscriptionStartDate, "
         "MeterCategory, CustomerName, CustomerTenantId, MpnId, PartnerName, PartnerAttributionType, SalesChannel, "
         "IsACRDuplicateAtPGALevel; download the report again with all its columns")],
        id="A file named after a download is read as that download, and its missing columns are named"),
    pytest.param(
        lambda folder: drop_column(folder, "AzureUsage", "TotalACR"),
        ["AzureUsage.csv: looks like the AzureUsage download but lacks the column(s) TotalACR; download the report "
         "again with all its columns\nnothing was imported"],
        id="An Azure usage download without its ACR column is refused, naming the file and the column"),
    pytest.param(
        lambda folder: drop_column(folder, "SeatsSubscriptionsAndRevenue", "BilledRevenueUSD"),
        ["SeatsSubscriptionsAndRevenue.csv: looks like the SeatsSubscriptionsAndRevenue download but lacks the "
         "column(s) BilledRevenueUSD; download the report again with all its columns"],
        id="A seats and revenue download without its billed revenue column is refused, naming the column"),
    pytest.param(
        lambda folder: rename_column(folder, "AzureUsage", "TotalACR", "Total ACR"),
        ["AzureUsage.csv: looks like the AzureUsage download but lacks the column(s) TotalACR (the file has "
         "Total ACR: misspelt?); download the report again with all its columns"],
        id="A download column missing next to a near miss of its name names that near miss"),
    pytest.param(
        lambda folder: duplicate_column(folder, "AzureUsage", "TotalACR"),
        ["AzureUsage.csv:0 column TotalACR: the column appears twice in the header; keep one of the two columns"],
        id="A download whose header repeats a column it reads is refused, naming the column"),
]


def test_a_reimport_without_the_acr_column_keeps_the_stored_acr(tmp_path: Path) -> None:
    """The download that would have overwritten every stored ACR with nothing is refused before the store opens."""
    db = tmp_path / "s.duckdb"
    import_dataset(SAMPLES, db, source="partner-center", now=NOW)
    before = snapshot(db)
    folder = downloads(tmp_path)
    drop_column(folder, "AzureUsage", "TotalACR")
    with pytest.raises(DatasetError, match="lacks the column"):
        import_dataset(folder, db, source="partner-center", now=NOW)
    assert snapshot(db) == before
    assert query(db, "SELECT count(*) FROM usage WHERE acr_micros > 0") == [(9,)]


ONE_DOWNLOAD = [
    pytest.param("DynamicsUsage", f"SELECT month, paid_units, active_units, revenue_micros FROM usage "
                 f"WHERE subscription_id = '{S['D365']}' ORDER BY 1",
                 id="Dynamics seats downloaded alone keep the billed revenue the seats report brought"),
    pytest.param("SeatsSubscriptionsAndRevenue", f"SELECT month, paid_units, active_units, revenue_micros FROM usage "
                 f"WHERE subscription_id = '{S['D365']}' ORDER BY 1",
                 id="The seats and revenue report downloaded alone keeps the Dynamics seats and active users"),
    pytest.param("AzureUsage", "SELECT count(*), sum(acr_micros) FROM usage", id="Azure usage downloaded alone "
                 "changes nothing it does not carry"),
]


@pytest.mark.parametrize(("download", "sql"), ONE_DOWNLOAD)
def test_a_download_imported_alone_keeps_the_measures_other_downloads_brought(tmp_path: Path, download: str,
                                                                              sql: str) -> None:
    db = tmp_path / "s.duckdb"
    import_dataset(SAMPLES, db, source="partner-center", now=NOW)
    before = query(db, sql)
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(SAMPLES / f"{download}.csv", alone)
    report = import_dataset(alone, db, source="partner-center", now=NOW)
    assert (report.status, report.rows_changed["usage"]) == ("ok", 0)
    assert query(db, sql) == before


@pytest.mark.parametrize(("spoil", "fragments"), BAD_FILES)
def test_a_file_that_is_no_complete_download_stops_the_import_and_writes_nothing(tmp_path: Path, spoil, fragments):
    folder = downloads(tmp_path)
    spoil(folder)
    db = tmp_path / "s.duckdb"
    with pytest.raises(DatasetError) as caught:
        import_dataset(folder, db, source="partner-center")
    for fragment in fragments:
        assert fragment in str(caught.value)
    assert not db.exists()


BAD_ROWS = [
    pytest.param({"OfficeUsage__3__MPNId": "4650101.0"},
                 [BadRow("OfficeUsage.csv", 3, "MPNId", f"'4650101.0' {NOT_A_PARTNER_ID}")],
                 id="A Partner ID that is not a whole number is named by download, row and column"),
    pytest.param({"AzureUsage__9__ResellerID": "NW-4650401"},
                 [BadRow("AzureUsage.csv", 9, "ResellerID", f"'NW-4650401' {NOT_A_PARTNER_ID}")],
                 id="A reseller's Partner ID is checked like any Partner ID"),
    pytest.param({"TrainingCompletions__2__MPNId": ""},
                 [BadRow("TrainingCompletions.csv", 2, "MPNId", "is empty but required")],
                 id="An empty Partner ID is named by download, row and column"),
    pytest.param({"AzureUsage__7__PartnerAttributionType": "Reseller of Record"},
                 [BadRow("AzureUsage.csv", 7, "PartnerAttributionType",
                         "'Reseller of Record' is not a partner attribution type partnerscore knows (it reads those "
                         "of CPOR_OSA, CPOR_OSU, CPOR_REVREC, CSP_DIRECT, CSP_INDIRECT, DPOR, PAL, TPOR; "
                         "see docs/partner-center.md)")],
                 id="An unknown partner attribution type is named by download, row and column"),
    pytest.param({"OfficeUsage__2__Month": "Sept 2026"},
                 [BadRow("OfficeUsage.csv", 2, "Month", "'Sept 2026' is not YYYY-MM")],
                 id="A month that is no date fails the contract's check at the download's row and Month column"),
    pytest.param({"AzureUsage__5__IsACRDuplicateAtPGALevel": "0", "AzureUsage__5__TotalACR": "1499.00"},
                 [BadRow("AzureUsage.csv", 5, "MeterCategory",
                         f"month 2026-10, subscription '{S['AZ1']}', workload 'virtual machines' "
                         "already appears at row 3")],
                 id="Two different facts for one month, subscription and meter category are a conflict at the later row"),
    pytest.param({"AzureUsage__1__TotalACR": "-900.00"},
                 [BadRow("AzureUsage.csv", 1, "TotalACR", f"'-900.00' {NEGATIVE}")],
                 id="A negative ACR is named by download, row and column"),
    pytest.param({"AzureUsage__2__TotalACR": "NaN"},
                 [BadRow("AzureUsage.csv", 2, "TotalACR", "'NaN' is not a finite number")],
                 id="An ACR that is not a number is named as not finite"),
    pytest.param({"SeatsSubscriptionsAndRevenue__1__BilledRevenueUSD": "-5500.00"},
                 [BadRow("SeatsSubscriptionsAndRevenue.csv", 1, "BilledRevenueUSD", f"'-5500.00' {NEGATIVE}")],
                 id="A negative billed revenue is named at its own download, though its row merges with "
                    "DynamicsUsage's seats"),
    pytest.param({"SeatsSubscriptionsAndRevenue__2__BilledRevenueUSD": "6,000.00"},
                 [BadRow("SeatsSubscriptionsAndRevenue.csv", 2, "BilledRevenueUSD",
                         "'6,000.00' is not a decimal number of US dollars below 9,000,000,000,000")],
                 id="A billed revenue that is no number is named at its own download, not at the seats row "
                    "it merges with"),
    pytest.param({"OfficeUsage__1__MonthlyActiveUsers": "-20"},
                 [BadRow("OfficeUsage.csv", 1, "MonthlyActiveUsers", "'-20' is not a whole number of 0 or more")],
                 id="A negative count of active users is named by download, row and column"),
    pytest.param({"SeatsSubscriptionsAndRevenue__3__BilledRevenueUSD": "-2760.00"},
                 [], id="A negative revenue on a row the import does not read (Office 365 seats) is no error"),
    pytest.param({"SeatsSubscriptionsAndRevenue__4__SalesChannel": "Marketplace"},
                 [BadRow("SeatsSubscriptionsAndRevenue.csv", 4, "SalesChannel",
                         "'Marketplace' is not one of EA, CSP, WEB_DIRECT, CASA_EES, MCA_E"),
                  BadRow("SeatsSubscriptionsAndRevenue.csv", 3, "SubscriptionId",
                         f"'{S['O365']}' names a rejected row (SeatsSubscriptionsAndRevenue.csv:4)")],
                 id="A sales channel with no licensing program fails at its download row, and so does the "
                    "association on that subscription"),
]


@pytest.mark.parametrize(("cells", "expected"), BAD_ROWS)
def test_a_bad_download_row_fails_the_import_naming_the_downloads_row_and_column(tmp_path: Path, cells, expected):
    db = tmp_path / "s.duckdb"
    if not expected:
        assert import_dataset(downloads(tmp_path, **cells), db, source="partner-center").rejected == []
        return
    with pytest.raises(ImportFailed) as caught:
        import_dataset(downloads(tmp_path, **cells), db, source="partner-center")
    assert caught.value.bad_rows == expected
    assert {t: rows for t, rows in snapshot(db).items() if rows} == {}


def test_skipping_bad_rows_quarantines_the_original_download_row_and_imports_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    report = import_dataset(downloads(tmp_path, OfficeUsage__9__MPNId="46501O1"), db, source="partner-center",
                            skip_bad_rows=True)
    assert report.status == "partial"
    assert report.rejected == [BadRow("OfficeUsage.csv", 9, "MPNId", f"'46501O1' {NOT_A_PARTNER_ID}")]
    (file, row, column, raw), = query(db, "SELECT file, row, column_name, raw FROM quarantine")
    assert (file, row, column) == ("OfficeUsage.csv", 9, "MPNId")
    assert json.loads(raw)["mpnid"] == "46501O1" and json.loads(raw)["workloadname"] == "Exchange Online"
    # Row 9 was the only one attributing …5b04 to 4650101: that association and its usage are left out.
    assert query(db, f"SELECT count(*) FROM associations WHERE tenant_id = '{T['D']}' AND partner_id = '4650101'") == [(0,)]
    assert report.rows_added["associations"] == 13


def test_the_import_command_reads_partner_center_downloads_with_from(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["import", str(SAMPLES), "--from", "partner-center", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert ("rows added: partners 3, customers 8, subscriptions 9, associations 14, usage 20, certifications 4"
            in result.stderr)
    bad = runner.invoke(app, ["import", str(downloads(tmp_path, OfficeUsage__3__MPNId="x")), "--from",
                              "partner-center", "--db", str(tmp_path / "t.duckdb")])
    assert bad.exit_code == 1
    assert ("OfficeUsage.csv:3 column MPNId: 'x' is not a Partner ID (a whole number, such as 4650101); "
            "fix the row or re-run with --skip-bad-rows") in bad.stderr


def test_an_unknown_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown source 'excel'; choose one of contract, partner-center"):
        import_dataset(SAMPLES, tmp_path / "s.duckdb", source="excel")
    assert not (tmp_path / "s.duckdb").exists()
