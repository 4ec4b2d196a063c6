"""The command line, run for real through Typer's test runner on small data sets built in the test."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.rules.schema import AREAS

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    return result


def test_score_on_a_dataset_folder_prints_the_contract_json_with_only_the_day_note_and_partner_name_added(
        small_dataset: Path):
    result = run("score", small_dataset, "--as-of", "2026-10-31", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"as_of", "as_of_source", "warnings", "rules_version", "partners"}
    assert doc["as_of"] == "2026-10-31"
    assert [p["partner_id"] for p in doc["partners"]] == ["P1", "P2"]
    for partner in doc["partners"]:
        assert list(partner) == ["partner_id", "name", "areas"]
        assert [a["area"] for a in partner["areas"]] == list(AREAS)
        for area in partner["areas"]:
            assert set(area) == {"area", "track", "points", "qualified", "metrics"}
            for metric in area["metrics"]:
                assert set(metric) == {"metric", "value", "points", "max_points"}


def test_score_json_holds_the_hand_checked_figures_of_the_small_dataset(small_dataset: Path):
    doc = json.loads(run("score", small_dataset, "--as-of", "2026-10-31", "-f", "json").stdout)
    p1 = {a["area"]: a for a in doc["partners"][0]["areas"]}
    infra = {m["metric"]: m for m in p1["infrastructure"]["metrics"]}
    # ACR of T1 (DPOR) and T2 (PAL): 8,360 in 2026-10 against 6,080 in 2025-10 = 37.5% growth.
    assert infra["usage_growth"] == {"metric": "usage_growth", "value": 37.5, "points": 20.0, "max_points": 20}
    # Storage, Key Vault, SQL Database: 3 services x 2 points.
    assert infra["deployments"]["points"] == 6.0
    # Two Azure Administrators (gate) and two Network Engineers: 2 x 4 points.
    assert infra["intermediate_certifications"]["points"] == 8.0
    assert p1["infrastructure"]["points"] == 34.0 and p1["infrastructure"]["qualified"] is False
    # CPOR_OSU on Exchange Online: 440 - 320 active users x 30/1,000.
    assert {m["metric"]: m["points"] for m in p1["modern_work"]["metrics"]}["usage_growth"] == 3.6


def test_score_csv_has_one_row_per_partner_area_and_metric(small_dataset: Path):
    result = run("score", small_dataset, "--as-of", "2026-10-31", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2 * (4 + 5 + 5 + 5 + 5 + 4)
    assert rows[0].keys() >= {"partner_id", "area", "track", "metric", "value", "points", "qualified"}


def _score_names(fmt: str, stdout: str, parquet: Path) -> dict[str, str | None]:
    """Partner ID -> the name a `score` output gives it, read from the output in format `fmt`."""
    if fmt == "table":
        titles = [line.split(" — PCS")[0] for line in stdout.splitlines() if " — PCS as of " in line]
        return {title.split(" ", 1)[0]: title.split(" ", 1)[1].strip("()") for title in titles}
    if fmt == "json":
        return {p["partner_id"]: p["name"] for p in json.loads(stdout)["partners"]}
    if fmt == "csv":
        return {r["partner_id"]: r["name"] for r in csv.DictReader(io.StringIO(stdout))}
    import pyarrow.parquet as pq

    return {r["partner_id"]: r["name"] for r in pq.read_table(parquet).to_pylist()}


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "parquet"], ids=[
    "Each per-partner score table is headed by the partner's ID and name",
    "The score JSON gives each partner's name next to its ID",
    "The score CSV has a name column next to partner_id",
    "The score Parquet file has a name column next to partner_id"])
def test_every_score_output_names_the_partner(small_dataset: Path, tmp_path: Path, fmt: str):
    parquet = tmp_path / "scores.parquet"
    result = run("score", small_dataset, "--as-of", "2026-10-31", "--parquet", parquet,
                 "--format", "table" if fmt == "parquet" else fmt)
    assert result.exit_code == 0, result.output
    assert _score_names(fmt, result.stdout, parquet) == {"P1": "Contoso MSP", "P2": "Fabrikam CSP"}
    if fmt in ("csv", "parquet"):
        import pyarrow.parquet as pq

        header = next(csv.reader(io.StringIO(result.stdout))) if fmt == "csv" else pq.read_schema(parquet).names
        assert header[1:3] == ["partner_id", "name"]


def test_import_then_score_from_the_database(small_dataset: Path, tmp_path: Path):
    db = tmp_path / "p.duckdb"
    assert run("import", small_dataset, "--db", db).exit_code == 0
    table = run("score", "--db", db, "--as-of", "2026-10-31")
    assert table.exit_code == 0 and "infrastructure" in table.stdout
    again = run("import", small_dataset, "--db", db)
    assert "rows added: partners 0, customers 0, subscriptions 0, associations 0, usage 0" in again.stderr


def test_an_update_of_some_tables_says_which_tables_it_read(small_dataset: Path, tmp_path: Path):
    db = tmp_path / "p.duckdb"
    assert run("import", small_dataset, "--db", db).exit_code == 0
    update = tmp_path / "update"
    update.mkdir()
    (update / "partners.csv").write_text("partner_id,name\nG1,Contoso Group\n")
    result = run("import", update, "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().endswith(
        ": ok; tables read: partners (the others are kept as stored); rows added: partners 1; rows changed: none")


def test_a_bad_row_fails_the_import_with_one_line_naming_file_row_and_column(small_dataset: Path, tmp_path: Path):
    lines = (small_dataset / "associations.csv").read_text().splitlines()
    lines.append("A9,P1,DPOR,T1,S1,,,2024-13-01,")
    (small_dataset / "associations.csv").write_text("\n".join(lines) + "\n")
    db = tmp_path / "p.duckdb"
    result = run("import", small_dataset, "--db", db)
    assert result.exit_code != 0
    assert "associations.csv:5 column start_date" in result.stderr
    listed = json.loads(run("quarantine", "--db", db, "--format", "json").stdout)
    assert [(r["file"], r["row"], r["column"], r["reason"]) for r in listed] == [
        ("associations.csv", 5, "start_date", "'2024-13-01' is not YYYY-MM-DD")]
    log = json.loads(run("imports", "--db", db, "--format", "json").stdout)
    assert [entry["status"] for entry in log] == ["failed"]


def test_validate_lists_a_dpor_takeover_and_an_ineligible_pal_with_reasons(small_dataset: Path):
    with (small_dataset / "associations.csv").open("a") as f:
        f.write("A5,P2,DPOR,T1,S1,,,2025-06-01,\nA6,P1,PAL,T2,S2,,Reader,2024-01-01,\n")
    result = run("validate", small_dataset, "--as-of", "2026-10-31", "--format", "json")
    findings = {(f["association_id"], f["check"]): f["reason"] for f in json.loads(result.stdout)}
    assert "treated as ended 2025-05-31" in findings[("A1", "dpor_overlap")]
    assert "Reader" in findings[("A6", "eligibility")]


def test_explain_names_what_earned_the_points_and_the_verdict(small_dataset: Path, tmp_path: Path):
    db = tmp_path / "p.duckdb"
    run("import", small_dataset, "--db", db)
    result = run("explain", "P1", "infrastructure", "--db", db, "--as-of", "2026-10-31", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["verdict"].startswith("not qualified: 34 points, 36 short of 70")
    deployments = next(m for m in doc["metrics"] if m["metric"] == "deployments")
    assert {f["entity"] for f in deployments["facts"] if f["contribution"] == 1} == {"storage", "key vault", "sql database"}
    statuses = {a["association_id"]: a["status"] for a in doc["associations"]}
    assert statuses["A4"].startswith("does not count here")


@pytest.mark.parametrize("args, message", [
    (("explain", "NOPE", "infrastructure"), "unknown partner 'NOPE'"),
    (("explain", "P1", "azure"), "unknown area 'azure'"),
])
def test_explain_refuses_unknown_partner_or_area_with_a_clear_error(small_dataset, tmp_path, args, message):
    db = tmp_path / "p.duckdb"
    run("import", small_dataset, "--db", db)
    result = run(*args, "--db", db, "--as-of", "2026-10-31")
    assert result.exit_code == 1
    assert message in result.stderr


def test_the_operator_roll_up_sorts_every_partner_and_area_and_exports_parquet(small_dataset: Path, tmp_path: Path):
    import pyarrow.parquet as pq

    out = tmp_path / "all.parquet"
    result = run("score", small_dataset, "--as-of", "2026-10-31", "--all", "--format", "csv", "--parquet", out)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2 * 6
    points = [float(r["points"]) for r in rows]
    assert points == sorted(points, reverse=True) and rows[0]["partner_id"] == "P1"
    assert {r["partner_id"]: r["name"] for r in rows} == {"P1": "Contoso MSP", "P2": "Fabrikam CSP"}
    assert pq.read_table(out).num_rows == 2 * (4 + 5 + 5 + 5 + 5 + 4)


def test_whatif_prints_each_area_and_the_people_behind_the_move(small_dataset: Path, tmp_path: Path):
    db = tmp_path / "p.duckdb"
    assert run("import", small_dataset, "--db", db).exit_code == 0
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("".join(
        f"- {{action: add_certification, partner_id: P1, person_id: {person}, certification: {cert},"
        " earned_on: 2026-01-01}\n"
        for person, cert in [("a1", "AZ-305"), ("a2", "AZ-305"), ("a3", "Azure Virtual Desktop Specialty")]))
    result = run("whatif", "P1", scenario, "--db", db, "--as-of", "2026-10-31")
    assert result.exit_code == 0, result.output
    assert "the stored ledger is unchanged" in result.output
    assert sum(area in result.output for area in AREAS) == 6
    assert "entered person a1" in result.output
    quiet = run("whatif", "P1", scenario, "--db", db, "--as-of", "2026-10-31", "--no-why", "-f", "json")
    assert all(not m["entered"] for a in json.loads(quiet.stdout)["areas"] for m in a["metrics"])


#: The small data set's files in the order the contract reads them.
SMALL_FILES = ["partners.csv", "customers.csv", "subscriptions.csv", "associations.csv", "usage.csv",
               "certifications.csv"]


@pytest.mark.parametrize("fmt, read", [
    ("json", lambda out: json.loads(out)[0]["files"]),
    ("csv", lambda out: next(csv.DictReader(io.StringIO(out)))["files"]),
], ids=["The import log in JSON keeps an import's files a list",
        "The import log in CSV lists an import's files comma-separated"])
def test_the_import_log_lists_the_files_of_an_import(small_dataset: Path, tmp_path: Path, fmt, read):
    db = tmp_path / "p.duckdb"
    assert run("import", small_dataset, "--db", db).exit_code == 0
    files = read(run("imports", "--db", db, "--format", fmt).stdout)
    assert files == (SMALL_FILES if fmt == "json" else ", ".join(SMALL_FILES))


def test_the_import_log_table_shows_every_file_name_whole(small_dataset: Path, tmp_path: Path):
    db = tmp_path / "p.duckdb"
    assert run("import", small_dataset, "--db", db).exit_code == 0
    table = run("imports", "--db", db).stdout
    files_column = [line.split("│")[4].strip() for line in table.splitlines() if line.startswith("│")]
    assert [f for f in files_column if f] == [f"{name}," for name in SMALL_FILES[:-1]] + [SMALL_FILES[-1]]
    assert "['" not in table


@pytest.mark.parametrize("fmt, expected", [
    ("table", ["4650404", "Tailspin Distribution", "modern_work", "smb", "100.00", "yes", "—"]),
    ("csv", ["4650404", "Tailspin Distribution", "modern_work", "smb", "100.0", "True", ""]),
], ids=["The roll-up table reads like score, and names no weakest metric where every metric is at its maximum",
        "The roll-up CSV keeps qualified a boolean and points a number"])
def test_the_roll_up_row_of_an_area_at_its_maximum(demo_db: Path, fmt, expected):
    result = run("score", "--db", demo_db, "--as-of", "2026-10-31", "--all", "--partner", "4650404", "--format", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = [list(r.values()) for r in csv.DictReader(io.StringIO(result.stdout))]
    else:
        rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in result.stdout.splitlines()
                if line.startswith("│")]
    assert expected in rows
