"""The import endpoints: what an upload the contract does not know gives, what an import reports, and the
quarantine read page by page.

Each test gets its own database, imported through the API from the small data set.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from web_support import AS_OF, assert_error, demo_users

from partnerscore.api import score_dataset
from partnerscore.web import create_app


@pytest.fixture
def import_app(tmp_path: Path):
    store, tokens = demo_users()
    db = tmp_path / "imported.duckdb"
    with TestClient(create_app(db, store, as_of=date.fromisoformat(AS_OF))) as c:
        yield c, tokens, db


def upload(folder: Path, *names: str) -> list:
    return [("files", (name, (folder / name).read_bytes(), "text/csv")) for name in names]


def tables(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_imports_post_imports_a_good_dataset_and_scores_it(import_app, small_dataset: Path):
    c, tokens, db = import_app
    response = c.post("/api/imports", headers=tokens.header("admin"),
                      files=upload(small_dataset, *tables(small_dataset)))
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["status"] == "ok" and doc["rows_added"]["partners"] == 2 and doc["rejected"] == []
    scores = c.get(f"/api/scores?as_of={AS_OF}", headers=tokens.header("admin")).json()
    want = score_dataset(small_dataset, AS_OF)
    assert [[a["points"] for a in p["areas"]] for p in scores["data"]] == [
        [a["points"] for a in p["areas"]] for p in want["partners"]]


def test_imports_post_accepts_one_zip_of_the_tables(import_app, small_dataset: Path):
    c, tokens, db = import_app
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in tables(small_dataset):
            archive.write(small_dataset / name, f"small/{name}")
    response = c.post("/api/imports", headers=tokens.header("admin"),
                      files=[("files", ("small.zip", buffer.getvalue(), "application/zip"))])
    assert response.status_code == 201, response.text
    assert response.json()["files"] == ["partners.csv", "customers.csv", "subscriptions.csv", "associations.csv",
                                        "usage.csv", "certifications.csv"]


def test_imports_post_bad_dataset_is_refused_whole_with_every_bad_row(import_app, small_dataset: Path):
    c, tokens, db = import_app
    assert c.post("/api/imports", headers=tokens.header("admin"),
                  files=upload(small_dataset, *tables(small_dataset))).status_code == 201
    before = c.get(f"/api/scores?as_of={AS_OF}", headers=tokens.header("admin")).json()
    usage = (small_dataset / "usage.csv").read_text().splitlines()
    usage[1] = usage[1].replace("2024-01", "2024-13")
    (small_dataset / "usage.csv").write_text("\n".join(usage) + "\n")
    (small_dataset / "partners.csv").write_text("partner_id,name,role\nP1,Contoso MSP,services\nP3,New,services\n")
    response = c.post("/api/imports", headers=tokens.header("admin"),
                      files=upload(small_dataset, *tables(small_dataset)))
    error = assert_error(response, 422, "import_failed")
    assert "nothing was imported" in error["message"]
    bad = {(b["file"], b["row"], b["column"]) for b in error["details"]["bad_rows"]}
    assert ("usage.csv", 1, "month") in bad
    message = next(b["message"] for b in error["details"]["bad_rows"] if b["file"] == "usage.csv")
    assert message.startswith("usage.csv:1 column month: ")
    after = c.get(f"/api/scores?as_of={AS_OF}", headers=tokens.header("admin")).json()
    assert after == before, "a failed import changes no score"
    log = c.get("/api/imports", headers=tokens.header("admin")).json()
    assert [r["status"] for r in log["data"]] == ["ok", "failed"]
    quarantine = c.get(f"/api/imports/{error['details']['import_id']}/quarantine",
                       headers=tokens.header("admin")).json()
    assert quarantine["count"] == len(error["details"]["bad_rows"])


def test_imports_post_file_that_is_no_table_is_unsupported(import_app):
    c, tokens, db = import_app
    assert_error(c.post("/api/imports", headers=tokens.header("admin"),
                        files=[("files", ("notes.txt", b"hello", "text/plain"))]), 415, "unsupported_media_type")
    assert not db.exists(), "nothing was written"


def test_imports_post_without_files_is_invalid(import_app):
    c, tokens, db = import_app
    assert_error(c.post("/api/imports", headers=tokens.header("admin"), data={"skip_bad_rows": "true"}),
                 422, "invalid_request")


def test_imports_post_viewer_forbidden(import_app, small_dataset: Path):
    c, tokens, db = import_app
    assert_error(c.post("/api/imports", headers=tokens.header("viewer"), files=upload(small_dataset, "partners.csv")),
                 403, "forbidden")
    assert not db.exists()



def imports_logged(db: Path) -> int:
    if not db.exists():
        return 0
    with duckdb.connect(str(db)) as con:
        return con.sql("SELECT count(*) FROM imports").fetchall()[0][0]


UNKNOWN_FILES = [
    pytest.param({"orders.csv": "order_id,total\n1,10\n"},
                 "orders.csv is not a table of the data contract (partners, customers, subscriptions, "
                 "associations, usage, certifications); rename it after its table or leave it out",
                 id="A file named after no table of the contract is refused, naming it and the tables"),
    pytest.param({"customer.csv": "tenant_id,name\nT9,Litware\n"},
                 "customer.csv is not a table of the data contract: did you mean customers.csv?",
                 id="A file that nearly names a table is refused with the table it nearly names"),
    pytest.param({"Usage.parquet.csv": "month\n", "notes.parquet": "x"},
                 "Usage.parquet.csv is not a table of the data contract",
                 id="Every unknown file is named, the first in the message"),
]


@pytest.mark.parametrize(("extra", "message"), UNKNOWN_FILES)
def test_imports_post_file_the_contract_does_not_know_is_refused(import_app, small_dataset: Path, extra, message):
    c, tokens, db = import_app
    files = upload(small_dataset, *tables(small_dataset))
    files += [("files", (name, text.encode(), "text/csv")) for name, text in extra.items()]
    error = assert_error(c.post("/api/imports", headers=tokens.header("admin"), files=files), 422, "unknown_file")
    assert error["message"].startswith(message)
    assert [f["file"] for f in error["details"]["files"]] == list(extra)
    assert imports_logged(db) == 0, "nothing is imported, and no import is logged"


def test_imports_post_unreadable_file_names_it_without_a_server_path(import_app, small_dataset: Path):
    c, tokens, db = import_app
    files = upload(small_dataset, *[n for n in tables(small_dataset) if n != "usage.csv"])
    files.append(("files", ("usage.parquet", b"not parquet at all", "application/octet-stream")))
    response = c.post("/api/imports", headers=tokens.header("admin"), files=files)
    error = assert_error(response, 422, "import_failed")
    assert error["details"]["bad_rows"][0]["message"].startswith("usage.parquet:0: cannot be read as Parquet: ")
    assert "partnerscore-upload" not in response.text and "/tmp" not in response.text


def admin_post(c, tokens, folder: Path, **data):
    return c.post("/api/imports", headers=tokens.header("admin"), files=upload(folder, *tables(folder)), data=data)


def double_acr(folder: Path) -> None:
    lines = (folder / "usage.csv").read_text().splitlines()
    cells = [line.split(",") for line in lines[1:]]
    for row in cells:
        row[4] = str(float(row[4]) * 2) if row[4] else ""
    (folder / "usage.csv").write_text("\n".join([lines[0], *(",".join(r) for r in cells)]) + "\n")


def test_imports_post_twice_says_nothing_changed(import_app, small_dataset: Path):
    c, tokens, db = import_app
    assert admin_post(c, tokens, small_dataset).status_code == 201
    again = admin_post(c, tokens, small_dataset).json()
    assert (again["changed_nothing"], set(again["rows_added"].values()), set(again["rows_changed"].values()),
            again["changes"]) == (True, {0}, {0}, {})


def test_imports_post_reports_changed_rows_and_pages_through_them(import_app, small_dataset: Path):
    c, tokens, db = import_app
    admin_post(c, tokens, small_dataset)
    double_acr(small_dataset)
    report = admin_post(c, tokens, small_dataset).json()
    changed = report["rows_changed"]["usage"]
    assert (report["changed_nothing"], report["rows_added"]["usage"], len(report["changes"]["usage"])) == (
        False, 0, 20)
    assert report["changes"]["usage"][0] == {
        "table": "usage", "key": {"month": "2024-01", "subscription_id": "S1", "workload": "Key Vault"},
        "columns": ["acr_usd"], "before": {"acr_usd": "550"}, "after": {"acr_usd": "1100"}}
    url = report["changes_url"]
    page = c.get(f"{url}?table=usage&limit=5&offset=20", headers=tokens.header("admin")).json()
    assert (page["count"], page["limit"], page["offset"], len(page["data"])) == (changed, 5, 20, 5)
    everything = []
    for offset in range(0, changed, 1000):
        everything += c.get(f"{url}?limit=1000&offset={offset}", headers=tokens.header("admin")).json()["data"]
    assert everything[:20] == report["changes"]["usage"] and everything[20:25] == page["data"]
    log = c.get("/api/imports", headers=tokens.header("admin")).json()["data"]
    assert [(r["rows_added"], r["rows_changed"]) for r in log] == [(187, 0), (0, changed)]


def bad_usage(folder: Path, rows: int) -> None:
    """Spoil the month of the first `rows` usage rows (each one rejected), in reverse file order too."""
    lines = (folder / "usage.csv").read_text().splitlines()
    for i in range(1, rows + 1):
        lines[i] = lines[i].replace("2024-", "2024-13-", 1)
    (folder / "usage.csv").write_text("\n".join(lines) + "\n")
    (folder / "partners.csv").write_text("partner_id,name,role\nP1,Contoso MSP,services\nP2,,services\n")


def test_quarantine_get_gives_one_page_by_file_and_row_and_the_count_of_all(import_app, small_dataset: Path):
    c, tokens, db = import_app
    admin_post(c, tokens, small_dataset)
    bad_usage(small_dataset, 30)
    error = assert_error(admin_post(c, tokens, small_dataset), 422, "import_failed")
    url = f"/api/imports/{error['details']['import_id']}/quarantine"
    first = c.get(f"{url}?limit=3", headers=tokens.header("admin")).json()
    assert (first["count"], first["limit"], first["offset"]) == (len(error["details"]["bad_rows"]), 3, 0)
    assert [(b["file"], b["row"]) for b in first["data"]] == [("partners.csv", 2), ("usage.csv", 1), ("usage.csv", 2)]
    later = c.get(f"{url}?limit=2&offset=29", headers=tokens.header("admin")).json()
    assert [(b["file"], b["row"]) for b in later["data"]] == [("usage.csv", 29), ("usage.csv", 30)]
    assert len(c.get(url, headers=tokens.header("admin")).json()["data"]) == 31, "the default page (100) holds all 31"


PAGES = [
    pytest.param("/quarantine?limit=1001", id="A quarantine page larger than 1000 rows is refused"),
    pytest.param("/quarantine?limit=0", id="A quarantine page of no row is refused"),
    pytest.param("/quarantine?offset=-1", id="A negative quarantine offset is refused"),
    pytest.param("/quarantine?offset=12345678901234567890", id="A 20-digit quarantine offset is refused, not a 500"),
    pytest.param("/changes?limit=5000", id="A page of changes larger than 1000 rows is refused"),
    pytest.param("/changes?table=orders", id="Changes of a table the contract does not have are refused"),
]


@pytest.mark.parametrize("query", PAGES)
def test_import_listings_refuse_pages_beyond_their_limits(import_app, small_dataset: Path, query: str):
    c, tokens, db = import_app
    import_id = admin_post(c, tokens, small_dataset).json()["import_id"]
    assert_error(c.get(f"/api/imports/{import_id}{query}", headers=tokens.header("admin")), 422, "invalid_request")


@pytest.mark.parametrize("path", ["quarantine", "changes"], ids=["A viewer may not read the quarantine",
                                                                 "A viewer may not read an import's changes"])
def test_import_listings_viewer_forbidden(import_app, small_dataset: Path, path: str):
    c, tokens, db = import_app
    import_id = admin_post(c, tokens, small_dataset).json()["import_id"]
    assert_error(c.get(f"/api/imports/{import_id}/{path}", headers=tokens.header("viewer")), 403, "forbidden")


def test_import_changes_of_an_unknown_import_not_found(import_app, small_dataset: Path):
    c, tokens, db = import_app
    admin_post(c, tokens, small_dataset)
    assert_error(c.get("/api/imports/nope/changes", headers=tokens.header("admin")), 404, "not_found")


def test_imports_page_shows_rows_changed(import_app, small_dataset: Path):
    c, tokens, db = import_app
    admin_post(c, tokens, small_dataset)
    double_acr(small_dataset)
    admin_post(c, tokens, small_dataset)
    page = c.get("/imports", headers=tokens.header("admin")).text
    assert '<a href="/api/imports/' in page and "/changes\">" in page


def test_imports_page_upload_lists_the_changed_rows(import_app, small_dataset: Path):
    c, tokens, db = import_app
    admin_post(c, tokens, small_dataset)
    double_acr(small_dataset)
    page = c.post("/imports", headers=tokens.header("admin"), files=upload(small_dataset, *tables(small_dataset)))
    assert page.status_code == 201, page.text
    assert "Rows changed: usage " in page.text and 'id="import-changes"' in page.text
    assert "acr_usd: 550 → 1100" in page.text and "more: <a href=" in page.text
