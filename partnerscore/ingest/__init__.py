"""Reading, validating and importing data sets into the local DuckDB store.

`import_dataset` is the entry point; `list_imports`, `list_changes` and `list_quarantine` read back what
imports did, changed and rejected; `check_dataset` validates a data set without importing it.
"""

from partnerscore.ingest.importer import ImportReport, check_dataset, import_dataset
from partnerscore.ingest.changes import RowChange
from partnerscore.ingest.quarantine import ImportRecord, list_changes, list_imports, list_quarantine
from partnerscore.ingest.readers import Dataset, read_dataset
from partnerscore.ingest.store import open_store
from partnerscore.ingest.validate import Validation, validate

__all__ = [
    "Dataset",
    "ImportRecord",
    "ImportReport",
    "RowChange",
    "Validation",
    "check_dataset",
    "import_dataset",
    "list_changes",
    "list_imports",
    "list_quarantine",
    "open_store",
    "read_dataset",
    "validate",
]
