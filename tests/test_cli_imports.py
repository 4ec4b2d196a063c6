"""The `import`, `imports` and `quarantine` commands: what a re-import says it added and changed, the
changed rows listed, and the quarantine read a page at a time.

Each test imports the small data set (`tests/data/small`) into its own database with the real CLI, then
re-imports it with some cells changed.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app

runner = CliRunner()


def run(*args) -> object:
    return runner.invoke(app, [str(a) for a in args])


def set_usage(folder: Path, edit) -> None:
    """Rewrite `usage.csv` of `folder`, each data row passed through `edit(row_number, row)`."""
    with open(folder / "usage.csv", newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    rows = [edit(i, dict(zip(header, row))) for i, row in enumerate(rows, start=1)]
    with open(folder / "usage.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def acr_of_row(number: int, acr: str):
    return lambda i, row: {**row, "acr_usd": acr} if i == number else row


def every_acr_doubled(i: int, row: dict) -> dict:
    return {**row, "acr_usd": str(float(row["acr_usd"]) * 2)} if row["acr_usd"] else row


@pytest.fixture
def imported(small_dataset: Path, tmp_path: Path) -> Path:
    db = tmp_path / "p.duckdb"
    assert run("import", small_dataset, "--db", db).exit_code == 0
    return db


def test_import_twice_says_nothing_changed(small_dataset: Path, imported: Path) -> None:
    again = run("import", small_dataset, "--db", imported)
    assert again.exit_code == 0, again.output
    assert again.stderr.strip().endswith(
        ": ok, nothing changed; rows added: partners 0, customers 0, subscriptions 0, associations 0, usage 0, "
        "certifications 0; rows changed: none")


def test_import_lists_the_rows_it_changed_apart_from_those_it_added(small_dataset: Path, imported: Path) -> None:
    set_usage(small_dataset, acr_of_row(1, "1150"))
    with open(small_dataset / "usage.csv", "a", encoding="utf-8") as f:
        f.write("2026-11,T1,S1,Storage,10,,,\n")
    result = run("import", small_dataset, "--db", imported)
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-2].endswith("; rows added: partners 0, customers 0, subscriptions 0, associations 0, usage 1, "
                              "certifications 0; rows changed: usage 1")
    assert lines[-1] == ("  changed usage month 2024-01, subscription_id S1, workload Storage: "
                         "acr_usd 1100 → 1150")


def test_import_lists_the_first_changed_rows_and_says_how_to_list_them_all(small_dataset: Path,
                                                                           imported: Path) -> None:
    set_usage(small_dataset, every_acr_doubled)
    result = run("import", small_dataset, "--db", imported)
    lines = result.stderr.strip().splitlines()
    changed = [line for line in lines if line.startswith("  changed usage")]
    import_id = lines[0].split()[1].rstrip(":")
    assert len(changed) == 20
    assert lines[-1].startswith("  … and ") and lines[-1].endswith(
        f" more changed usage rows: partnerscore imports --changes {import_id} --table usage lists them all")
    total = int(lines[-1].split()[2]) + 20
    listed = json.loads(run("imports", "--db", imported, "--changes", import_id, "--format", "json").stdout)
    assert len(listed) == total and {c["columns"][0] for c in listed} == {"acr_usd"}
    page = json.loads(run("imports", "--db", imported, "--changes", import_id, "--limit", 5, "--offset", 20,
                          "--format", "json").stdout)
    assert page == listed[20:25]


def test_import_json_report_gives_every_changed_row(small_dataset: Path, imported: Path) -> None:
    set_usage(small_dataset, every_acr_doubled)
    result = run("import", small_dataset, "--db", imported, "--format", "json")
    report = json.loads(result.stdout)
    assert report["rows_changed"]["usage"] == len(report["changes"]["usage"]) > 20
    first = report["changes"]["usage"][0]
    assert (first["key"], first["columns"], first["before"], first["after"]) == (
        {"month": "2024-01", "subscription_id": "S1", "workload": "Key Vault"}, ["acr_usd"],
        {"acr_usd": "550"}, {"acr_usd": "1100"})


def test_imports_log_shows_rows_changed(small_dataset: Path, imported: Path) -> None:
    set_usage(small_dataset, acr_of_row(1, "1150"))
    run("import", small_dataset, "--db", imported)
    log = list(csv.DictReader(io.StringIO(run("imports", "--db", imported, "--format", "csv").stdout)))
    assert [(r["rows_added"], r["rows_changed"]) for r in log] == [("187", "0"), ("0", "1")]
    table = run("imports", "--db", imported).stdout
    assert "1 changed" in table


def test_imports_changes_of_an_unknown_import_is_one_line(imported: Path) -> None:
    result = run("imports", "--db", imported, "--changes", "nope")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: no import nope in {imported}; `partnerscore imports` lists them"


def spoil_months(folder: Path, rows: int) -> None:
    set_usage(folder, lambda i, row: {**row, "month": row["month"].replace("-", "-13-", 1)} if i <= rows else row)


QUARANTINE_PAGES = [
    pytest.param([], list(range(1, 8)), id="Without a limit every rejected row is listed, by file and row"),
    pytest.param(["--limit", 3], [1, 2, 3], id="A limit lists the first rows only"),
    pytest.param(["--limit", 2, "--offset", 4], [5, 6], id="An offset skips the first rows"),
    pytest.param(["--offset", 7], [], id="An offset past the last row lists nothing"),
]


@pytest.mark.parametrize(("page", "rows"), QUARANTINE_PAGES)
def test_quarantine_lists_one_page_of_rejected_rows(small_dataset: Path, imported: Path, page, rows) -> None:
    spoil_months(small_dataset, 7)
    assert run("import", small_dataset, "--db", imported).exit_code == 1
    listed = json.loads(run("quarantine", "--db", imported, "--format", "json", *page).stdout)
    assert [(r["file"], r["row"]) for r in listed] == [("usage.csv", n) for n in rows]


def test_quarantine_of_an_unknown_import_is_one_line(imported: Path) -> None:
    result = run("quarantine", "--db", imported, "--import", "nope")
    assert (result.exit_code, result.stderr.strip()) == (
        1, f"error: no import nope in {imported}; `partnerscore imports` lists them")
