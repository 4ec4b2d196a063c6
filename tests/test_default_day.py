"""The default day (issue 16 §4): without a day, partnerscore scores the last day of the ledger's latest
month with usage, every header says which day was used and how it was chosen, and a day after the
data's last month warns, naming the months without usage. Through the library, the CLI and the web.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from web_support import FABRIKAM, demo_users

from partnerscore.api import score_db
from partnerscore.cli.app import app
from partnerscore.ingest.importer import import_dataset
from partnerscore.web import create_app

LAST_DAY = date(2026, 10, 31)  # the demo's and the small data set's usage end with 2026-10
ONE_MONTH_MISSING = "no usage reported for 2026-11 (the ledger's usage ends with 2026-10)"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("small") / "small.duckdb"
    import_dataset(Path(__file__).parent / "data" / "small", db)
    return db


@pytest.fixture(scope="module")
def no_usage_db(tmp_path_factory) -> Path:
    """The small data set with its usage table emptied (the header row only)."""
    folder = tmp_path_factory.mktemp("no-usage") / "data"
    shutil.copytree(Path(__file__).parent / "data" / "small", folder)
    (folder / "usage.csv").write_text((folder / "usage.csv").read_text().splitlines()[0] + "\n")
    import_dataset(folder, folder.parent / "empty.duckdb")
    return folder.parent / "empty.duckdb"


# --- the library ---------------------------------------------------------------------------------

LIBRARY = [
    ("Without a day, the demo is scored as of the last day of its last month with usage, not today",
     None, LAST_DAY, "last_usage", []),
    ("A day the caller names is scored and said to be named", "2026-09-30", date(2026, 9, 30), "as_of", []),
    ("A day in the month after the last with usage warns that the month has no usage",
     "2026-12-07", date(2026, 12, 7), "as_of",
     [f"{ONE_MONTH_MISSING}: as of 2026-12-07, usage metrics count that month as zero; score 2026-10-31 or "
      "import the missing usage"]),
    ("A day months after the data names the range of months without usage", "2027-03-31", date(2027, 3, 31), "as_of",
     ["no usage reported for 2026-11 to 2027-03 (5 months) (the ledger's usage ends with 2026-10): as of "
      "2027-03-31, usage metrics count those months as zero; score 2026-10-31 or import the missing usage"]),
    ("A day in the month after the last with usage scores that last month, so it needs no warning",
     "2026-11-15", date(2026, 11, 15), "as_of", []),
]


@pytest.mark.parametrize("name, given, day, source, warnings", LIBRARY, ids=[c[0] for c in LIBRARY])
def test_score_db_day_is_chosen_and_described(demo_db, name, given, day, source, warnings):
    report = score_db(demo_db, given, partners=[FABRIKAM])
    assert (report.as_of, report.day.source, list(report.day.warnings)) == (day, source, warnings)


def test_score_db_on_a_ledger_without_usage_scores_today_with_a_warning(no_usage_db):
    report = score_db(no_usage_db)
    assert (report.as_of, report.day.source) == (date.today(), "today")
    assert report.day.warnings == (f"the ledger holds no usage: as of {date.today()} every usage metric is zero; "
                                   "import usage to score it",)


# --- the command line ----------------------------------------------------------------------------

SCENARIO = "- {action: add_certification, partner_id: P1, person_id: n1, certification: AZ-305, earned_on: 2026-01-01}\n"

#: Each command that scores a day, with the words its header gives that day.
HEADERS = [
    ("score heads its tables with the day", ["score", "-p", "P1"], "PCS {day}\nP1 (Contoso MSP) — PCS as of"),
    ("score --all heads its table with the day", ["score", "--all"], "every partner {day}"),
    ("explain heads the explanation with the day", ["explain", "P1", "infrastructure"],
     "P1 · infrastructure, enterprise path · {day}"),
    ("validate heads the findings with the day", ["validate"], "findings {day}"),
    ("status heads the qualification window with the day", ["status", "P1"], "P1: qualification window status {day}"),
    ("alerts heads the alerts with the day", ["alerts", "P1"], "alerts {day}, 90 days ahead"),
    ("associations heads the inventory with the day", ["associations", "P1", "--replays", "0"],
     "P1 · associations {day}"),
    ("forecast heads the projection with the day", ["forecast", "P1", "--months", "1"], "P1 · forecast {day}"),
    ("plan heads the plan with the day", ["plan", "P1", "infrastructure", "--customers", "1"],
     "P1 · infrastructure · plan {day}"),
    ("whatif heads the before and after with the day", ["whatif", "P1", "{scenario}"], "P1 · what-if {day}"),
]


def _args(args: list[str], tmp_path: Path) -> list[str]:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    return [a.replace("{scenario}", str(scenario)) for a in args]


@pytest.mark.parametrize("name, args, header", HEADERS, ids=[c[0] for c in HEADERS])
def test_cli_header_says_the_default_day_is_the_last_month_with_usage(small_db, tmp_path, name, args, header):
    result = run(*_args(args, tmp_path), "--db", small_db)
    assert result.exit_code == 0, result.output
    assert header.format(day="as of 2026-10-31, the last month with usage") in result.stdout
    assert "warning" not in result.stderr


@pytest.mark.parametrize("name, args, header", HEADERS, ids=[c[0] for c in HEADERS])
def test_cli_day_after_the_data_is_named_in_the_header_and_warned_once(small_db, tmp_path, name, args, header):
    result = run(*_args(args, tmp_path), "--db", small_db, "--as-of", "2026-12-07")
    assert result.exit_code == 0, result.output
    assert header.format(day="as of 2026-12-07 (--as-of)") in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: {ONE_MONTH_MISSING}: as of 2026-12-07")


def test_cli_score_without_as_of_gives_the_demo_its_figures_not_todays_empty_month(demo_db):
    result = run("score", "--db", demo_db, "-p", FABRIKAM, "-f", "json")
    areas = {a["area"]: a for a in __import__("json").loads(result.stdout)["partners"][0]["areas"]}
    assert areas["modern_work"]["points"] == 85.0, "scored as of today, a month without usage, it fell to 10"


def test_cli_score_json_says_how_the_day_was_chosen_beside_the_contract_fields(small_db):
    import json

    doc = json.loads(run("score", "--db", small_db, "-f", "json", "--as-of", "2026-12-07").stdout)
    assert list(doc)[:4] == ["as_of", "as_of_source", "warnings", "rules_version"] and "partners" in doc
    assert doc["as_of_source"] == "as_of" and doc["warnings"][0].startswith(ONE_MONTH_MISSING)


def test_cli_diff_to_a_day_after_the_data_warns(small_db):
    result = run("diff", "P1", "--from", "2026-10-31", "--to", "2026-12-31", "--db", small_db)
    assert result.exit_code == 0, result.output
    assert "warning: no usage reported for 2026-11, 2026-12 (the ledger's usage ends with 2026-10)" in result.stderr


# --- the web -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def web(demo_db):
    """An app over the demo with no server --as-of: a request without a day gets the ledger's default."""
    store, tokens = demo_users()
    with TestClient(create_app(demo_db, store)) as client:
        yield client, tokens.header("viewer")


WEB = [
    ("A request without as_of scores the last day of the last month with usage", "", "2026-10-31", "last_usage", 0),
    ("A request naming a day after the data carries the warning", "?as_of=2026-12-07", "2026-12-07", "as_of", 1),
]


@pytest.mark.parametrize("name, query, day, source, warned", WEB, ids=[c[0] for c in WEB])
def test_web_scores_json_says_how_the_day_was_chosen(web, name, query, day, source, warned):
    client, header = web
    doc = client.get(f"/api/partners/{FABRIKAM}/scores{query}", headers=header).json()
    assert (doc["as_of"], doc["as_of_source"], len(doc["warnings"])) == (day, source, warned)
    if warned:
        assert doc["warnings"][0].startswith(ONE_MONTH_MISSING)
    else:
        assert next(a for a in doc["areas"] if a["area"] == "modern_work")["points"] == 85.0


DOCUMENTS = ["/api/scores", "/api/areas", f"/api/partners/{FABRIKAM}/areas/modern_work",
             f"/api/partners/{FABRIKAM}/areas/modern_work/explain", "/api/associations?limit=1", "/api/findings",
             f"/api/partners/{FABRIKAM}/alerts"]


@pytest.mark.parametrize("url", DOCUMENTS, ids=[f"{u.split('?')[0]} carries the day's source and warnings"
                                                for u in DOCUMENTS])
def test_web_every_dated_document_says_how_the_day_was_chosen(web, url):
    client, header = web
    doc = client.get(url, headers=header).json()
    assert (doc["as_of"], doc["as_of_source"], doc["warnings"]) == ("2026-10-31", "last_usage", [])


def test_web_server_as_of_is_said_to_be_the_servers(demo_db):
    store, tokens = demo_users()
    with TestClient(create_app(demo_db, store, as_of=date(2026, 9, 30))) as client:
        doc = client.get(f"/api/partners/{FABRIKAM}/scores", headers=tokens.header("viewer")).json()
    assert (doc["as_of"], doc["as_of_source"]) == ("2026-09-30", "server")


PAGES = [
    ("The overview without a day says it shows the last month with usage", "", 
     "Scored as of 2026-10-31, the last month with usage", None),
    ("The overview of a day after the data says the day was chosen and shows the warning", "?as_of=2026-12-07",
     "Scored as of 2026-12-07 (chosen)", ONE_MONTH_MISSING),
]


@pytest.mark.parametrize("name, query, note, warning", PAGES, ids=[c[0] for c in PAGES])
def test_web_page_header_says_the_day_and_shows_its_warning(web, name, query, note, warning):
    client, header = web
    page = client.get(f"/partners/{FABRIKAM}{query}", headers=header).text
    assert f'<p class="day-note" id="day-note">{note}</p>' in page
    assert ('class="notice warning day-warning"' in page) == bool(warning)
    if warning:
        assert warning.replace("'", "&#39;") in page
