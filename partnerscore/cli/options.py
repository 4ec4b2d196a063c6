"""Options shared by several commands, defined once (STYLE convention 7)."""

from __future__ import annotations

import os
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class Format(str, Enum):
    """How a command prints its result."""

    table = "table"
    json = "json"
    csv = "csv"


def default_db() -> Path:
    """The database file: PARTNERSCORE_DB, else `partnerscore.duckdb` in the working directory."""
    return Path(os.environ.get("PARTNERSCORE_DB", "partnerscore.duckdb"))


def parse_day(text: str | None) -> date:
    """An ISO date from the command line; today when omitted."""
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date; use YYYY-MM-DD") from exc


DbOption = Annotated[Path | None, typer.Option(
    "--db", help="partnerscore database file [default: env PARTNERSCORE_DB, else partnerscore.duckdb].")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Score as of this day (YYYY-MM-DD); default today.")]
RecordedOnOption = Annotated[str | None, typer.Option(
    "--recorded-on", help="Only what the ledger had recorded by this day (YYYY-MM-DD).")]
