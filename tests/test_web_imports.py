"""The import endpoints: what an upload the contract does not know gives, what an import reports, and the
quarantine read page by page.

Each test gets its own database, imported through the API from the small data set.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from web_support import AS_OF, demo_users

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


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


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
