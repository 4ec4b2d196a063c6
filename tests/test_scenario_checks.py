"""A what-if scenario is checked like an import (issue 16 §6): a change the ledger cannot hold is refused
with one line naming the change and the key, and nothing is scored. Through the library, the CLI and
the web API, on the small data set (partners P1 and P2; tenants T1–T3; subscriptions S1–S4, S1 and S4
on T1; associations A1, A2, A4 of P1 and A3 of P2, all from 2024-01-01; P1's people u1–u3 hold Azure
certifications).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from web_support import demo_users

from partnerscore.cli.app import app
from partnerscore.engine.as_of import last_allowed_day
from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.scenario import load_scenario, parse_scenario
from partnerscore.engine.scenario_checks import check_scenario
from partnerscore.errors import PartnerscoreError
from partnerscore.ingest.importer import import_dataset
from partnerscore.web import create_app

DAY = date(2026, 10, 31)
runner = CliRunner()


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("small") / "small.duckdb"
    import_dataset(Path(__file__).parent / "data" / "small", db)
    return db


def pal(**fields) -> dict:
    return {"action": "add_association", "association_id": "NEW", "partner_id": "P1", "type": "PAL", "tenant_id": "T2",
            "subscription_id": "S2", "rbac_role": "Owner", "start_date": "2026-01-01", **fields}


def cert(**fields) -> dict:
    return {"action": "add_certification", "partner_id": "P1", "person_id": "n1", "certification": "AZ-305",
            "earned_on": "2026-01-01", **fields}


def usage(**fields) -> dict:
    return {"action": "add_usage", "month": "2026-10", "tenant_id": "T1", "subscription_id": "S1",
            "workload": "Storage", "acr_usd": 100, **fields}


FAR = "9999-01-01 is outside the days partnerscore scores, 2022-10-03 (the first rule version) to {last} (a year " \
      "from today); choose a day in that range"

#: (sentence, the changes of a what-if for P1, the one line that refuses it, after `<source>: `)
CASES = [
    ("An association for an unknown partner is refused", [pal(partner_id="P9")],
     "change 1 (add_association) partner_id: no partner 'P9' in the ledger"),
    ("An association on an unknown tenant is refused", [pal(tenant_id="T9", subscription_id=None)],
     "change 1 (add_association) tenant_id: no tenant 'T9' among the ledger's customers"),
    ("Usage of an unknown subscription is refused", [usage(subscription_id="S9")],
     "change 1 (add_usage) subscription_id: no subscription 'S9' in the ledger"),
    ("An association naming another tenant's subscription is refused", [pal(subscription_id="S1")],
     "change 1 (add_association) subscription_id: subscription 'S1' belongs to tenant 'T1', not 'T2'"),
    ("Moving an unknown subscription is refused", [{"action": "move_subscription", "subscription_id": "S9",
                                                    "program": "CSP"}],
     "change 1 (move_subscription) subscription_id: no subscription 'S9' in the ledger"),
    ("Ending an unknown association is refused", [{"action": "end_association", "association_id": "A9",
                                                   "end_date": "2026-06-30"}],
     "change 1 (end_association) association_id: no association 'A9' in the ledger"),
    ("Adding an association under an ID the ledger already holds is refused", [pal(association_id="A1")],
     "change 1 (add_association) association_id: association 'A1' already exists; give the new one an ID of its own"),
    ("A certification no rule list and no person holds is refused", [cert(certification="Azure Wizard Expert")],
     "change 1 (add_certification) certification: no certification 'Azure Wizard Expert' in the rules' "
     "certification lists or the ledger's certifications; check the name, exam code or alias"),
    ("An association that ends before it starts is refused", [pal(start_date="2026-06-01", end_date="2026-01-31")],
     "change 1 (add_association) end_date: 2026-01-31 is before start_date 2026-06-01"),
    ("Ending an association before its start is refused", [{"action": "end_association", "association_id": "A1",
                                                            "end_date": "2023-12-31"}],
     "change 1 (end_association) end_date: 2023-12-31 is before the association's start_date 2024-01-01"),
    ("A certification that expires before it is earned is refused", [cert(expires_on="2025-12-31")],
     "change 1 (add_certification) expires_on: 2025-12-31 is before earned_on 2026-01-01"),
    ("Ending another partner's association is refused", [{"action": "end_association", "association_id": "A3",
                                                          "end_date": "2026-06-30"}],
     "change 1 (end_association) association_id: 'A3' is partner P2's association; the what-if is for partner P1, "
     "which may end only its own"),
    ("Adding a certification for another partner is refused", [cert(partner_id="P2")],
     "change 1 (add_certification) partner_id: the what-if is for partner P1; a certification of partner P2 is not "
     "its own"),
    ("Expiring a certification the person does not hold is refused",
     [{"action": "expire_certification", "partner_id": "P1", "person_id": "u1", "certification": "AZ-305",
       "expires_on": "2026-06-30"}],
     "change 1 (expire_certification) person_id: u1 of partner P1 holds no 'AZ-305'"),
    ("A date that is no date is refused with its change and key", [pal(start_date="2026-13-45")],
     "change 1 (add_association) start_date: '2026-13-45' is not a date (YYYY-MM-DD)"),
    ("A date past a year from today is refused with the range", [cert(earned_on="9999-01-01")],
     "change 1 (add_certification) earned_on: " + FAR),
    ("A negative amount of usage is refused, as in an import", [usage(acr_usd=-5)],
     "change 1 (add_usage) acr_usd: Input should be greater than or equal to 0"),
    ("An unknown action is refused, naming the actions", [{"action": "add_partner", "partner_id": "P3"}],
     "change 1 (add_partner): unknown action 'add_partner'; 'add_association', 'end_association', "
     "'add_certification', 'expire_certification', 'move_subscription', 'add_usage'"),
    ("The change is named by its position, the first being 1", [cert(), cert(person_id="n2"), pal(tenant_id="T9")],
     "change 3 (add_association) tenant_id: no tenant 'T9' among the ledger's customers"),
]


def expected(line: str) -> str:
    return line.replace("{last}", str(last_allowed_day()))


def refused(small_db: Path, changes: list[dict], source: str = "scenario") -> list[str]:
    """The problems the library gives for a what-if of P1 (parsed, then checked against the ledger)."""
    with pytest.raises(PartnerscoreError) as exc:
        check_scenario(open_duckdb(small_db), "P1", DAY, parse_scenario(changes, source), source)
    return str(exc.value).splitlines()


@pytest.mark.parametrize("name, changes, line", CASES, ids=[c[0] for c in CASES])
def test_check_scenario_refuses_with_one_line_naming_change_and_key(small_db, name, changes, line):
    assert refused(small_db, changes) == [f"scenario: {expected(line)}"]


def test_check_scenario_lists_every_problem_one_line_each(small_db):
    changes = [pal(partner_id="P9", tenant_id="T9", subscription_id=None), cert(certification="Wizardry")]
    assert [p.split(": ", 2)[1] for p in refused(small_db, changes)] == [
        "change 1 (add_association) partner_id", "change 1 (add_association) tenant_id",
        "change 2 (add_certification) certification"]


ACCEPTED = [
    ("A new PAL on the partner's own customer", [pal()]),
    ("A certification by exam code, and one spelled as a person of the ledger holds it",
     [cert(), cert(person_id="n2", certification="Microsoft Certified: Azure Network Engineer Associate")]),
    ("Ending the partner's own association after its start", [{"action": "end_association", "association_id": "A1",
                                                               "end_date": "2025-10-31"}]),
    ("Expiring a certification the person holds, spelled by its exam code",
     [{"action": "expire_certification", "partner_id": "P1", "person_id": "u2", "certification": "AZ-104",
       "expires_on": "2026-06-30"}]),
    ("Usage and a move of a subscription the ledger holds", [usage(), {"action": "move_subscription",
                                                                        "subscription_id": "S1", "program": "CSP"}]),
    ("A competitor's association on the partner's customer (it may take over a claim)", [pal(partner_id="P2")]),
]


@pytest.mark.parametrize("name, changes", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_check_scenario_accepts_what_the_ledger_can_hold(small_db, name, changes):
    check_scenario(open_duckdb(small_db), "P1", DAY, parse_scenario(changes))


# --- files -------------------------------------------------------------------------------------

FILES = [
    ("An unquoted impossible date in YAML is refused with its change and key, not a traceback",
     "- action: add_association\n  association_id: NEW\n  partner_id: P1\n  type: PAL\n  tenant_id: T2\n"
     "  start_date: 2026-13-45\n",
     "{path}: change 1 (add_association) start_date: '2026-13-45' is not a date (YYYY-MM-DD)"),
    ("A partner ID written as a YAML number is the ID", "- {action: add_certification, partner_id: 4650202, "
     "person_id: n1, certification: AZ-305, earned_on: 2026-01-01}\n",
     "{path}: change 1 (add_certification) partner_id: no partner '4650202' in the ledger"),
    ("A file that is no YAML is refused with the line", "- action: [add_usage\n",
     "{path}: not valid YAML at line 2, column 1: expected ',' or ']', but got '<stream end>'"),
    ("A file holding no change is refused", "changes: []\n",
     "{path}: the scenario holds no change; list at least one (see docs/whatif.md)"),
    ("A file holding no list of changes is refused", "action: add_usage\n",
     "{path}: a scenario is a list of changes, or `changes:` holding one; see docs/whatif.md"),
]


@pytest.mark.parametrize("name, text, line", FILES, ids=[c[0] for c in FILES])
def test_load_scenario_refuses_a_bad_file_with_one_line(small_db, tmp_path, name, text, line):
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    with pytest.raises(PartnerscoreError) as exc:
        check_scenario(open_duckdb(small_db), "P1", DAY, load_scenario(path), str(path))
    assert str(exc.value) == line.format(path=path)


def test_load_scenario_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(PartnerscoreError, match=r"missing\.yaml: no such scenario file$"):
        load_scenario(tmp_path / "missing.yaml")


# --- the command line and the web --------------------------------------------------------------

@pytest.mark.parametrize("name, changes, line", CASES, ids=[c[0] for c in CASES])
def test_cli_whatif_refuses_the_scenario_with_one_line(small_db, tmp_path, name, changes, line):
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(changes))
    result = runner.invoke(app, ["whatif", "P1", str(path), "--db", str(small_db), "--as-of", "2026-10-31"])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [f"error: {path}: {expected(line)}"]
    assert result.stdout == "", "nothing is scored"


def test_cli_whatif_of_a_missing_scenario_file_is_one_line(small_db, tmp_path):
    result = runner.invoke(app, ["whatif", "P1", str(tmp_path / "nope.yaml"), "--db", str(small_db)])
    assert (result.exit_code, result.stderr) == (1, f"error: {tmp_path / 'nope.yaml'}: no such scenario file\n")


@pytest.fixture(scope="module")
def web(small_db):
    store, tokens = demo_users()
    with TestClient(create_app(small_db, store)) as client:
        yield client, tokens.header("admin")


@pytest.mark.parametrize("name, changes, line", CASES, ids=[c[0] for c in CASES])
def test_web_whatif_refuses_the_scenario_with_422(web, name, changes, line):
    client, header = web
    response = client.post("/api/partners/P1/whatif", headers=header, json={"as_of": "2026-10-31", "changes": changes})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]) == ("invalid_scenario", [f"scenario: {expected(line)}"])
