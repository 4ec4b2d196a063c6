"""Every day a user names lies from the first rule version's effective date to a year after today
(issue 16 §3): outside, a one-line error naming the option and the range, or a 4xx, never a traceback
or a 500. Through the library, the CLI and the web API.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from web_support import FABRIKAM, demo_users

from partnerscore.api import score_db
from partnerscore.cli.app import app
from partnerscore.errors import PartnerscoreError
from partnerscore.ingest.importer import import_dataset
from partnerscore.web import create_app

runner = CliRunner()


def a_year_from_today() -> date:
    today = date.today()
    return today.replace(year=today.year + 1, day=28 if (today.month, today.day) == (2, 29) else today.day)


def outside(day: str) -> str:
    """The reason any day outside the range gets."""
    return (f"{day} is outside the days partnerscore scores, 2022-10-03 (the first rule version) to "
            f"{a_year_from_today()} (a year from today); choose a day in that range")


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("small") / "small.duckdb"
    import_dataset(Path(__file__).parent / "data" / "small", db)
    return db


LIBRARY = [
    ("A day far in the future is refused naming the range, not an overflow of the calendar", "9999-12-31"),
    ("The day after a year from today is refused", None),
    ("A day before the first rule version is refused naming the range", "2022-10-02"),
]


@pytest.mark.parametrize("name, day", LIBRARY, ids=[c[0] for c in LIBRARY])
def test_score_db_refuses_a_day_out_of_range(small_db, name, day):
    day = day or (a_year_from_today() + timedelta(days=1)).isoformat()
    with pytest.raises(PartnerscoreError) as exc:
        score_db(small_db, day)
    assert str(exc.value) == f"as_of {outside(day)}"


def test_score_db_accepts_the_first_rule_day_and_a_year_from_today(small_db):
    assert score_db(small_db, "2022-10-03", partners=["P1"]).as_of == date(2022, 10, 3)
    assert score_db(small_db, a_year_from_today(), partners=["P1"]).as_of == a_year_from_today()


SCENARIO = "- {action: add_certification, partner_id: P1, person_id: n1, certification: AZ-305, earned_on: 2026-01-01}\n"

CLI = [
    ("score --as-of past the range", ["score", "--as-of", "9999-12-31"], "--as-of"),
    ("score --as-of before the first rule version", ["score", "--as-of", "2022-10-02"], "--as-of"),
    ("score --recorded-on past the range", ["score", "--as-of", "2026-10-31", "--recorded-on", "9999-12-31"],
     "--recorded-on"),
    ("explain --as-of past the range", ["explain", "P1", "infrastructure", "--as-of", "9999-12-31"], "--as-of"),
    ("diff --to past the range", ["diff", "P1", "--from", "2026-09-30", "--to", "9999-12-31"], "--to"),
    ("diff --from before the first rule version", ["diff", "P1", "--from", "2022-10-02", "--to", "2026-10-31"],
     "--from"),
    ("plan --by past the range", ["plan", "P1", "infrastructure", "--as-of", "2026-10-31", "--by", "9999-12-31"],
     "--by"),
    ("forecast --as-of past the range", ["forecast", "P1", "--as-of", "9999-12-31"], "--as-of"),
    ("status --anniversary past the range", ["status", "P1", "--as-of", "2026-10-31", "--anniversary", "9999-12-31"],
     "--anniversary"),
    ("associations --at past the range", ["associations", "P1", "--at", "9999-12-31"], "--at"),
    ("whatif --as-of past the range", ["whatif", "P1", "{scenario}", "--as-of", "9999-12-31"], "--as-of"),
]


@pytest.mark.parametrize("name, args, option", CLI, ids=[c[0] for c in CLI])
def test_cli_day_out_of_range_is_one_line_naming_the_option_and_range(small_db, tmp_path, name, args, option):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    day = next(a for a in args if a in ("9999-12-31", "2022-10-02"))
    result = runner.invoke(app, [a.replace("{scenario}", str(scenario)) for a in args] + ["--db", str(small_db)])
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: {option} {outside(day)}\n"


WEB_GET = [
    ("scores as_of", "/api/scores?as_of=9999-12-31", "as_of"),
    ("an area's as_of before the first rule version", f"/api/partners/{FABRIKAM}/areas/modern_work?as_of=2022-10-02",
     "as_of"),
    ("a diff's to", f"/api/partners/{FABRIKAM}/diff?from=2026-09-30&to=9999-12-31", "to"),
    ("a diff's from", f"/api/partners/{FABRIKAM}/diff?from=2022-10-02&to=2026-10-31", "from"),
    ("a diff's recorded_on", f"/api/partners/{FABRIKAM}/diff?to=2026-10-31&recorded_on=9999-12-31", "recorded_on"),
    ("the forecast's as_of", f"/api/partners/{FABRIKAM}/forecast?as_of=9999-12-31", "as_of"),
    ("the overview page's as_of", f"/partners/{FABRIKAM}?as_of=9999-12-31", "as_of"),
]


@pytest.fixture(scope="module")
def web(demo_db):
    store, tokens = demo_users()
    with TestClient(create_app(demo_db, store)) as client:
        yield client, tokens.header("admin")


@pytest.mark.parametrize("name, url, parameter", WEB_GET, ids=[f"{c[0]} out of range is a 422" for c in WEB_GET])
def test_web_query_day_out_of_range_is_a_422_naming_the_parameter(web, name, url, parameter):
    client, header = web
    response = client.get(url, headers=header)
    assert response.status_code == 422, response.text[:300]
    if url.startswith("/api/"):
        error = response.json()["error"]
        day = url.split(f"{parameter}=")[1].split("&")[0]
        assert (error["code"], error["message"]) == ("invalid_request", f"{parameter} {outside(day)}")


WEB_POST = [
    ("a what-if's as_of", f"/api/partners/{FABRIKAM}/whatif",
     {"as_of": "9999-12-31", "changes": [{"action": "move_subscription", "subscription_id": "S", "program": "CSP"}]}),
    ("a plan's as_of", f"/api/partners/{FABRIKAM}/areas/modern_work/plan", {"as_of": "9999-12-31"}),
    ("a plan's by before the first rule version", f"/api/partners/{FABRIKAM}/areas/modern_work/plan",
     {"as_of": "2026-10-31", "by": "2022-10-02"}),
]


@pytest.mark.parametrize("name, url, body", WEB_POST, ids=[f"{c[0]} out of range is a 422" for c in WEB_POST])
def test_web_body_day_out_of_range_is_a_422(web, name, url, body):
    client, header = web
    response = client.post(url, headers=header, json=body)
    assert response.status_code == 422, response.text[:300]
    error = response.json()["error"]
    day = body.get("by") or body["as_of"]
    assert error["code"] == "invalid_request" and outside(day) in error["message"]
