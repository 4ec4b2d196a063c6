"""Which partners `partnerscore score --all --provider ID` rolls up: the provider and its resellers, whether
the ledger names the reseller in `partners.parent_partner_id` (data contract) or only in a CSP_INDIRECT
association's `indirect_provider_id` (what a Partner Center import knows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from partnerscore.engine.connect import open_duckdb, resellers_of
from partnerscore.errors import PartnerscoreError
from partnerscore.ingest.importer import import_dataset

DATA = Path(__file__).parent / "data"

CASES = [
    ("pal", "contract", "4650404", ["4650505"]),
    ("partner_center", "partner-center", "4650102", ["4650401"]),
    ("partner_center", "partner-center", "4650101", []),
]


@pytest.mark.parametrize("folder, source, provider, resellers", CASES, ids=[
    "A reseller whose parent_partner_id names the indirect provider is rolled up under it",
    "A reseller named only by the provider's CSP Tier 1 row in the Partner Center downloads is rolled up under it",
    "A partner that is no indirect provider has no resellers",
])
def test_resellers_of(tmp_path, folder: str, source: str, provider: str, resellers: list[str]):
    db = tmp_path / "ledger.duckdb"
    import_dataset(DATA / folder, db, source=source)
    assert resellers_of(open_duckdb(db), provider) == resellers


def test_an_unknown_provider_is_an_error_not_an_empty_roll_up(tmp_path):
    db = tmp_path / "ledger.duckdb"
    import_dataset(DATA / "partner_center", db, source="partner-center")
    with pytest.raises(PartnerscoreError, match="unknown partner '4650999': not in the ledger"):
        resellers_of(open_duckdb(db), "4650999")
