"""The large generator: streams Parquet in chunks, in contract form, deterministic and sound."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from partnerscore.demo import CONFLICTS, generate_large
from partnerscore.demo._integrity import integrity_problems
from partnerscore.ingest.tables import CONTRACT, ENUMS


def _read(folder):
    return {name: pq.read_table(folder / f"{name}.parquet") for name in CONTRACT}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("large")
    calls = []
    counts = generate_large(folder, partners=12, customers=600, months=13, seed=3, chunk_customers=100,
                            progress=lambda done, total: calls.append((done, total)))
    return folder, counts, calls


def test_generate_large_counts_match_the_files(written):
    folder, counts, _ = written
    assert counts == {name: pq.ParquetFile(folder / f"{name}.parquet").metadata.num_rows
                      for name in CONTRACT}
    assert counts["partners"] == 12 and counts["customers"] == 600
    assert counts["usage"] > 600 * 13


def test_generate_large_streams_usage_in_chunks(written):
    folder, _, calls = written
    assert pq.ParquetFile(folder / "usage.parquet").metadata.num_row_groups >= 6
    assert calls == [(done, 600) for done in range(100, 601, 100)]


def test_generate_large_respects_the_contract_columns(written):
    folder, _, _ = written
    for name, columns in CONTRACT.items():
        assert pq.read_schema(folder / f"{name}.parquet").names == [c.name for c in columns]


def test_generate_large_is_referentially_sound(written):
    assert integrity_problems(_read(written[0])) == []


def test_generate_large_has_every_kind_type_and_conflict(written):
    tables = _read(written[0])
    roles = set(tables["partners"]["role"].to_pylist())
    assert roles == set(ENUMS[("partners", "role")])
    assoc = tables["associations"].to_pandas()
    assert set(assoc.type) == set(ENUMS[("associations", "type")])
    assert set(CONFLICTS) <= set(assoc.association_id)
    assert len(tables["usage"].to_pandas().groupby("month")) == 13


def test_generate_large_same_arguments_write_the_same_data(written, tmp_path):
    generate_large(tmp_path, partners=12, customers=600, months=13, seed=3, chunk_customers=100)
    first, second = _read(written[0]), _read(tmp_path)
    assert all(first[name].equals(second[name]) for name in CONTRACT)


def test_generate_large_rejects_too_few_months(tmp_path):
    with pytest.raises(ValueError, match="12 months"):
        generate_large(tmp_path, partners=3, customers=10, months=6)
