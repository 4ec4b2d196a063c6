"""The limits on how much work one command may ask for (`partnerscore/limits.py`), through the command
line on the demo database: each is one red line naming the option, its range and what to choose."""

from __future__ import annotations

import doctest
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.engine.as_of import last_allowed_day

runner = CliRunner()
CONTOSO = "4650101"
AS_OF = "2026-10-31"

REFUSED = [
    ("forecast --months 0 names the option and its range (a traceback before)",
     ["forecast", CONTOSO, "--months", "0"], "--months 0 is out of range: choose 1 to 12 month ends"),
    ("forecast --months 13 is more month ends than a forecast projects",
     ["forecast", CONTOSO, "--months", "13"], "--months 13 is out of range: choose 1 to 12 month ends"),
    ("alerts --within -5 looks back, not ahead (accepted before)",
     ["alerts", CONTOSO, "--within", "-5"], "--within -5 is out of range: choose 1 to 730 days"),
    ("alerts --within 731 looks further ahead than two years",
     ["alerts", CONTOSO, "--within", "731"], "--within 731 is out of range: choose 1 to 730 days"),
    ("plan --customers 0 considers no customer at all",
     ["plan", CONTOSO, "data_ai", "--customers", "0"], "--customers 0 is out of range: choose 1 to 50 customers"),
    ("plan --customers 51 replays more customers than a plan considers",
     ["plan", CONTOSO, "data_ai", "--customers", "51"], "--customers 51 is out of range: choose 1 to 50 customers"),
    ("plan --by 2035-12-31 aims nine years ahead (13 minutes and 2.1 GB before), past any day scored",
     ["plan", CONTOSO, "data_ai", "--by", "2035-12-31"],
     "--by 2035-12-31 is outside the days partnerscore scores, 2022-10-03 (the first rule version) to "
     f"{last_allowed_day()} (a year from today); choose a day in that range"),
    ("plan --by one day past the qualification window",
     ["plan", CONTOSO, "data_ai", "--by", "2027-05-01", "--keep"],
     "--by 2027-05-01 is more than one qualification window (6 months) after 2026-10-31: "
     "choose a day up to 2027-04-30"),
    ("associations --replays -1 replayed none, silently",
     ["associations", CONTOSO, "--replays", "-1"], "--replays -1 is out of range: choose 0 to 200 replays"),
    ("associations --replays 201 is more replays than a listing makes (--replay-all is the way past it)",
     ["associations", CONTOSO, "--replays", "201"], "--replays 201 is out of range: choose 0 to 200 replays"),
]


@pytest.mark.parametrize("args,message", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_command_beyond_its_limit_is_one_line(demo_db: Path, args, message):
    day = ["--at" if args[0] == "associations" else "--as-of", AS_OF]
    result = runner.invoke(app, [*args, "--db", str(demo_db), *day])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == f"error: {message}"


GENERATE = [
    ("generate --partners 0 makes no partner (a traceback before)", ["--partners", "0"],
     "--partners 0 is out of range: choose 1 to 100,000 partners"),
    ("generate --customers 0 makes no customer", ["--customers", "0"],
     "--customers 0 is out of range: choose 1 to 100,000,000 customers"),
    ("generate --months 11 is less than the year a growth metric compares", ["--months", "11"],
     "--months 11 is out of range: choose 12 to 120 months"),
]


@pytest.mark.parametrize("args,message", [c[1:] for c in GENERATE], ids=[c[0] for c in GENERATE])
def test_generate_beyond_its_limit_is_one_line(tmp_path: Path, args, message):
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == f"error: {message}"
    assert not (tmp_path / "out").exists()


COST_FILES = [
    ("a cost file without `actions:` would price the plan with the packaged costs (silently before)",
     "currency: EUR\n", "costs.yaml: no `actions:`; list the actions to price under `actions:`, "
     "e.g. `actions: {request_dpor: 400}` (partnerscore/decisions/costs.yaml has every key)"),
    ("a cost file whose `actions:` is a list (a traceback before)",
     "actions:\n  - request_dpor\n", "costs.yaml: `actions:` must map each action to its cost, "
     "e.g. `actions: {request_dpor: 400}`"),
    ("a cost file that is a list, not a mapping (a traceback before)",
     "- request_dpor\n", "costs.yaml: a cost file is a mapping with `actions:` (and optionally `currency:`), "
     "e.g. `actions: {request_dpor: 400}`"),
]


@pytest.mark.parametrize("text,message", [c[1:] for c in COST_FILES], ids=[c[0] for c in COST_FILES])
def test_plan_with_a_cost_file_without_actions_is_one_line(demo_db: Path, tmp_path: Path, text, message):
    costs = tmp_path / "costs.yaml"
    costs.write_text(text)
    result = runner.invoke(app, ["plan", CONTOSO, "data_ai", "--db", str(demo_db), "--as-of", AS_OF,
                                 "--costs", str(costs)])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == f"error: {costs.parent}/{message}"


HORIZONS = [
    ("before 2023-09-19 a plan aims at most 30 days ahead", "modern_work", date(2023, 1, 15), date(2023, 2, 14)),
    ("from 2023-09-19 six months to the same day", "modern_work", date(2024, 1, 15), date(2024, 7, 15)),
    ("six months to the same day, at most the month's last day", "security", date(2024, 3, 31), date(2024, 9, 30)),
    ("from 2024-07-01 the month ends of the next six full calendar months", "data_ai", date(2026, 10, 31),
     date(2027, 4, 30)),
    ("a day in the middle of a month reaches the same month end", "data_ai", date(2026, 10, 15), date(2027, 4, 30)),
]


@pytest.mark.parametrize("area,as_of,horizon", [c[1:] for c in HORIZONS], ids=[c[0] for c in HORIZONS])
def test_plan_horizon_is_one_qualification_window(area, as_of, horizon):
    from partnerscore.limits import plan_horizon

    assert plan_horizon(area, as_of) == horizon


def test_limits_doctests_hold():
    import partnerscore.limits

    assert doctest.testmod(partnerscore.limits).failed == 0
