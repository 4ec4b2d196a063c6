"""The facts `explain` lists under a metric are the entities that metric counted, in its unit.

Every partner of the demo, every area, every metric of the path that counts, as of 2026-10-31. What
"consistent with the value" means depends on the kind of formula (program-rules R5, R10–R15):

- a count (net customer adds, deployments, Azure services, certified people): the contributions, one per
  customer, pair, service or person (+1 added, -1 lost, 0 unchanged or not counted), add up to the value;
- Modern Work's usage growth and deployments count the association type that earns more points: that
  type's tenants add up to the value, the other type's contribute 0;
- a growth percentage (Azure, Business Applications): the entities' figures of M against M-12 give it;
- stepped skilling: the distinct people of the rows that count are the value (a person may count in two
  steps; the steps that only gate the last one count nobody);
- Security usage growth: the Azure part's dollars are the value (R15); the Microsoft 365 part's protected
  users add their own points, and both parts' whole steps give the points.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from math import floor

import pytest

from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.explain import explain
from partnerscore.engine.report import round_half_up
from partnerscore.engine.scoring import score
from partnerscore.rules.load import rules_at
from partnerscore.rules.schema import AREAS, MetricRule

DAY = date(2026, 10, 31)
RULES = rules_at(DAY)


@pytest.fixture(scope="module")
def explained(demo_db) -> list[tuple[str, str, MetricRule, dict]]:
    """(partner, area, rule, metric explanation) for every partner, area and metric of the demo."""
    tables = open_duckdb(demo_db)
    out = []
    for partner in score(tables, DAY).partners:
        for area in AREAS:
            doc = explain(tables, partner.partner_id, area, DAY).to_json()
            path = doc["track"] or next(iter(RULES.areas[area].paths))
            for m in doc["metrics"]:
                out.append((partner.partner_id, area, RULES.areas[area].paths[path][m["metric"]], m))
    return out


def total(facts: list[dict], part: str | None = None) -> float:
    return sum(f["contribution"] for f in facts if part is None or f["part"] == part)


def adds_up(rule: MetricRule, m: dict) -> None:
    assert total(m["facts"]) == pytest.approx(m["value"] or 0, abs=0.01)


def percent_of_sums(rule: MetricRule, m: dict) -> None:
    now, before = (sum(f[k] for f in m["facts"]) for k in ("now", "before"))
    if m["value"] is None:
        assert before == 0
        return
    assert 100 * (now - before) / before == pytest.approx(m["value"], abs=0.01)
    assert total(m["facts"]) == pytest.approx(now - before, abs=0.01)


def distinct_people(rule: MetricRule, m: dict) -> None:
    assert len({f["entity"] for f in m["facts"] if f["contribution"] > 0}) == m["value"]
    assert {f["contribution"] for f in m["facts"]} <= {0, 1}


def security_growth(rule: MetricRule, m: dict) -> None:
    az, m365 = rule.params["azure"], rule.params["m365"]
    dollars, users = total(m["facts"], "azure"), total(m["facts"], "m365")
    assert dollars == pytest.approx(m["value"] or 0, abs=0.01)

    def points(units: float, step: int) -> Fraction:
        return min(rule.max_points, rule.unit_points() * max(0, floor(round(units, 2) / step)))
    expected = min(rule.max_points, points(dollars, az["usd_per_point"]) + points(users, m365["users_per_point"]))
    assert m["points"] == round_half_up(expected)


#: (sentence, formulas, check, the unit of each part's contributions)
KINDS = [
    ("A customer count lists customers, +1 added and -1 lost, adding up to the value",
     ["azure.net_customer_adds", "modern_work.net_customer_adds", "security.net_customer_adds"], adds_up,
     {"azure": "customers", "m365": "customers", None: "customers"}),
    ("Business Applications counts tenant × workload pairs, adding up to the value",
     ["business_applications.net_customer_adds"], adds_up, {None: "pairs"}),
    ("A deployment count lists deployments (tenants, pairs) adding up to the value",
     ["modern_work.deployments", "security.deployments", "business_applications.deployments"], adds_up,
     {"azure": "deployments", "m365": "deployments", None: "deployments"}),
    ("Azure deployments list each Azure service once, adding up to the value",
     ["azure.deployments"], adds_up, {None: "services"}),
    ("Modern Work usage growth lists the active users of the type that counts, adding up to the value",
     ["modern_work.usage_growth"], adds_up, {None: "active users"}),
    ("Azure usage growth is the growth % of the tenants' ACR, each tenant's change in dollars",
     ["azure.usage_growth"], percent_of_sums, {None: "USD ACR"}),
    ("Business Applications usage growth is the growth % of the pairs' MCV",
     ["business_applications.usage_growth"], percent_of_sums, {None: "MCV"}),
    ("Security usage growth lists Security ACR dollars and protected users, each part in its unit",
     ["security.usage_growth"], security_growth, {"azure": "USD Security ACR", "m365": "protected users"}),
    ("Certified people count each person once", ["certified_people"], adds_up, {None: "people"}),
    ("Stepped skilling counts the people of the steps that earn points",
     ["stepped_certifications"], distinct_people, {None: "people"}),
]


@pytest.mark.parametrize("formulas, check, units", [k[1:] for k in KINDS], ids=[k[0] for k in KINDS])
def test_explain_facts_are_the_metrics_own_entities_in_its_unit(explained, formulas, check, units):
    seen = 0
    for partner, area, rule, m in explained:
        if rule.formula not in formulas:
            continue
        seen += 1
        where = (partner, area, m["metric"])
        try:
            check(rule, m)
        except AssertionError as failed:
            raise AssertionError(f"{where}: {failed}") from None
        for f in m["facts"]:
            part = f["part"] if f["part"] in units else None
            assert f.get("unit") == units[part], where
    assert seen, "the demo has metrics of this kind"



GAIN = [
    ("Business Applications' net customer adds are gained a customer × workload pair at a time",
     "business_applications.net_customer_adds", "more net customer × workload pairs"),
    ("The Azure areas' deployments are gained an Azure service at a time", "azure.deployments", "more Azure services"),
    ("Security's net customer adds are gained a net customer at a time", "security.net_customer_adds",
     "more net customers"),
]


@pytest.mark.parametrize("formula, unit", [g[1:] for g in GAIN], ids=[g[0] for g in GAIN])
def test_explain_to_gain_names_what_one_more_unit_is(explained, formula, unit):
    short = [m for _p, _a, rule, m in explained if rule.formula == formula and m["points"] < m["max_points"]]
    assert short, "the demo has such a metric below its maximum"
    assert all(unit in m["to_gain"] for m in short)
