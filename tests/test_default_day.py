"""The default day (issue 16 §4): without a day, partnerscore scores the last day of the ledger's latest
month with usage, every header says which day was used and how it was chosen, and a day after the
data's last month warns, naming the months without usage. Through the library, the CLI and the web.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from web_support import FABRIKAM

from partnerscore.api import score_db
from partnerscore.ingest.importer import import_dataset

LAST_DAY = date(2026, 10, 31)  # the demo's and the small data set's usage end with 2026-10
ONE_MONTH_MISSING = "no usage reported for 2026-11 (the ledger's usage ends with 2026-10)"


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("small") / "small.duckdb"
    import_dataset(Path(__file__).parent / "data" / "small", db)
    return db


@pytest.fixture(scope="module")
def no_usage_db(tmp_path_factory) -> Path:
    """The small data set with its usage table emptied (the header row only)."""
    folder = tmp_path_factory.mktemp("no-usage") / "data"
    shutil.copytree(Path(__file__).parent / "data" / "small", folder)
    (folder / "usage.csv").write_text((folder / "usage.csv").read_text().splitlines()[0] + "\n")
    import_dataset(folder, folder.parent / "empty.duckdb")
    return folder.parent / "empty.duckdb"


# --- the library ---------------------------------------------------------------------------------

LIBRARY = [
    ("Without a day, the demo is scored as of the last day of its last month with usage, not today",
     None, LAST_DAY, "last_usage", []),
    ("A day the caller names is scored and said to be named", "2026-09-30", date(2026, 9, 30), "as_of", []),
    ("A day in the month after the last with usage warns that the month has no usage",
     "2026-12-07", date(2026, 12, 7), "as_of",
     [f"{ONE_MONTH_MISSING}: as of 2026-12-07, usage metrics count that month as zero; score 2026-10-31 or "
      "import the missing usage"]),
    ("A day months after the data names the range of months without usage", "2027-03-31", date(2027, 3, 31), "as_of",
     ["no usage reported for 2026-11 to 2027-03 (5 months) (the ledger's usage ends with 2026-10): as of "
      "2027-03-31, usage metrics count those months as zero; score 2026-10-31 or import the missing usage"]),
    ("A day in the month after the last with usage scores that last month, so it needs no warning",
     "2026-11-15", date(2026, 11, 15), "as_of", []),
]


@pytest.mark.parametrize("name, given, day, source, warnings", LIBRARY, ids=[c[0] for c in LIBRARY])
def test_score_db_day_is_chosen_and_described(demo_db, name, given, day, source, warnings):
    report = score_db(demo_db, given, partners=[FABRIKAM])
    assert (report.as_of, report.day.source, list(report.day.warnings)) == (day, source, warnings)


def test_score_db_on_a_ledger_without_usage_scores_today_with_a_warning(no_usage_db):
    report = score_db(no_usage_db)
    assert (report.as_of, report.day.source) == (date.today(), "today")
    assert report.day.warnings == (f"the ledger holds no usage: as of {date.today()} every usage metric is zero; "
                                   "import usage to score it",)
