"""The dashboard in a real headless Chromium (Playwright driving Debian's /usr/bin/chromium).

A real `partnerscore serve` runs on a free loopback port over a copy of the demo database (the import
test writes its failed import to the log). Each test saves screenshots under `test-artifacts/web/`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from web_support import ADATUM, AS_OF, CONTOSO, FABRIKAM

from partnerscore.web.security import add_user

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "web"
SLOW = 180_000  # ms: a first scoring takes seconds per day on a busy two-core machine

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory):
    """`partnerscore serve` on 127.0.0.1; yields (base url, tokens by user, log file)."""
    folder = tmp_path_factory.mktemp("web-browser")
    db = folder / "demo.duckdb"
    shutil.copy(demo_db, db)
    users = folder / "users.yaml"
    tokens = {"admin": add_user(users, "admin", "admin", "*"), "adatum": add_user(users, "adatum", "viewer", ADATUM)}
    port = free_port()
    log = folder / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from partnerscore.cli.app import main; main()", "serve", "--db", str(db),
             "--users", str(users), "--host", "127.0.0.1", "--port", str(port), "--as-of", AS_OF],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield base, tokens, log
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh browser context (no cookies) whose console errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(SLOW)
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    yield tab
    context.close()
    unexpected = [p for p in problems if "status of 422" not in p and "status of 403" not in p]
    assert not unexpected, unexpected


def sign_in(page, server, who: str, path: str = "/") -> None:
    base, tokens, _ = server
    page.goto(base + path)
    page.fill("input[name=username]", who)
    page.fill("input[name=token]", tokens[who])
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_browser_clicks_through_overview_to_area_to_explain(page, server):
    sign_in(page, server, "admin", f"/partners/{CONTOSO}")
    page.wait_for_selector("#areas-chart[data-rendered=true] svg")
    assert page.locator("section.area").count() == 6
    modern_work = page.locator("section[data-area=modern_work]")
    assert "qualified" in modern_work.locator(".badge").inner_text()
    assert modern_work.locator("meter").count() == 5
    shot(page, "1-overview")

    # Each month-end is a first scoring of its day: ask for 3 of the page's 6 to keep the run short.
    page.route("**/trend?*", lambda route: route.continue_(url=route.request.url.replace("months=6", "months=3")))
    modern_work.locator("h2 a").click()
    page.wait_for_url("**/areas/modern_work**")
    assert page.locator("#metrics tbody tr").count() == 5
    assert page.locator("tr[data-metric=net_customer_adds] td").nth(1).inner_text() == "10"  # threshold
    page.wait_for_selector("#trend-chart[data-rendered=true] svg")
    assert "3 month-ends" in page.locator("#trend-status").inner_text()
    shot(page, "2-area-with-trend")

    page.click("tr[data-metric=net_customer_adds] a.explain")
    page.wait_for_selector("#verdict")
    assert page.locator("#verdict").inner_text().startswith("qualified")
    metric = page.locator("section.metric[data-metric=net_customer_adds]")
    assert "× added: eligible tenant in M, not in M-12" in metric.locator("ul.summary").inner_text()
    assert metric.locator("table.facts tbody tr").count() > 10
    shot(page, "3-explain")

    metric.locator("table.facts tbody tr a").first.click()  # drill down to the customer in the ledger
    page.wait_for_selector("#ledger")
    assert "tenant=" in page.url and page.locator("#ledger tbody tr").count() >= 1


def test_browser_whatif_shows_the_score_change_at_once(page, server):
    sign_in(page, server, "admin", f"/partners/{FABRIKAM}/whatif")
    page.select_option("#action", "add_certification")
    assert page.locator("input[name=tenant_id]").is_hidden()
    page.fill("input[name=person_id]", "new-expert")
    page.fill("input[name=certification]", "Enterprise Administrator Expert")
    page.fill("input[name=earned_on]", "2026-10-01")
    page.click("#add-change")
    assert '"add_certification"' in page.locator("#changes").input_value()
    page.click("#run-whatif")
    page.wait_for_selector("#whatif-status[data-done=true]")
    row = page.locator("#whatif-result tr[data-area=modern_work]")
    cells = row.locator("td").all_inner_texts()
    assert cells[1:5] == ["85.00", "100.00", "+15.00", "no → yes"]
    assert "advanced_certifications +15 (entered: person new-expert)" in cells[5]
    shot(page, "4-whatif")


def test_browser_whatif_shows_why_a_change_is_refused(page, server):
    sign_in(page, server, "admin", f"/partners/{FABRIKAM}/whatif")
    page.fill("#changes", '[{"action": "end_association", "association_id": "AS1"}]')
    page.click("#run-whatif")
    page.wait_for_selector("#whatif-status.error")
    assert "end_date" in page.locator("#whatif-status").inner_text()


def test_browser_ledger_highlights_conflicts_with_their_reason(page, server):
    sign_in(page, server, "admin", "/ledger")
    page.select_option("select[name=status]", "taken over")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#ledger tr.conflict")
    assert "taken over by" in page.locator("#ledger tr.conflict td.reason").first.inner_text()
    shot(page, "5-ledger-conflicts")


def test_browser_upload_of_a_bad_file_shows_its_errors(page, server):
    sign_in(page, server, "admin", "/imports")
    bad = b"month,tenant_id,subscription_id,workload,paid_units\n2025-13,T,S,Teams,5\n"
    page.set_input_files("input[name=files]", files=[{"name": "usage.csv", "mimeType": "text/csv", "buffer": bad}])
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-errors")
    assert "nothing was imported" in page.locator("#import-errors h2").inner_text()
    errors = page.locator("#import-errors tbody tr").all_inner_texts()
    assert any(e.startswith("usage.csv\t1\tmonth") for e in errors), errors
    # The store holds an import, so a usage file alone is an update: its references are checked against the store.
    assert any(e.startswith("usage.csv\t1\ttenant_id") and "in the store" in e for e in errors), errors
    assert page.locator("#imports tbody tr").first.locator("td").last.inner_text() == "failed"
    shot(page, "6-import-errors")


def test_browser_reseller_sees_only_its_own_partner(page, server):
    sign_in(page, server, "adatum")
    page.wait_for_url(f"**/partners/{ADATUM}")
    page.wait_for_selector("#areas-chart[data-rendered=true]")
    assert page.locator("header nav a", has_text="Import").count() == 0
    page.goto(f"{server[0]}/partners/{CONTOSO}")
    assert "may not see partner 4650101" in page.locator("#error-message").inner_text()
    shot(page, "7-reseller-forbidden")


def test_browser_session_logs_no_token(server):
    _, tokens, log = server
    text = log.read_text()
    assert "GET /partners" in text, "the access log is on"
    assert not any(token in text for token in tokens.values())
