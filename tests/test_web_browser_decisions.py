"""The plan page in a real headless Chromium: a manager submits the form and reads the actions.

The server, browser and page fixtures are those of `test_web_browser.py` (a real `partnerscore serve`
on a loopback port over a copy of the demo database, Debian's Chromium driven by Playwright).
"""

from __future__ import annotations

import pytest
from test_web_browser import browser, page, server, shot, sign_in  # noqa: F401  fixtures and helpers
from web_support import CONTOSO

pytestmark = pytest.mark.browser


def test_browser_plan_page_shows_the_cheapest_actions_and_the_score_they_reach(page, server):  # noqa: F811
    # The area page loads its trend (a scoring per month end) after the page: answer it here, so that the
    # server spends its time on the plan alone.
    page.route("**/trend?*", lambda route: route.fulfill(json={"partner_id": CONTOSO, "area": "data_ai",
                                                               "min_total": 70, "data": [], "count": 0}))
    sign_in(page, server, "admin", f"/partners/{CONTOSO}/areas/data_ai")
    page.click("#plan-link")
    page.wait_for_url("**/areas/data_ai/plan**")
    page.click("#plan-costs >> xpath=ancestor::details/summary")
    assert page.locator("#plan-costs tbody tr").count() == 9
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("#plan-result")
    assert page.locator("#plan-verdict").inner_text() == "Cheapest plan: 3 action(s), USD 3,600"
    actions = page.locator("#plan-actions tbody tr").all_inner_texts()
    assert len(actions) == 3 and all("certify 4650101-0001" in a for a in actions), actions
    metric = page.locator("table.plan-metrics tr[data-metric=intermediate_certifications] td").all_inner_texts()
    assert metric[:3] == ["0", "12", "+12"]
    assert "60 → 72 points" in page.locator("#plan-result h3").inner_text()
    shot(page, "8-plan")
