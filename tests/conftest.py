"""Shared pytest set-up: the rule-case plugin (tests/rules/*.yaml, see rules_plugin.py) and data fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from rules_plugin import pytest_collect_file  # noqa: F401  (pytest hook, re-exported)

DATA = Path(__file__).parent / "data"

# Compiled plans go to a folder of this test run (inherited by the CLI and server processes tests start),
# not to the user's cache: every run compiles afresh, so a compile error cannot hide behind a stored plan.
os.environ["PARTNERSCORE_PLAN_CACHE"] = tempfile.mkdtemp(prefix="partnerscore-test-plans-")


@pytest.fixture
def small_dataset(tmp_path: Path) -> Path:
    """A copy of the small hand-checked data set (two partners, three tenants, 34 months)."""
    folder = tmp_path / "small"
    shutil.copytree(DATA / "small", folder)
    return folder


@pytest.fixture(scope="session")
def demo_dataset(tmp_path_factory) -> Path:
    """The seeded demo data set written as CSV once per session."""
    from partnerscore.demo.fixtures import build_demo, write_dataset

    return write_dataset(build_demo(42), tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture(scope="session")
def demo_db(demo_dataset: Path, tmp_path_factory) -> Path:
    """The demo data set imported into a DuckDB file once per session (read-only by convention)."""
    from partnerscore.ingest.importer import import_dataset

    db = tmp_path_factory.mktemp("demo-db") / "demo.duckdb"
    import_dataset(demo_dataset, db)
    return db
