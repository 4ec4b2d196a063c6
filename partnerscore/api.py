"""The library's front door: score a data set folder or a partnerscore database.

Every front end (CLI, web, tests) calls these functions; they hold no rule of their own. A day left
out (None) is the ledger's default day, the last day of its latest month with usage
(`engine.as_of`); a day given is checked to lie between the first rule version and a year ahead.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from partnerscore.engine.as_of import ScoringDay, check_day, resolve_day
from partnerscore.engine.connect import Tables, open_duckdb
from partnerscore.engine.report import ScoreReport
from partnerscore.engine.scoring import score
from partnerscore.errors import PartnerscoreError
from partnerscore.ingest.importer import import_dataset


def _parse(as_of: date | str, what: str = "as_of") -> date:
    """A day given as a date or an ISO string, checked to lie in the days partnerscore scores."""
    if not isinstance(as_of, date):
        try:
            as_of = date.fromisoformat(as_of)
        except ValueError:
            raise PartnerscoreError(f"{what} {as_of!r} is not a date; use YYYY-MM-DD") from None
    return check_day(as_of, what)


def scoring_day(tables: Tables, as_of: date | str | None) -> ScoringDay:
    """The day to score on `tables`: `as_of` (checked), else the ledger's default day, with its warnings."""
    return resolve_day(tables, None if as_of is None else _parse(as_of))


def _day(tables: Tables, as_of: date | str | None) -> date:
    return scoring_day(tables, as_of).day


def score_db(db: Path | str, as_of: date | str | None = None, *, partners: list[str] | None = None,
             recorded_on: date | None = None) -> ScoreReport:
    """Score the partners of a partnerscore DuckDB file as of a day (default: the last month with usage).

    The report's `day` says how the day was chosen and carries its warnings (a month without usage).
    """
    tables = open_duckdb(db)
    try:
        day = scoring_day(tables, as_of)
        report = score(tables, day.day, partners=partners,
                       recorded_on=None if recorded_on is None else _parse(recorded_on, "recorded_on"))
        return replace(report, day=day)
    finally:
        tables.backend.disconnect()


def score_dataset(dataset: Path | str, as_of: date | str, *, engine: str = "duckdb") -> dict:
    """Import a data-set folder into a temporary database and return the contract's JSON document."""
    if engine != "duckdb":
        from partnerscore.engine.spark import score_dataset_on_spark
        return score_dataset_on_spark(dataset, _parse(as_of)).to_json()
    with tempfile.TemporaryDirectory(prefix="partnerscore-") as tmp:
        db = Path(tmp) / "score.duckdb"
        import_dataset(Path(dataset), db)
        return score_db(db, as_of).to_json()


def explain_db(db: Path | str, partner_id: str, area: str, as_of: date | str | None = None,
               metric: str | None = None):
    """Explain a partner's score in one area (see `engine.explain.explain`)."""
    from partnerscore.engine.explain import explain

    tables = open_duckdb(db)
    try:
        return explain(tables, partner_id, area, _day(tables, as_of), metric)
    finally:
        tables.backend.disconnect()


def validate_db(db: Path | str, as_of: date | str | None = None):
    """Every ledger finding as of a day (see `ledger.audits.validate`)."""
    from partnerscore.ledger.audits import validate

    tables = open_duckdb(db)
    try:
        return validate(tables, _day(tables, as_of))
    finally:
        tables.backend.disconnect()


def list_associations_db(db: Path | str, as_of: date | str | None = None, **filters) -> tuple[list[dict], int]:
    """One page of the association ledger with statuses (see `ledger.listing.list_associations`)."""
    from partnerscore.ledger.listing import list_associations

    tables = open_duckdb(db)
    try:
        return list_associations(tables, _day(tables, as_of), **filters)
    finally:
        tables.backend.disconnect()


def whatif_db(db: Path | str, partner_id: str, as_of: date | str | None, changes: list | dict, *,
              before: ScoreReport | None = None):
    """Score a partner before and after a scenario, without writing to the ledger (see `engine.whatif`);
    `before` is the partner's stored score when the caller already has it.

    The scenario is refused (`ScenarioError`) when it is malformed or names what the ledger does not
    hold (`engine.scenario_checks`).
    """
    from partnerscore.engine.scenario import parse_scenario
    from partnerscore.engine.scenario_checks import check_scenario
    from partnerscore.engine.whatif import whatif

    tables = open_duckdb(db)
    try:
        day, scenario = _day(tables, as_of), parse_scenario(changes)
        check_scenario(tables, partner_id, day, scenario)
        return whatif(tables, partner_id, day, scenario, before=before)
    finally:
        tables.backend.disconnect()


def associations_db(db: Path | str, partner_id: str, as_of: date | str | None = None, *,
                    replays: int | None = 10):
    """A partner's association inventory with the points each carries (see `ledger.inventory.inventory`)."""
    from partnerscore.ledger.inventory import inventory

    tables = open_duckdb(db)
    try:
        return inventory(tables, partner_id, _day(tables, as_of), replays=replays)
    finally:
        tables.backend.disconnect()
