"""An explanation states the score `score` gives: one run computes the area's score beside the facts
of every path, and it must agree with the score and show the facts of the path that counts, partner
by partner. On a store's tables it runs on the tenants' integer keys and must show what it shows when
it runs on the IDs themselves."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.explain import explain
from partnerscore.engine.movers import metric_facts
from partnerscore.engine.scoring import score
from partnerscore.errors import PartnerscoreError
from partnerscore.rules.schema import AREAS

DAY = date(2026, 10, 31)


def rows(facts: list[dict]) -> list[tuple]:
    return sorted(tuple(sorted((k, str(v)) for k, v in row.items())) for row in facts)


@pytest.fixture(scope="module")
def demo(demo_db):
    tables = open_duckdb(demo_db)
    return tables, score(tables, DAY)


@pytest.mark.parametrize("area", AREAS)
def test_every_partners_explanation_states_its_score_track_verdict_and_metrics(demo, area):
    tables, report = demo
    for partner in report.partners:
        scored = partner.area(area).to_json()
        told = explain(tables, partner.partner_id, area, DAY).to_json()
        assert (told["track"], told["points"], told["qualified"]) == (scored["track"], scored["points"],
                                                                      scored["qualified"]), partner.partner_id
        assert [(m["metric"], m["value"], m["points"]) for m in told["metrics"]] == [
            (m["metric"], m["value"], m["points"]) for m in scored["metrics"]], partner.partner_id
        facts = metric_facts(tables, partner.partner_id, DAY, {area: partner.area(area)})
        for m in told["metrics"]:
            assert rows(m["facts"]) == rows(facts[(area, m["metric"])]), (partner.partner_id, m["metric"])


def test_one_metric_explained_is_that_metric_of_the_path_that_counts(demo):
    tables, report = demo
    partner = report.partners[0]
    whole = explain(tables, partner.partner_id, "modern_work", DAY).to_json()
    alone = explain(tables, partner.partner_id, "modern_work", DAY, "usage_growth").to_json()
    assert [m["metric"] for m in alone["metrics"]] == ["usage_growth"]
    assert alone["metrics"][0] == next(m for m in whole["metrics"] if m["metric"] == "usage_growth")


def test_a_metric_the_area_does_not_have_is_a_clear_error(demo):
    tables, report = demo
    with pytest.raises(PartnerscoreError, match="data_ai has no metric 'advanced_certifications'"):
        explain(tables, report.partners[0].partner_id, "data_ai", DAY, "advanced_certifications")


@pytest.mark.parametrize("area", AREAS)
def test_an_explanation_on_tenant_keys_shows_the_tenant_ids_it_shows_when_run_on_the_ids(demo, area):
    tables, report = demo
    assert tables.keyed and tables.tenant_keys is not None
    on_ids = replace(tables, tenant_keys=None)  # no names for the keys: explained on the IDs themselves
    shown = 0
    for partner in report.partners:
        told = explain(tables, partner.partner_id, area, DAY).to_json()
        assert told == explain(on_ids, partner.partner_id, area, DAY).to_json(), partner.partner_id
        shown += sum(f["entity_kind"] in ("tenant", "pair") for m in told["metrics"] for f in m["facts"])
    assert shown, "the demo's explanations list tenants in every area"
