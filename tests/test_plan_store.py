"""Compiled scoring plans are stored on disk, so a new process replays instead of compiling again; a
partner's plan, compiled for a stand-in, serves every other partner."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from partnerscore.engine import explain as explain_module
from partnerscore.engine import plan as plan_module
from partnerscore.engine import scoring
from partnerscore.engine.connect import open_duckdb, register_arrow
from partnerscore.engine.side_by_side import duckdb_threads
from partnerscore.engine.plan import Plan, PlanCache, PlanStore
from partnerscore.engine.whatif import changed_tables
from partnerscore.ingest.importer import import_dataset
from partnerscore.rules.load import rules_at

DAY = date(2026, 10, 31)


@pytest.fixture
def small_db(small_dataset: Path, tmp_path: Path) -> Path:
    db = tmp_path / "p.duckdb"
    import_dataset(small_dataset, db)
    return db


@pytest.fixture
def store(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "plans"
    monkeypatch.setenv("PARTNERSCORE_PLAN_CACHE", str(folder))
    return folder


def new_process(monkeypatch) -> None:
    """What a new process starts with: no plan in memory, the same plan folder."""
    plans = PlanCache(store=PlanStore())
    monkeypatch.setattr(scoring, "PLANS", plans)
    monkeypatch.setattr(explain_module, "PLANS", plans)


def no_compiling(*args, **kwargs):
    raise AssertionError("the plan was compiled again")


def test_a_new_process_replays_the_stored_plan_and_gets_the_same_score(small_db, store, monkeypatch):
    new_process(monkeypatch)
    first = scoring.score(open_duckdb(small_db), DAY).to_json()
    assert len(list(store.glob("*.json"))) == 1
    new_process(monkeypatch)
    monkeypatch.setattr(scoring, "scoring_context", no_compiling)
    assert scoring.score(open_duckdb(small_db), DAY).to_json() == first


def test_a_plan_stored_by_other_code_is_not_replayed(small_db, store, monkeypatch):
    new_process(monkeypatch)
    scoring.score(open_duckdb(small_db), DAY)
    new_process(monkeypatch)
    monkeypatch.setattr(plan_module, "_code_digest", lambda: "another version of partnerscore")
    monkeypatch.setattr(scoring, "scoring_context", no_compiling)
    with pytest.raises(AssertionError, match="compiled again"):
        scoring.score(open_duckdb(small_db), DAY)


def test_an_unreadable_plan_file_is_compiled_again_and_rewritten(small_db, store, monkeypatch):
    new_process(monkeypatch)
    first = scoring.score(open_duckdb(small_db), DAY).to_json()
    (stored,) = store.glob("*.json")
    stored.write_text("{ not json")
    new_process(monkeypatch)
    assert scoring.score(open_duckdb(small_db), DAY).to_json() == first
    assert stored.read_text().startswith("{\"key\"")


def test_plan_cache_off_stores_nothing(small_db, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSCORE_PLAN_CACHE", "off")
    new_process(monkeypatch)
    scoring.score(open_duckdb(small_db), DAY)
    assert PlanStore.folder() is None
    assert not list(tmp_path.rglob("*.json"))


def test_only_the_most_recently_stored_plans_are_kept(store, monkeypatch):
    monkeypatch.setattr(plan_module, "MAX_STORED", 2)
    for key in ("a", "b", "c"):
        PlanStore().put(key, Plan("run", [("t", "SELECT 1")], [("SELECT 1", pa.schema([("x", pa.int32())]))]))
        time.sleep(0.05)  # distinct modification times, whatever the file system's clock granularity
    assert len(list(store.glob("*.json"))) == 2
    assert PlanStore().get("c") is not None


def test_an_explanation_is_replayed_from_its_stored_plan_with_the_same_facts(small_db, store, monkeypatch):
    from partnerscore.engine import explain as explain_module

    new_process(monkeypatch)
    monkeypatch.setattr(explain_module, "PLANS", scoring.PLANS)
    first = explain_module.explain(open_duckdb(small_db), "P1", "infrastructure", DAY).to_json()
    new_process(monkeypatch)
    monkeypatch.setattr(explain_module, "PLANS", scoring.PLANS)
    monkeypatch.setattr(scoring, "scoring_context", no_compiling)
    monkeypatch.setattr(explain_module, "scoring_context", no_compiling)
    again = explain_module.explain(open_duckdb(small_db), "P1", "infrastructure", DAY).to_json()
    assert again == first
    assert any(m["facts"] for m in first["metrics"]) and first["associations"]


def test_one_partners_plan_scores_every_other_partner_without_compiling(small_db, store, monkeypatch):
    new_process(monkeypatch)
    tables = open_duckdb(small_db)
    everyone = scoring.score(tables, DAY).to_json()["partners"]
    first, *others = [p["partner_id"] for p in everyone]
    assert others, "the small data set has two partners"
    scoring.score(tables, DAY, partners=[first])
    monkeypatch.setattr(scoring, "scoring_context", no_compiling)
    for partner in [first, *others]:
        alone = scoring.score(tables, DAY, partners=[partner]).to_json()["partners"]
        assert alone == [p for p in everyone if p["partner_id"] == partner]


def test_one_partners_explanation_plan_explains_every_other_partner_without_compiling(small_db, store, monkeypatch):
    tables = open_duckdb(small_db)
    first, second = [p["partner_id"] for p in scoring.score(tables, DAY).to_json()["partners"]][:2]
    alone = PlanCache(store=None)  # the second partner's explanation compiled for itself, stored nowhere
    monkeypatch.setattr(scoring, "PLANS", alone)
    monkeypatch.setattr(explain_module, "PLANS", alone)
    compiled = explain_module.explain(tables, second, "infrastructure", DAY)
    new_process(monkeypatch)
    explain_module.explain(tables, first, "infrastructure", DAY)
    monkeypatch.setattr(explain_module, "scoring_context", no_compiling)
    monkeypatch.setattr(scoring, "scoring_context", no_compiling)
    assert explain_module.explain(tables, second, "infrastructure", DAY) == compiled


def databases(tables) -> list[str]:
    """The databases attached to the store's connection (a side-by-side run attaches one for its tables)."""
    return [name for (name,) in tables.backend.con.execute("SELECT database_name FROM duckdb_databases()").fetchall()]


def two_threads(tables):
    """Statements side by side on two connections, whatever this machine's count of cores."""
    tables.backend.con.execute("SET threads = 2")
    return tables


def test_a_partners_statements_side_by_side_give_what_they_give_one_at_a_time(demo_db):
    tables = two_threads(open_duckdb(demo_db))
    everyone = [p["partner_id"] for p in scoring.score(tables, DAY).to_json()["partners"]]
    before = databases(tables)
    scoring.score(tables, DAY, partners=everyone[:1])
    plan = scoring.PLANS.get(scoring.plan_key(tables, DAY, rules_at(DAY), None, everyone[:1], None))
    assert len(plan.temporaries) > 20
    for partner in everyone:
        (together,) = plan.replay(tables.backend, [partner], side_by_side=True)
        (in_turn,) = plan.replay(tables.backend, [partner])
        assert together.equals(in_turn), partner
    assert databases(tables) == before
    assert duckdb_threads(tables.backend) == 2, "the run sets DuckDB's thread count back"


def test_a_failing_statement_ends_a_side_by_side_run_with_its_error_leaving_no_table_and_the_threads_as_they_were(small_db):
    tables = two_threads(open_duckdb(small_db))
    scoring.score(tables, DAY, partners=["P1"])
    plan = scoring.PLANS.get(scoring.plan_key(tables, DAY, rules_at(DAY), None, ["P1"], None))
    broken = Plan(plan.run_id, list(plan.temporaries), plan.finals)
    name, sql = broken.temporaries[5]
    broken.temporaries[5] = (name, sql.replace("SELECT", "SELECT no_such_column,", 1))
    before = databases(tables)
    with pytest.raises(duckdb.BinderException, match="no_such_column"):
        broken.replay(tables.backend, ["P1"], side_by_side=True)
    assert databases(tables) == before
    assert duckdb_threads(tables.backend) == 2
    (again,) = plan.replay(tables.backend, ["P1"], side_by_side=True)
    assert again.num_rows > 0


def test_only_a_stores_own_tables_run_side_by_side_not_a_copy_registered_on_one_connection(small_db):
    tables = open_duckdb(small_db)
    copy = register_arrow(tables.backend, "ps_test_associations", tables.associations.to_pyarrow())
    assert tables.shared
    assert not replace(tables, associations=copy).shared
    assert not changed_tables(tables, [], DAY).shared
