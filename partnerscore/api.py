"""The library's front door: score a data set folder or a partnerscore database.

Every front end (CLI, web, tests) calls these functions; they hold no rule of their own.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from partnerscore.engine.connect import open_duckdb
from partnerscore.engine.report import ScoreReport
from partnerscore.engine.scoring import score
from partnerscore.ingest.importer import import_dataset


def _day(as_of: date | str) -> date:
    return as_of if isinstance(as_of, date) else date.fromisoformat(as_of)


def score_db(db: Path | str, as_of: date | str, *, partners: list[str] | None = None,
             recorded_on: date | None = None) -> ScoreReport:
    """Score the partners of a partnerscore DuckDB file as of a day."""
    tables = open_duckdb(db)
    try:
        return score(tables, _day(as_of), partners=partners, recorded_on=recorded_on)
    finally:
        tables.backend.disconnect()


def score_dataset(dataset: Path | str, as_of: date | str, *, engine: str = "duckdb") -> dict:
    """Import a data-set folder into a temporary database and return the contract's JSON document."""
    if engine != "duckdb":
        from partnerscore.engine.spark import score_dataset_on_spark
        return score_dataset_on_spark(dataset, _day(as_of)).to_json()
    with tempfile.TemporaryDirectory(prefix="partnerscore-") as tmp:
        db = Path(tmp) / "score.duckdb"
        import_dataset(Path(dataset), db)
        return score_db(db, as_of).to_json()


def explain_db(db: Path | str, partner_id: str, area: str, as_of: date | str, metric: str | None = None):
    """Explain a partner's score in one area (see `engine.explain.explain`)."""
    from partnerscore.engine.explain import explain

    tables = open_duckdb(db)
    try:
        return explain(tables, partner_id, area, _day(as_of), metric)
    finally:
        tables.backend.disconnect()


def validate_db(db: Path | str, as_of: date | str):
    """Every ledger finding as of a day (see `ledger.audits.validate`)."""
    from partnerscore.ledger.audits import validate

    tables = open_duckdb(db)
    try:
        return validate(tables, _day(as_of))
    finally:
        tables.backend.disconnect()


def list_associations_db(db: Path | str, as_of: date | str, **filters) -> tuple[list[dict], int]:
    """One page of the association ledger with statuses (see `ledger.listing.list_associations`)."""
    from partnerscore.ledger.listing import list_associations

    tables = open_duckdb(db)
    try:
        return list_associations(tables, _day(as_of), **filters)
    finally:
        tables.backend.disconnect()


def whatif_db(db: Path | str, partner_id: str, as_of: date | str, changes: list | dict, *,
              before: ScoreReport | None = None):
    """Score a partner before and after a scenario, without writing to the ledger (see `engine.whatif`);
    `before` is the partner's stored score when the caller already has it."""
    from partnerscore.engine.whatif import parse_scenario, whatif

    tables = open_duckdb(db)
    try:
        return whatif(tables, partner_id, _day(as_of), parse_scenario(changes), before=before)
    finally:
        tables.backend.disconnect()


def associations_db(db: Path | str, partner_id: str, as_of: date | str, *, replays: int | None = 10):
    """A partner's association inventory with the points each carries (see `ledger.inventory.inventory`)."""
    from partnerscore.ledger.inventory import inventory

    tables = open_duckdb(db)
    try:
        return inventory(tables, partner_id, _day(as_of), replays=replays)
    finally:
        tables.backend.disconnect()
