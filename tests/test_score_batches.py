"""Scoring partners in batches gives exactly the report of one run: a partner's score reads only what
bears on it (its associations, any that take its DPORs over, and its tenants' usage)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.scoring import score
from partnerscore.ingest.importer import import_dataset

DAY = date(2026, 10, 31)


@pytest.mark.parametrize("batch", [1, 3], ids=["one partner at a time", "three partners at a time"])
def test_the_demo_scored_in_batches_is_the_demo_scored_at_once(demo_db: Path, batch: int):
    tables = open_duckdb(demo_db)
    assert score(tables, DAY, batch=batch).to_json() == score(tables, DAY).to_json()


def test_score_batch_option_prints_the_same_contract_json(small_dataset: Path, tmp_path: Path):
    db = tmp_path / "p.duckdb"
    import_dataset(small_dataset, db)
    runner = CliRunner()
    once = runner.invoke(app, ["score", "--db", str(db), "--as-of", "2026-10-31", "-f", "json"])
    batched = runner.invoke(app, ["score", "--db", str(db), "--as-of", "2026-10-31", "-f", "json", "--batch", "1"])
    assert batched.exit_code == 0, batched.output
    assert json.loads(batched.stdout) == json.loads(once.stdout)
