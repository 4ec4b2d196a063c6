"""Options shared by several commands, defined once (STYLE convention 7)."""

from __future__ import annotations

import os
import tomllib
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from partnerscore.engine.as_of import ScoringDay, check_day, resolve_day
from partnerscore.engine.connect import Tables


class Format(str, Enum):
    """How a command prints its result."""

    table = "table"
    json = "json"
    csv = "csv"


CONFIG_FILE = "partnerscore.toml"


def setting(key: str, fallback: str) -> str:
    """A default from the environment (PARTNERSCORE_<KEY>), else `partnerscore.toml` in the working
    directory (`key = "value"`), else `fallback`."""
    env = os.environ.get(f"PARTNERSCORE_{key.upper()}")
    if env:
        return env
    config = Path(CONFIG_FILE)
    if config.is_file():
        with config.open("rb") as f:
            value = tomllib.load(f).get(key)
        if value:
            return str(value)
    return fallback


def default_db() -> Path:
    """The database file: PARTNERSCORE_DB or `db` in partnerscore.toml, else `partnerscore.duckdb`."""
    return Path(setting("db", "partnerscore.duckdb"))


def parse_day(text: str | None, option: str = "--as-of") -> date:
    """An ISO date from the command line, in the days partnerscore scores (`DayOutOfRange` names
    `option` and the range); today when omitted, for the commands about the present (letters, PAL
    checks). A command that scores takes its default day from the ledger instead (`as_of_day`)."""
    if text is None:
        return date.today()
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date; use YYYY-MM-DD", param_hint=f"'{option}'") from exc
    return check_day(day, option)


def as_of_day(text: str | None, tables: Tables, option: str = "--as-of") -> ScoringDay:
    """The day a command scores: `option`'s day when given, else the last day of the ledger's latest
    month with usage (today on a ledger without usage), with the warnings to print."""
    return resolve_day(tables, None if text is None else parse_day(text, option))


DbOption = Annotated[Path | None, typer.Option(
    "--db", help="partnerscore database file (default: env PARTNERSCORE_DB, `db` in partnerscore.toml, else partnerscore.duckdb).")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help=(
    "Score as of this day (YYYY-MM-DD); default the last day of the latest month the ledger holds usage for."))]
TodayOption = Annotated[str | None, typer.Option("--as-of", help="As of this day (YYYY-MM-DD); default today.")]
RecordedOnOption = Annotated[str | None, typer.Option(
    "--recorded-on", help="Only what the ledger had recorded by this day (YYYY-MM-DD).")]
EngineOption = Annotated[str | None, typer.Option(
    "--engine", help="duckdb or spark (default: env PARTNERSCORE_ENGINE, `engine` in partnerscore.toml, else duckdb).")]
SparkMasterOption = Annotated[str | None, typer.Option(
    "--spark-master", help="Spark master URL (default: env PARTNERSCORE_SPARK_MASTER, else local[*]).")]
