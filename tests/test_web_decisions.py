"""The decision tools in the web app: plan, forecast, diff and alerts, JSON and pages, on the demo database.

Every JSON answer must be the library function's own document (the command's `--format json`): the
web app adds no decision of its own. One app (and so one result cache) serves the whole module, so a
page asked with the same arguments as its JSON twin renders the cached result.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import ADATUM, AS_OF, CONTOSO, TAILSPIN, assert_error, demo_users

from partnerscore.decisions.alerts import alerts
from partnerscore.decisions.candidates import Costs, load_costs
from partnerscore.decisions.diff import diff
from partnerscore.decisions.forecast import TREND_MODEL, forecast, with_projection
from partnerscore.decisions.plan import plan
from partnerscore.engine.connect import open_duckdb
from partnerscore.web import create_app

DAY = date.fromisoformat(AS_OF)
MONTHS = 2  # month ends forecast: enough for Tailspin's Modern Work to stop qualifying (2026-12-31)


@pytest.fixture(scope="module")
def app_tokens(demo_db: Path):
    store, tokens = demo_users()
    return create_app(demo_db, store, as_of=DAY), tokens


@pytest.fixture(scope="module")
def client(app_tokens):
    with TestClient(app_tokens[0]) as c:
        yield c


@pytest.fixture(scope="module")
def tokens(app_tokens):
    return app_tokens[1]


@pytest.fixture(scope="module")
def tables(demo_db: Path):
    t = open_duckdb(demo_db)
    yield t
    t.backend.disconnect()



def without_timings(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "seconds"}


def as_library(doc: dict) -> dict:
    """A response without what the web adds to the library's document: the timings, and the day's note
    (`as_of_source`, `warnings`; tests/test_default_day.py checks it)."""
    return {k: v for k, v in without_timings(doc).items() if k not in ("as_of_source", "warnings")}


def alerts_document(found: list) -> dict:
    return {"as_of": AS_OF, "within": 90, "data": [a.to_json() for a in found], "count": len(found)}


# --- the JSON is the library's document ------------------------------------------------------------

CASES = [
    ("Contoso's cheapest plan to qualify in Data & AI is the plan command's",
     "post", f"/api/partners/{CONTOSO}/areas/data_ai/plan", {"as_of": AS_OF},
     lambda t: without_timings(plan(t, CONTOSO, "data_ai", DAY).to_json())),
    ("Tailspin's forecast of the next month ends is the forecast command's",
     "get", f"/api/partners/{TAILSPIN}/forecast?months={MONTHS}", None,
     lambda t: forecast(t, TAILSPIN, DAY, MONTHS).to_json()),
    ("why Tailspin's Business Applications score fell in October is the diff command's",
     "get", f"/api/partners/{TAILSPIN}/diff?from=2026-09-30&to=2026-10-31&area=business_applications", None,
     lambda t: {**diff(t, TAILSPIN, date(2026, 9, 30), DAY, areas=["business_applications"]).to_json(),
                "usage_model": None}),
    ("the people behind Tailspin's Modern Work risk in December are a diff on the forecast's projected usage",
     "get", f"/api/partners/{TAILSPIN}/diff?from={AS_OF}&to=2026-12-31&area=modern_work", None,
     lambda t: {**diff(with_projection(t, date(2026, 12, 1)), TAILSPIN, DAY, date(2026, 12, 31),
                       areas=["modern_work"]).to_json(), "usage_model": TREND_MODEL}),
    ("Tailspin's alerts for the next 90 days are the alerts command's",
     "get", f"/api/partners/{TAILSPIN}/alerts?within=90", None,
     lambda t: alerts_document(alerts(t, DAY, partner=TAILSPIN, within=90))),
]


@pytest.mark.parametrize("method,url,body,library", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decisions_json_equals_the_library(client, tokens, tables, method, url, body, library):
    response = client.request(method, url, headers=tokens.header("viewer"), json=body)
    assert response.status_code == 200, response.text
    assert as_library(response.json()) == library(tables)


def test_plan_post_holds_the_verified_score_per_metric(client, tokens):
    doc = client.post(f"/api/partners/{CONTOSO}/areas/data_ai/plan", headers=tokens.header("viewer"),
                      json={"as_of": AS_OF}).json()
    assert (doc["status"], doc["total_cost"], len(doc["actions"])) == ("plan", 3600.0, 3)
    before, after = doc["before"][AS_OF], doc["after"][AS_OF]
    assert (before["points"], before["qualified"], after["points"], after["qualified"]) == (60.0, False, 72.0, True)
    assert {m["metric"]: m["points"] for m in after["metrics"]}["intermediate_certifications"] == 12.0


def test_plan_post_with_own_costs_prices_the_plan_with_them(client, tokens, tables):
    response = client.post(f"/api/partners/{CONTOSO}/areas/data_ai/plan", headers=tokens.header("viewer"),
                           json={"as_of": AS_OF, "costs": {"certify_person": 500}})
    assert response.status_code == 200, response.text
    packaged = load_costs()
    own = Costs(packaged.currency, {**packaged.actions, "certify_person": 500.0}, packaged.notes)
    expected = without_timings(plan(tables, CONTOSO, "data_ai", DAY, costs=own).to_json())
    assert as_library(response.json()) == expected and expected["total_cost"] == 1500.0


BAD_PLANS = [
    ("a cost for an action the cost file does not know", {"costs": {"bribe": 10}}, "bribe"),
    ("a negative cost", {"costs": {"link_pal": -1}}, "link_pal"),
    ("more customers than a plan considers", {"customers": 500}, "customers"),
    ("no customer at all", {"customers": 0}, "customers"),
    ("a day to qualify on nine years ahead (13 minutes and 2.1 GB before), past any day scored",
     {"as_of": AS_OF, "by": "2035-12-31"}, "2035-12-31 is outside the days partnerscore scores"),
    ("a day to qualify on within the days scored but past the qualification window", {"as_of": AS_OF, "by": "2027-06-30"},
     "by 2027-06-30 is more than one qualification window (6 months) after 2026-10-31: choose a day up to 2027-04-30"),
    ("a day to qualify on one day past the qualification window", {"as_of": AS_OF, "by": "2027-05-01", "keep": True},
     "choose a day up to 2027-04-30"),
]


@pytest.mark.parametrize("body,named", [b[1:] for b in BAD_PLANS], ids=[b[0] for b in BAD_PLANS])
def test_plan_post_refuses(client, tokens, body, named):
    error = assert_error(client.post(f"/api/partners/{CONTOSO}/areas/data_ai/plan", headers=tokens.header("viewer"),
                                     json=body), 422, "invalid_request")
    assert named in error["message"]


def test_plan_page_post_with_more_customers_than_a_plan_considers_is_refused(app_tokens):
    app, tokens = app_tokens
    with TestClient(app) as browser:
        page = browser.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        browser.post("/login", data={"username": "viewer", "token": tokens.viewer, "csrf_token": csrf})
        csrf = browser.get("/partners").text.split('name="csrf-token" content="')[1].split('"')[0]
        form = browser.post(f"/partners/{CONTOSO}/areas/data_ai/plan",
                            data={"as_of": AS_OF, "customers": "51", "csrf_token": csrf})
    assert form.status_code == 422 and "customers 51 is out of range: choose 1 to 50 customers" in form.text


def test_plan_costs_get_lists_every_packaged_cost_with_its_note(client, tokens):
    doc = client.get("/api/plan-costs", headers=tokens.header("adatum")).json()
    assert {c["action"]: c["cost"] for c in doc["data"]} == load_costs().actions and doc["currency"] == "USD"
    assert all(c["note"] for c in doc["data"])


DIFF_ERRORS = [
    ("a later day before the earlier one", "?from=2026-10-31&to=2026-09-30", 422, "invalid_request"),
    ("an area that does not exist", "?area=gardening", 404, "not_found"),
    ("a day that is no date", "?from=2026-02-30", 422, "invalid_request"),
    ("a later day past a forecast's reach, whose usage would be projected month by month (200 before)",
     "?to=2027-11-30", 422, "invalid_request"),
]


@pytest.mark.parametrize("query,status,code", [e[1:] for e in DIFF_ERRORS], ids=[e[0] for e in DIFF_ERRORS])
def test_diff_get_refuses(client, tokens, query, status, code):
    assert_error(client.get(f"/api/partners/{TAILSPIN}/diff{query}", headers=tokens.header("viewer")), status, code)


# --- scoping: a reseller sees only its own partner ----------------------------------------------------

OTHER_PARTNER = [
    ("plan", "post", f"/api/partners/{CONTOSO}/areas/data_ai/plan"),
    ("forecast", "get", f"/api/partners/{CONTOSO}/forecast"),
    ("diff", "get", f"/api/partners/{CONTOSO}/diff"),
    ("alerts", "get", f"/api/partners/{CONTOSO}/alerts"),
    ("plan page", "get", f"/partners/{CONTOSO}/areas/data_ai/plan"),
    ("forecast page", "get", f"/partners/{CONTOSO}/forecast"),
    ("diff page", "get", f"/partners/{CONTOSO}/diff"),
    ("alerts page", "get", f"/partners/{CONTOSO}/alerts"),
]


@pytest.mark.parametrize("method,url", [o[1:] for o in OTHER_PARTNER], ids=[f"{o[0]} of another partner is forbidden"
                                                                             for o in OTHER_PARTNER])
def test_decisions_other_partner_forbidden(client, tokens, method, url):
    response = client.request(method, url, headers=tokens.header("adatum"), json={} if method == "post" else None)
    assert response.status_code == 403
    assert "may not see partner 4650101" in response.text


def test_plan_post_by_session_without_csrf_token_is_refused(app_tokens):
    app, tokens = app_tokens
    with TestClient(app) as browser:
        page = browser.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        browser.post("/login", data={"username": "adatum", "token": tokens.adatum, "csrf_token": csrf})
        assert_error(browser.post(f"/api/partners/{ADATUM}/areas/data_ai/plan", json={}), 403, "csrf_failed")
        form = browser.post(f"/partners/{ADATUM}/areas/data_ai/plan", data={"customers": "10"})
        assert form.status_code == 403 and "CSRF" in form.text


def test_openapi_lists_the_decision_endpoints(client, tokens):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/partners/{partner_id}/areas/{area}/plan", "/api/partners/{partner_id}/forecast",
            "/api/partners/{partner_id}/diff", "/api/partners/{partner_id}/alerts", "/api/plan-costs"} <= set(paths)
    listing = client.get("/api-docs", headers=tokens.header("viewer")).text
    assert "/api/partners/{partner_id}/areas/{area}/plan" in listing and "The cheapest set of actions" in listing


# --- pages ------------------------------------------------------------------------------------------

def page(client, tokens, url: str) -> str:
    response = client.get(url, headers=tokens.header("viewer"))
    assert response.status_code == 200, response.text
    return response.text


def test_overview_page_links_the_decision_tools_and_a_plan_for_each_area_not_qualified(client, tokens):
    html = page(client, tokens, f"/partners/{CONTOSO}?as_of={AS_OF}")
    for path in ("forecast", "diff", "alerts"):
        assert f'href="/partners/{CONTOSO}/{path}?as_of={AS_OF}"' in html
    assert f'href="/partners/{CONTOSO}/areas/data_ai/plan?as_of={AS_OF}">plan to qualify' in html


def test_plan_page_offers_every_cost_to_edit(client, tokens):
    html = page(client, tokens, f"/partners/{CONTOSO}/areas/data_ai/plan?by=2026-12-31&keep=true")
    assert 'name="cost.certify_person" value="1200.0"' in html and 'name="by" value="2026-12-31"' in html
    assert 'name="keep" checked' in html and "plan-result" not in html


def test_forecast_page_flags_the_month_at_risk_and_links_to_who_is_behind_it(client, tokens):
    html = page(client, tokens, f"/partners/{TAILSPIN}/forecast?months={MONTHS}")
    assert "stops qualifying at 2026-12-31 (100 → 85 points)" in html
    assert (f'href="/partners/{TAILSPIN}/diff?as_of={AS_OF}&amp;from={AS_OF}&amp;to=2026-12-31&amp;area=modern_work'
            f'&amp;metric=advanced_certifications"') in html
    assert f'href="/partners/{TAILSPIN}/areas/modern_work/plan?as_of={AS_OF}&amp;by=2026-12-31&amp;keep=true"' in html
    assert '<td class="num  risk">85</td>' in html, "the month Modern Work stops qualifying is marked"


def test_diff_page_shows_the_person_behind_a_forecast_risk(client, tokens):
    html = page(client, tokens, f"/partners/{TAILSPIN}/diff?from={AS_OF}&to=2026-12-31&area=modern_work"
                                "&metric=advanced_certifications")
    assert 'id="projected"' in html and "advanced_certifications: 0 entered, 1 left" in html
    assert "<code>4650404-0003</code>" in html


def test_diff_page_defaults_to_the_month_before_the_as_of_day(client, tokens):
    html = page(client, tokens, f"/partners/{TAILSPIN}/diff?area=business_applications")
    assert "2026-09-30 → 2026-10-31" in html and "54 → 46 points" in html
    assert 'id="projected"' not in html


def test_alerts_page_lists_the_critical_alert_first_with_its_fix(client, tokens):
    html = page(client, tokens, f"/partners/{TAILSPIN}/alerts")
    first = html.split('<tr class="severity-')[1]
    assert first.startswith('critical"') and "renew before they end" in first
