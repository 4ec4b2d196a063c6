"""The data contract's input tables and the canonical tables partnerscore stores.

`CONTRACT` describes each input table as the data contract (`shared/spec/data-contract.md`) states it:
its columns, their types and which are required. `STORED` gives the DuckDB DDL of the canonical tables
that import writes and the engine reads. The engine reads only stored tables, never raw files, so a
Spark run reads the same canonical columns (exported as Parquet).

Money is stored as integer micro-dollars (`*_micros`) so that sums and threshold tests are exact on
every backend ("totals of exactly 1,000" must not become 999.9999).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["string", "date", "month", "decimal", "integer", "bool"]


@dataclass(frozen=True)
class Column:
    """One column of an input table, as the data contract states it."""

    name: str
    type: ColumnType
    required: bool = False


CONTRACT: dict[str, tuple[Column, ...]] = {
    "partners": (
        Column("partner_id", "string", True),
        Column("name", "string", True),
        Column("role", "string"),
        Column("parent_partner_id", "string"),
    ),
    "customers": (
        Column("tenant_id", "string", True),
        Column("name", "string", True),
        Column("country", "string"),
        Column("segment", "string"),
    ),
    "subscriptions": (
        Column("subscription_id", "string", True),
        Column("tenant_id", "string", True),
        Column("program", "string", True),
        Column("cloud", "string", True),
        Column("start_date", "date", True),
        Column("end_date", "date"),
    ),
    "associations": (
        Column("association_id", "string", True),
        Column("partner_id", "string", True),
        Column("type", "string", True),
        Column("tenant_id", "string", True),
        Column("subscription_id", "string"),
        Column("workload", "string"),
        Column("incentive", "bool"),
        Column("poe_status", "string"),
        Column("indirect_provider_id", "string"),
        Column("rbac_role", "string"),
        Column("start_date", "date", True),
        Column("end_date", "date"),
        Column("principal_id", "string"),
        Column("principal_type", "string"),
        Column("recorded_at", "date"),
    ),
    "usage": (
        Column("month", "month", True),
        Column("tenant_id", "string", True),
        Column("subscription_id", "string", True),
        Column("workload", "string", True),
        Column("acr_usd", "decimal"),
        Column("paid_units", "integer"),
        Column("active_units", "integer"),
        Column("revenue_usd", "decimal"),
    ),
    "certifications": (
        Column("partner_id", "string", True),
        Column("person_id", "string", True),
        Column("certification", "string", True),
        Column("earned_on", "date", True),
        Column("expires_on", "date"),
    ),
}

#: The measure columns of a table: each is optional, but a file of the table must carry at least one,
#: or its rows would store nothing but keys (and replace the stored rows' measures with nothing).
MEASURES: dict[str, tuple[str, ...]] = {"usage": ("acr_usd", "paid_units", "active_units", "revenue_usd")}

#: The file formats a data-set table may come in (`<table>.csv` or `<table>.parquet`).
FORMATS = ("csv", "parquet")

#: Tables a data set must hold; the others are optional.
REQUIRED_TABLES = ("partners", "customers", "subscriptions", "associations", "usage")

#: Allowed values of enumerated columns (data contract).
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("partners", "role"): ("direct_bill", "indirect_provider", "indirect_reseller", "lsp", "services"),
    ("customers", "segment"): ("enterprise", "smb"),
    ("subscriptions", "program"): ("EA", "CSP", "WEB_DIRECT", "CASA_EES", "MCA_E"),
    ("subscriptions", "cloud"): ("azure", "m365", "dynamics365", "power_platform"),
    ("associations", "type"): (
        "CPOR_OSU", "CPOR_OSA", "CPOR_REVREC", "DPOR", "PAL", "CSP_DIRECT", "CSP_INDIRECT", "TPOR",
    ),
    ("associations", "poe_status"): ("none", "submitted", "approved", "rejected"),
    ("associations", "principal_type"): ("user", "service_principal"),
}

#: Canonical DuckDB tables. `workload_key` / `cert_key` are the normalised names the rules match on
#: (lower case, single spaces, aliases resolved); the original spelling is kept beside them.
STORED: dict[str, str] = {
    "partners": """
        partner_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, role VARCHAR,
        parent_partner_id VARCHAR""",
    "customers": """
        tenant_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, country VARCHAR, segment VARCHAR""",
    "subscriptions": """
        subscription_id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, program VARCHAR NOT NULL,
        cloud VARCHAR NOT NULL, start_date DATE NOT NULL, end_date DATE""",
    # The ledger: one row per recorded version of an association; rows are only ever added.
    "associations": """
        version_seq BIGINT NOT NULL, association_id VARCHAR NOT NULL, partner_id VARCHAR NOT NULL,
        type VARCHAR NOT NULL, tenant_id VARCHAR NOT NULL, subscription_id VARCHAR,
        workload VARCHAR, workload_key VARCHAR, incentive BOOLEAN NOT NULL, poe_status VARCHAR NOT NULL,
        indirect_provider_id VARCHAR, rbac_role VARCHAR, start_date DATE NOT NULL, end_date DATE,
        principal_id VARCHAR, principal_type VARCHAR, recorded_at DATE, known_from DATE NOT NULL,
        imported_at TIMESTAMP NOT NULL, import_id VARCHAR NOT NULL""",
    # Unique on (month, subscription_id, workload_key), kept so by the import (a key repeated in a file
    # is rejected, a stored key is replaced), not by a PRIMARY KEY: DuckDB holds such an index in
    # memory whole, about 100 bytes a row, and importing into an 85M-row store then passed 14 GB.
    "usage": """
        month DATE NOT NULL, tenant_id VARCHAR NOT NULL, subscription_id VARCHAR NOT NULL,
        workload VARCHAR NOT NULL, workload_key VARCHAR NOT NULL, acr_micros BIGINT,
        paid_units BIGINT, active_units BIGINT, revenue_micros BIGINT""",
    "certifications": """
        partner_id VARCHAR NOT NULL, person_id VARCHAR NOT NULL, certification VARCHAR NOT NULL,
        cert_key VARCHAR NOT NULL, earned_on DATE NOT NULL, expires_on DATE,
        PRIMARY KEY (partner_id, person_id, cert_key, earned_on)""",
    # An integer key per tenant and subscription ID the store has seen, given once and never changed.
    "tenant_keys": "tenant_id VARCHAR NOT NULL, tenant_key INTEGER NOT NULL",
    "subscription_keys": "subscription_id VARCHAR NOT NULL, subscription_key INTEGER NOT NULL",
    # Bookkeeping of imports, of rejected rows (the quarantine the user can list) and of changed rows.
    # `rows_added` counts new rows and `rows_changed` stored rows replaced or given a new version (null
    # for imports made before the two were told apart); `counts` is JSON, per table read/added/changed.
    "imports": """
        import_id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL,
        files VARCHAR NOT NULL, rows_read BIGINT NOT NULL, rows_added BIGINT NOT NULL,
        rows_rejected BIGINT NOT NULL, status VARCHAR NOT NULL, rows_changed BIGINT, counts VARCHAR""",
    "quarantine": """
        import_id VARCHAR NOT NULL, file VARCHAR NOT NULL, row BIGINT NOT NULL, column_name VARCHAR,
        reason VARCHAR NOT NULL, raw VARCHAR""",
    # One row per stored row an import changed: its key, the changed columns, and the values before and
    # after (JSON, in the contract's columns and text forms; see changes.py).
    "import_changes": """
        import_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, key VARCHAR NOT NULL, columns VARCHAR NOT NULL,
        before VARCHAR NOT NULL, after VARCHAR NOT NULL""",
}

#: Columns added to a stored table after stores were first written: (table, column, type), added to an
#: older store when it is opened.
ADDED_COLUMNS = (("imports", "rows_changed", "BIGINT"), ("imports", "counts", "VARCHAR"))

MICROS_PER_DOLLAR = 1_000_000

#: The integer keys of tenant and subscription IDs: key table -> (ID column, key column). The engine
#: joins and groups on these keys rather than on the IDs, which are strings (36-character GUIDs in
#: Partner Center); see `engine/keys.py` and docs/performance.md.
ID_KEYS: dict[str, tuple[str, str]] = {
    "tenant_keys": ("tenant_id", "tenant_key"),
    "subscription_keys": ("subscription_id", "subscription_key"),
}

#: The stored tables that keep the keys of their IDs beside them (a nullable INTEGER column named
#: after the key, set by the import), and the key tables they take them from.
KEYED: dict[str, tuple[str, ...]] = {
    "customers": ("tenant_keys",),
    "subscriptions": ("subscription_keys", "tenant_keys"),
    "associations": ("tenant_keys", "subscription_keys"),
    "usage": ("tenant_keys", "subscription_keys"),
}
for _table, _keys in KEYED.items():
    STORED[_table] += "".join(f", {ID_KEYS[key][1]} INTEGER" for key in _keys)
