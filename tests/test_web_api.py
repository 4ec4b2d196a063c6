"""The REST API, through FastAPI's test client: every endpoint, partner scoping, the error shape, CSRF.

Read-only tests share one app over the session's demo database; tests that import get their own
database, so the demo stays as imported.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import ADATUM, AS_OF, CONTOSO, FABRIKAM, TAILSPIN, assert_error, demo_users

from partnerscore.api import explain_db, score_dataset
from partnerscore.rules.schema import AREAS
from partnerscore.web import create_app
from partnerscore.web.security import UserStore, add_user, read_users


@pytest.fixture(scope="module")
def demo_app(demo_db: Path):
    """One app (and so one result cache) for every read-only test of the module."""
    store, tokens = demo_users()
    return create_app(demo_db, store, as_of=date.fromisoformat(AS_OF)), tokens


@pytest.fixture(scope="module")
def tokens_and_client(demo_app):
    app, tokens = demo_app
    with TestClient(app) as client:
        yield tokens, client


@pytest.fixture(scope="module")
def tokens(tokens_and_client):
    return tokens_and_client[0]


@pytest.fixture(scope="module")
def client(tokens_and_client):
    return tokens_and_client[1]


def get(client, tokens, who: str, url: str, **kw):
    return client.get(url, headers=tokens.header(who), **kw)



# --- the one error shape ---------------------------------------------------------------------------

ERRORS = [
    ("no token", None, "get", "/api/scores", 401, "not_authenticated"),
    ("a wrong token", "Bearer ps_wrong", "get", "/api/scores", 401, "not_authenticated"),
    ("a token in the wrong scheme", "Basic abc", "get", "/api/scores", 401, "not_authenticated"),
    ("another partner's scores", "adatum", "get", f"/api/partners/{CONTOSO}/scores", 403, "forbidden"),
    ("an unknown partner", "admin", "get", "/api/partners/9999999", 404, "not_found"),
    ("an unknown area", "admin", "get", f"/api/partners/{CONTOSO}/areas/gardening", 404, "not_found"),
    ("an unknown endpoint", "admin", "get", "/api/nothing-here", 404, "not_found"),
    ("a date that is no date", "admin", "get", "/api/scores?as_of=2026-13-01", 422, "invalid_request"),
    ("a page size out of range", "admin", "get", "/api/associations?limit=0", 422, "invalid_request"),
    ("a 20-digit offset (a 500 before)", "admin", "get", "/api/associations?offset=99999999999999999999", 422,
     "invalid_request"),
    ("an offset past the limit of a billion rows", "admin", "get", "/api/associations?offset=1000000001", 422,
     "invalid_request"),
    ("a findings page larger than 500 rows (every finding before)", "admin", "get", "/api/findings?limit=501", 422,
     "invalid_request"),
    ("a findings offset past the limit", "admin", "get", "/api/findings?offset=99999999999999999999", 422,
     "invalid_request"),
    ("a trend longer than 24 month ends", "admin", "get",
     f"/api/partners/{CONTOSO}/areas/modern_work/trend?months=25", 422, "invalid_request"),
    ("an unknown status", "admin", "get", "/api/associations?status=lost", 422, "invalid_request"),
    ("a method the endpoint lacks", "admin", "delete", "/api/scores", 405, "method_not_allowed"),
    ("an import by a viewer", "viewer", "post", "/api/imports", 403, "forbidden"),
]


@pytest.mark.parametrize("what,who,method,url,status,code", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_shape_is_the_same_for(client, tokens, what, who, method, url, status, code):
    headers = {}
    if who in ("admin", "viewer", "adatum"):
        headers = tokens.header(who)
    elif who:
        headers = {"Authorization": who}
    error = assert_error(client.request(method, url, headers=headers), status, code)
    if status == 422:
        assert error["details"], "a validation error lists what was wrong"


def test_error_for_missing_authentication_asks_for_a_bearer_token(client):
    response = client.get("/api/me")
    assert response.headers["www-authenticate"] == "Bearer"


def test_error_shape_holds_when_the_database_is_missing(tmp_path: Path):
    store, tokens = demo_users()
    with TestClient(create_app(tmp_path / "none.duckdb", store)) as empty:
        error = assert_error(empty.get("/api/scores", headers=tokens.header("admin")), 503, "no_database")
    assert "import" in error["message"]


def server_paths(db: Path) -> list[str]:
    """Folders whose names no error body may show."""
    import partnerscore

    return [str(db.parent), "/tmp/", str(Path.home()), str(Path(partnerscore.__file__).parents[1]), sys.prefix]


@pytest.fixture
def locked_db(demo_db: Path, tmp_path: Path):
    """A copy of the demo that another process holds open for writing (as an import from the command line does)."""
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    writer = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "print('open', flush=True); time.sleep(600)"], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        yield db
    finally:
        writer.kill()
        writer.wait()


PATH_ERRORS = [
    ("no database yet", "none", "/api/scores", (503,)),
    ("a day before the first rule version (the message named the rules folder)", "demo",
     "/api/scores?as_of=2001-01-01", (400, 422)),
    ("the same on a page", "demo", f"/partners/{CONTOSO}?as_of=2001-01-01", (400, 422)),
    ("a database another process writes (a 500 before)", "locked", f"/api/partners/{CONTOSO}/scores", (503,)),
]


@pytest.mark.parametrize("db_kind,url,statuses", [e[1:] for e in PATH_ERRORS], ids=[e[0] for e in PATH_ERRORS])
def test_error_body_never_shows_a_server_path(request, tmp_path: Path, db_kind, url, statuses):
    db = {"none": lambda: tmp_path / "none.duckdb", "demo": lambda: request.getfixturevalue("demo_db"),
          "locked": lambda: request.getfixturevalue("locked_db")}[db_kind]()
    store, tokens = demo_users()
    with TestClient(create_app(db, store, as_of=date.fromisoformat(AS_OF)), raise_server_exceptions=False) as c:
        response = c.get(url, headers=tokens.header("admin"))
    assert response.status_code in statuses, response.text[:300]
    shown = [p for p in server_paths(db) if p in response.text]
    assert not shown, f"{shown} in {response.text[:300]}"
    if response.status_code == 503:
        assert db.name in response.text, "the file is named, without its folder"


# --- who am I, areas, partners ------------------------------------------------------------------

def test_healthz_needs_no_token(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_openapi_describes_every_api_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/me", "/api/areas", "/api/partners", "/api/partners/{partner_id}", "/api/scores",
            "/api/partners/{partner_id}/scores", "/api/partners/{partner_id}/areas/{area}",
            "/api/partners/{partner_id}/areas/{area}/trend", "/api/partners/{partner_id}/areas/{area}/explain",
            "/api/associations", "/api/findings", "/api/partners/{partner_id}/whatif", "/api/imports",
            "/api/imports/{import_id}/quarantine"} <= set(paths)
    assert not any(p.startswith(("/partners", "/ledger", "/login")) for p in paths), "pages stay out of the API"


def test_me_get_returns_role_and_partners(client, tokens):
    assert get(client, tokens, "adatum", "/api/me").json() == {"name": "adatum", "role": "viewer", "partners": [ADATUM]}
    assert get(client, tokens, "admin", "/api/me").json()["partners"] is None


def test_areas_list_gives_six_areas_with_tracks_and_thresholds(client, tokens):
    doc = get(client, tokens, "viewer", f"/api/areas?as_of={AS_OF}").json()
    assert [a["area"] for a in doc["data"]] == list(AREAS) and doc["count"] == 6
    modern_work = next(a for a in doc["data"] if a["area"] == "modern_work")
    assert modern_work["min_total"] == 70 and set(modern_work["tracks"]) == {"enterprise", "smb"}


def test_partners_list_shows_every_partner_to_an_unscoped_user(client, tokens):
    doc = get(client, tokens, "viewer", "/api/partners").json()
    assert doc["count"] == 7 and doc["data"][0] == {"partner_id": CONTOSO, "name": "Contoso Cloud Direct",
                                                    "role": "direct_bill", "parent_partner_id": None}


def test_partners_list_shows_a_reseller_only_itself(client, tokens):
    doc = get(client, tokens, "adatum", "/api/partners").json()
    assert [p["partner_id"] for p in doc["data"]] == [ADATUM] and doc["count"] == 1


def test_partners_get_own_partner(client, tokens):
    assert get(client, tokens, "adatum", f"/api/partners/{ADATUM}").json()["parent_partner_id"] == TAILSPIN


def test_partners_get_other_partner_forbidden(client, tokens):
    assert_error(get(client, tokens, "adatum", f"/api/partners/{TAILSPIN}"), 403, "forbidden")


def test_partners_get_unknown_partner_is_forbidden_before_it_is_not_found_for_a_scoped_user(client, tokens):
    assert_error(get(client, tokens, "adatum", "/api/partners/9999999"), 403, "forbidden")


# --- scores -------------------------------------------------------------------------------------

def test_scores_list_holds_the_library_points_for_every_partner(client, tokens, demo_db):
    from partnerscore.api import score_db

    expected = score_db(demo_db, AS_OF).to_json()
    doc = get(client, tokens, "admin", f"/api/scores?as_of={AS_OF}").json()
    assert doc["count"] == len(expected["partners"]) == 7 and doc["rules_version"] == expected["rules_version"]
    for got, want in zip(doc["data"], expected["partners"], strict=True):
        assert got["partner_id"] == want["partner_id"]
        for area, want_area in zip(got["areas"], want["areas"], strict=True):
            assert (area["area"], area["track"], area["points"], area["qualified"]) == (
                want_area["area"], want_area["track"], want_area["points"], want_area["qualified"])
            assert [(m["metric"], m["value"], m["points"], m["max_points"]) for m in area["metrics"]] == [
                (m["metric"], m["value"], m["points"], m["max_points"]) for m in want_area["metrics"]]


def test_scores_list_is_limited_to_the_users_partners(client, tokens):
    doc = get(client, tokens, "adatum", f"/api/scores?as_of={AS_OF}").json()
    assert [p["partner_id"] for p in doc["data"]] == [ADATUM]


def test_scores_list_other_partner_forbidden(client, tokens):
    assert_error(get(client, tokens, "adatum", f"/api/scores?partner={CONTOSO}"), 403, "forbidden")


def test_scores_list_filters_by_partner(client, tokens):
    doc = get(client, tokens, "viewer", f"/api/scores?partner={FABRIKAM}&partner={CONTOSO}").json()
    assert sorted(p["partner_id"] for p in doc["data"]) == [CONTOSO, FABRIKAM]


def test_partner_scores_get_gives_six_areas_against_the_qualifying_line(client, tokens):
    doc = get(client, tokens, "adatum", f"/api/partners/{ADATUM}/scores").json()
    assert doc["as_of"] == AS_OF and [a["area"] for a in doc["areas"]] == list(AREAS)
    for area in doc["areas"]:
        assert area["min_total"] == 70
        assert all(0 <= m["points"] <= m["max_points"] for m in area["metrics"])


def test_partner_scores_get_other_partner_forbidden(client, tokens):
    assert_error(get(client, tokens, "adatum", f"/api/partners/{CONTOSO}/scores"), 403, "forbidden")


def test_area_get_gives_each_metric_against_its_threshold(client, tokens):
    doc = get(client, tokens, "viewer", f"/api/partners/{CONTOSO}/areas/modern_work").json()
    assert (doc["track"], doc["points"], doc["qualified"]) == ("smb", 100.0, True)
    metrics = {m["metric"]: m for m in doc["metrics"]}
    assert metrics["net_customer_adds"]["threshold"] == 10
    assert metrics["usage_growth"]["threshold_by_type"] == {"CPOR_OSU": 500, "CSP": 2000}


def test_area_get_other_partner_forbidden(client, tokens):
    assert_error(get(client, tokens, "adatum", f"/api/partners/{CONTOSO}/areas/modern_work"), 403, "forbidden")


def test_trend_get_scores_each_month_end(client, tokens):
    doc = get(client, tokens, "viewer", f"/api/partners/{CONTOSO}/areas/modern_work/trend?months=2").json()
    assert [p["as_of"] for p in doc["data"]] == ["2026-09-30", "2026-10-31"] and doc["min_total"] == 70
    assert doc["data"][-1]["points"] == 100.0 and set(doc["data"][-1]["metrics"]) >= {"net_customer_adds"}


def test_trend_get_other_partner_forbidden(client, tokens):
    assert_error(get(client, tokens, "adatum", f"/api/partners/{CONTOSO}/areas/modern_work/trend"), 403, "forbidden")


# --- explain ------------------------------------------------------------------------------------

def test_explain_get_is_the_library_explanation(client, tokens, demo_db):
    doc = get(client, tokens, "viewer", f"/api/partners/{CONTOSO}/areas/modern_work/explain").json()
    want = explain_db(demo_db, CONTOSO, "modern_work", AS_OF)
    assert doc["verdict"] == want.verdict and doc["points"] == want.points
    assert [m["metric"] for m in doc["metrics"]] == [m.metric for m in want.metrics]
    assert doc["metrics"][0]["facts"] and doc["associations"][0]["status"]


def test_explain_get_one_metric(client, tokens):
    doc = get(client, tokens, "viewer", f"/api/partners/{CONTOSO}/areas/modern_work/explain?metric=deployments").json()
    assert [m["metric"] for m in doc["metrics"]] == ["deployments"]


def test_explain_get_unknown_metric_is_a_bad_request(client, tokens):
    error = assert_error(get(client, tokens, "viewer", f"/api/partners/{CONTOSO}/areas/modern_work/explain?metric=x"),
                         400, "bad_request")
    assert "has no metric 'x'" in error["message"]


def test_explain_get_other_partner_forbidden(client, tokens):
    assert_error(get(client, tokens, "adatum", f"/api/partners/{CONTOSO}/areas/modern_work/explain"), 403, "forbidden")


# --- ledger and findings --------------------------------------------------------------------------

def test_associations_list_filters_by_type_and_pages(client, tokens):
    first = get(client, tokens, "viewer", f"/api/associations?partner={CONTOSO}&type=CSP_DIRECT&limit=5").json()
    second = get(client, tokens, "viewer",
                 f"/api/associations?partner={CONTOSO}&type=CSP_DIRECT&limit=5&offset=5").json()
    assert first["count"] == second["count"] > 10 and len(first["data"]) == 5
    assert {r["type"] for r in first["data"]} == {"CSP_DIRECT"}
    assert not {r["association_id"] for r in first["data"]} & {r["association_id"] for r in second["data"]}


def test_associations_list_filters_by_customer(client, tokens):
    one = get(client, tokens, "viewer", f"/api/associations?partner={CONTOSO}&limit=1").json()["data"][0]
    doc = get(client, tokens, "viewer", f"/api/associations?tenant={one['tenant_id']}").json()
    assert doc["count"] >= 1 and {r["tenant_id"] for r in doc["data"]} == {one["tenant_id"]}


def test_associations_list_shows_a_taken_over_dpor_with_its_conflict_reason(client, tokens):
    doc = get(client, tokens, "viewer", "/api/associations?status=taken over").json()
    assert doc["count"] >= 1
    row = doc["data"][0]
    assert row["type"] == "DPOR" and row["reason"].startswith("taken over by")
    assert any(c.startswith("dpor_overlap: ") for c in row["conflicts"])


def test_associations_list_shows_a_reseller_only_its_own_rows(client, tokens):
    doc = get(client, tokens, "adatum", "/api/associations?limit=500").json()
    assert doc["count"] > 0
    assert all(ADATUM in (r["partner_id"], r["indirect_provider_id"]) for r in doc["data"])


def test_associations_list_other_partner_forbidden(client, tokens):
    assert_error(get(client, tokens, "adatum", f"/api/associations?partner={TAILSPIN}"), 403, "forbidden")


def test_associations_list_for_several_partners_merges_their_rows(demo_db):
    store = UserStore()
    token = store.add_ephemeral("tailspin-group", "viewer", frozenset([TAILSPIN, ADATUM]))
    with TestClient(create_app(demo_db, store, as_of=date.fromisoformat(AS_OF))) as c:
        doc = c.get("/api/associations?limit=500&type=CSP_INDIRECT",
                    headers={"Authorization": f"Bearer {token}"}).json()
    ids = [r["association_id"] for r in doc["data"]]
    assert len(ids) == len(set(ids)) and doc["count"] >= len(ids) > 0
    assert all({TAILSPIN, ADATUM} & {r["partner_id"], r["indirect_provider_id"]} for r in doc["data"])


def test_findings_list_gives_each_conflict_with_its_reason(client, tokens):
    doc = get(client, tokens, "viewer", "/api/findings?severity=conflict").json()
    assert doc["count"] >= 1 and {f["severity"] for f in doc["data"]} == {"conflict"}
    assert all(f["reason"] for f in doc["data"])


def test_findings_list_is_limited_to_the_users_partners(client, tokens):
    doc = get(client, tokens, "adatum", "/api/findings").json()
    assert doc["count"] >= 1 and {f["partner_id"] for f in doc["data"]} == {ADATUM}


def test_findings_list_pages_with_the_count_of_every_finding(client, tokens):
    every = get(client, tokens, "viewer", "/api/findings").json()
    first = get(client, tokens, "viewer", "/api/findings?limit=1").json()
    second = get(client, tokens, "viewer", "/api/findings?limit=1&offset=1").json()
    assert every["count"] == first["count"] == second["count"] == len(every["data"]) > 1
    assert first["data"] + second["data"] == every["data"][:2]


def test_ledger_page_past_the_offset_limit_is_refused(browser_like):
    c, tokens = browser_like
    login(c, "viewer", tokens.viewer)
    response = c.get("/ledger?page=99999999999999999999")
    assert response.status_code == 422 and "page" in response.text


def test_findings_list_other_partner_forbidden(client, tokens):
    assert_error(get(client, tokens, "adatum", f"/api/findings?partner={CONTOSO}"), 403, "forbidden")


# --- what-if ------------------------------------------------------------------------------------

NEW_EXPERT = {"action": "add_certification", "person_id": "p-new", "certification": "Enterprise Administrator Expert",
              "earned_on": "2026-10-01"}


def test_whatif_post_shows_the_score_change_without_writing_to_the_ledger(client, tokens, demo_db):
    stamp = demo_db.stat().st_mtime_ns
    response = client.post(f"/api/partners/{FABRIKAM}/whatif", headers=tokens.header("viewer"),
                           json={"as_of": AS_OF, "changes": [NEW_EXPERT]})
    assert response.status_code == 200, response.text
    modern_work = next(a for a in response.json()["areas"] if a["area"] == "modern_work")
    assert (modern_work["points_before"], modern_work["points_after"]) == (85.0, 100.0)
    assert (modern_work["qualified_before"], modern_work["qualified_after"]) == (False, True)
    certified = next(m for m in modern_work["metrics"] if m["metric"] == "advanced_certifications")
    assert [(e["entity_kind"], e["entity"]) for e in certified["entered"]] == [("person", "p-new")]
    assert demo_db.stat().st_mtime_ns == stamp
    scores = get(client, tokens, "viewer", f"/api/partners/{FABRIKAM}/areas/modern_work").json()
    assert scores["points"] == 85.0, "the stored ledger is unchanged"


def test_whatif_post_invalid_change_is_refused_with_the_reason(client, tokens):
    response = client.post(f"/api/partners/{FABRIKAM}/whatif", headers=tokens.header("viewer"),
                           json={"changes": [{"action": "end_association", "association_id": "AS1"}]})
    error = assert_error(response, 422, "invalid_scenario")
    assert "end_date" in error["message"]


def test_whatif_post_empty_scenario_is_refused(client, tokens):
    assert_error(client.post(f"/api/partners/{FABRIKAM}/whatif", headers=tokens.header("viewer"),
                             json={"changes": []}), 422, "invalid_request")


def test_whatif_post_other_partner_forbidden(client, tokens):
    assert_error(client.post(f"/api/partners/{CONTOSO}/whatif", headers=tokens.header("adatum"),
                             json={"changes": [NEW_EXPERT]}), 403, "forbidden")


def test_whatif_post_other_partners_association_forbidden(client, tokens):
    other = get(client, tokens, "viewer", f"/api/associations?partner={CONTOSO}&limit=1").json()["data"][0]
    change = {"action": "end_association", "association_id": other["association_id"], "end_date": AS_OF}
    error = assert_error(client.post(f"/api/partners/{ADATUM}/whatif", headers=tokens.header("adatum"),
                                     json={"changes": [change]}), 403, "forbidden")
    assert other["association_id"] in error["message"]


def test_whatif_post_change_naming_other_partner_forbidden(client, tokens):
    change = {**NEW_EXPERT, "partner_id": CONTOSO}
    assert_error(client.post(f"/api/partners/{ADATUM}/whatif", headers=tokens.header("adatum"),
                             json={"changes": [change]}), 403, "forbidden")


# --- imports ------------------------------------------------------------------------------------

def test_imports_list_viewer_forbidden(client, tokens):
    assert_error(get(client, tokens, "viewer", "/api/imports"), 403, "forbidden")


def test_imports_list_gives_the_import_log_to_an_admin(client, tokens):
    doc = get(client, tokens, "admin", "/api/imports").json()
    assert doc["count"] >= 1 and doc["data"][0]["status"] == "ok"


def test_quarantine_get_unknown_import_not_found(client, tokens):
    assert_error(get(client, tokens, "admin", "/api/imports/nope/quarantine"), 404, "not_found")


def test_quarantine_get_viewer_forbidden(client, tokens):
    assert_error(get(client, tokens, "adatum", "/api/imports/nope/quarantine"), 403, "forbidden")


# --- sessions, CSRF, headers, secrets -----------------------------------------------------------------

def login(c: TestClient, name: str, token: str):
    page = c.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return c.post("/login", data={"username": name, "token": token, "csrf_token": csrf, "next": "/partners"},
                  follow_redirects=False)


@pytest.fixture
def browser_like(demo_app):
    """A client with its own cookie jar, as a browser would have, on the module's app."""
    app, tokens = demo_app
    with TestClient(app) as c:
        yield c, tokens


def test_login_post_sets_a_session_that_reads_the_api(browser_like):
    c, tokens = browser_like
    response = login(c, "adatum", tokens.adatum)
    assert response.status_code == 303 and response.headers["location"] == "/partners"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert c.get("/api/me").json()["name"] == "adatum"


def test_login_post_wrong_token_is_refused(browser_like):
    c, tokens = browser_like
    assert login(c, "adatum", tokens.admin).status_code == 401
    assert c.get("/api/me").status_code == 401


def test_login_post_without_csrf_token_is_refused(browser_like):
    c, tokens = browser_like
    c.get("/login")
    response = c.post("/login", data={"username": "adatum", "token": tokens.adatum}, follow_redirects=False)
    assert response.status_code == 403 and c.get("/api/me").status_code == 401


def test_csrf_session_post_without_token_is_refused(browser_like):
    c, tokens = browser_like
    login(c, "viewer", tokens.viewer)
    error = assert_error(c.post(f"/api/partners/{FABRIKAM}/whatif", json={"changes": [NEW_EXPERT]}), 403, "csrf_failed")
    assert "CSRF" in error["message"]
    assert_error(c.post(f"/api/partners/{FABRIKAM}/whatif", json={"changes": [NEW_EXPERT]},
                        headers={"X-CSRF-Token": "forged"}), 403, "csrf_failed")


def test_csrf_session_post_with_token_runs(browser_like):
    c, tokens = browser_like
    login(c, "viewer", tokens.viewer)
    csrf = c.get("/partners").text.split('name="csrf-token" content="')[1].split('"')[0]
    response = c.post(f"/api/partners/{FABRIKAM}/whatif", json={"changes": [NEW_EXPERT]},
                      headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text


def test_csrf_logout_form_without_token_is_refused(browser_like):
    c, tokens = browser_like
    login(c, "viewer", tokens.viewer)
    assert c.post("/logout", data={}).status_code == 403
    assert c.get("/api/me").status_code == 200


@pytest.mark.parametrize("url", ["/healthz", "/api/me", "/login", f"/api/partners/{CONTOSO}/scores"])
def test_security_headers_are_on_every_response(client, tokens, url):
    headers = client.get(url, headers=tokens.header("viewer")).headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-eval" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin" and headers["cache-control"] == "no-store"


def test_tokens_never_appear_in_logs(client, tokens, caplog):
    with caplog.at_level(logging.DEBUG):
        get(client, tokens, "admin", "/api/me")
        get(client, tokens, "admin", "/api/nothing")
        client.get("/api/me", headers={"Authorization": "Bearer ps_leaked_guess"})
    text = caplog.text
    assert tokens.admin not in text and "ps_leaked_guess" not in text


def test_users_file_keeps_only_the_token_digest(tmp_path: Path):
    path = tmp_path / "users.yaml"
    token = add_user(path, "tailspin", "viewer", f"{TAILSPIN},{ADATUM}")
    assert token not in path.read_text() and oct(path.stat().st_mode)[-3:] == "600"
    (user,) = read_users(path)
    assert (user.name, user.role, user.partners) == ("tailspin", "viewer", frozenset([TAILSPIN, ADATUM]))
    assert UserStore(path).by_token(token) == user and UserStore(path).by_token(token + "x") is None


def test_users_command_add_prints_the_token_once_and_serve_uses_it(tmp_path: Path, demo_db: Path):
    import json

    from typer.testing import CliRunner

    from partnerscore.cli.app import app

    path = tmp_path / "users.yaml"
    result = CliRunner().invoke(app, ["users", "add", "ops", "--role", "admin", "--users", str(path), "-f", "json"])
    assert result.exit_code == 0, result.output
    token = json.loads(result.stdout)[0]["token"]
    listed = CliRunner().invoke(app, ["users", "list", "--users", str(path), "-f", "json"])
    assert json.loads(listed.stdout) == [{"name": "ops", "role": "admin", "partners": "*"}]
    assert token not in listed.output
    with TestClient(create_app(demo_db, path)) as c:
        assert c.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "admin"


def test_users_command_refuses_an_unknown_role(tmp_path: Path):
    from typer.testing import CliRunner

    from partnerscore.cli.app import app

    result = CliRunner().invoke(app, ["users", "add", "x", "--role", "root", "--users", str(tmp_path / "u.yaml")])
    assert result.exit_code == 1 and "role 'root' is not one of viewer, admin" in result.output


# --- pages and their JSON twins -------------------------------------------------------------------

def test_pages_without_a_session_redirect_to_login(client):
    response = client.get(f"/partners/{CONTOSO}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=/partners/{CONTOSO}"


PAGES = [
    ("overview", f"/partners/{ADATUM}", f"/api/partners/{ADATUM}/scores?as_of={AS_OF}"),
    ("area", f"/partners/{ADATUM}/areas/modern_work", f"/api/partners/{ADATUM}/areas/modern_work?as_of={AS_OF}"),
    ("explain", f"/partners/{ADATUM}/areas/modern_work/explain",
     f"/api/partners/{ADATUM}/areas/modern_work/explain?as_of={AS_OF}"),
    ("ledger", "/ledger", "/api/associations?as_of=2026-10-31&limit=50&offset=0"),
    ("findings", "/findings", f"/api/findings?as_of={AS_OF}"),
    ("what-if", f"/partners/{ADATUM}/whatif", f"/api/partners/{ADATUM}/whatif"),
    ("partners", "/partners", "/api/partners"),
]


@pytest.mark.parametrize("name,page,twin", PAGES, ids=[p[0] for p in PAGES])
def test_pages_render_and_link_their_json_twin(browser_like, name, page, twin):
    c, tokens = browser_like
    login(c, "adatum", tokens.adatum)
    html = c.get(page)
    assert html.status_code == 200, html.text
    assert f'href="{twin}"'.replace("&", "&amp;") in html.text
    if name == "overview":
        doc = c.get(twin).json()
        for area in doc["areas"]:
            assert f'data-area="{area["area"]}"' in html.text


def test_pages_other_partner_forbidden(browser_like):
    c, tokens = browser_like
    login(c, "adatum", tokens.adatum)
    response = c.get(f"/partners/{CONTOSO}")
    assert response.status_code == 403 and "may not see partner 4650101" in response.text


def test_pages_import_viewer_forbidden(browser_like):
    c, tokens = browser_like
    login(c, "viewer", tokens.viewer)
    assert c.get("/imports").status_code == 403


def test_api_docs_page_lists_every_endpoint_without_a_cdn(client):
    html = client.get("/api-docs").text
    assert "<code>/api/partners/{partner_id}/whatif</code>" in html and "/openapi.json" in html
    assert "cdn" not in html.lower() and client.get("/docs").status_code == 404


def test_imports_zip_members_cannot_escape_the_upload_folder(tmp_path: Path):
    from partnerscore.web.routes.imports import stage

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../outside.csv", "a\n")
        archive.writestr("dir\\partners.csv", "partner_id\n")
        archive.writestr("__MACOSX/._partners.csv", "junk")
        archive.writestr("readme.txt", "ignored")
    buffer.seek(0)
    folder = tmp_path / "upload"
    folder.mkdir()
    assert stage([("data.zip", buffer)], folder) == ["outside.csv", "partners.csv"]
    assert sorted(p.name for p in tmp_path.rglob("*.csv")) == ["outside.csv", "partners.csv"]
    assert all(p.parent == folder for p in tmp_path.rglob("*.csv"))
