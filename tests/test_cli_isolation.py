"""Each command run for one partner names only that partner's customers, subscriptions and people.

The web walk (`test_web_isolation.py`) calls every route as Adatum's viewer. These run the commands on
the demo for partners of other roles: the association inventory, which has no route, for a reseller,
an indirect provider and a licensing partner whose customers other partners serve too ("who else is on
the same scope" may name those partners, never their other customers); and the other commands that
list entities for the indirect provider Tailspin, whose customers are its resellers' CSP_INDIRECT
tenants and not their CPOR ones.
"""

from __future__ import annotations

import pytest
from test_web_isolation import read_entities
from typer.testing import CliRunner
from web_support import ADATUM, AS_OF, TAILSPIN

from partnerscore.cli.app import app

WOODGROVE = "4650707"

DAY = ["--as-of", AS_OF]
COMMANDS = [
    ("Adatum's association inventory", ADATUM, ["associations", ADATUM, "--replays", "0", *DAY]),
    ("Tailspin's association inventory", TAILSPIN, ["associations", TAILSPIN, "--replays", "0", *DAY]),
    ("Woodgrove's association inventory, beside Fabrikam's DPORs and PALs", WOODGROVE,
     ["associations", WOODGROVE, "--replays", "0", *DAY]),
    ("Tailspin's alerts", TAILSPIN, ["alerts", TAILSPIN, "--within", "90", *DAY]),
    ("Tailspin's diff since the last month end", TAILSPIN, ["diff", TAILSPIN, "--from", "2026-09-30", "--to", AS_OF]),
    ("Tailspin's forecast", TAILSPIN, ["forecast", TAILSPIN, "--months", "1", *DAY]),
    ("Tailspin's Modern Work explanation", TAILSPIN, ["explain", TAILSPIN, "modern_work", *DAY]),
    ("Tailspin's Infrastructure explanation", TAILSPIN, ["explain", TAILSPIN, "infrastructure", *DAY]),
]


@pytest.fixture(scope="module")
def entities(demo_db):
    return {p: read_entities(demo_db, p) for p in {c[1] for c in COMMANDS}}


@pytest.mark.parametrize("partner,args", [c[1:] for c in COMMANDS],
                         ids=[f"{c[0]} names only its own customers and people" for c in COMMANDS])
def test_command_names_only_the_partners_entities(demo_db, entities, partner, args):
    result = CliRunner().invoke(app, [*args, "--db", str(demo_db), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout) > 200, "the command listed something to check"
    assert not entities[partner].leaks(result.stdout), entities[partner].leaks(result.stdout)[:10]
