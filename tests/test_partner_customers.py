"""A partner's customers (`ledger/customers.py`): the tenants on which it holds or held an association.

Each case is a small ledger: association rows (id, partner, type, tenant, subscription, indirect
provider, end date) and the customers expected for one partner.
"""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from partnerscore.engine.connect import Tables
from partnerscore.ledger.customers import partner_customers, partner_entities

SUBSCRIPTIONS = [("S1", "T1"), ("S2", "T2"), ("S3", "T3"), ("S9", "T9")]
PARENTS = {"R1": "IP", "R2": "IP"}  # both resellers name the indirect provider IP as their parent


def tables(rows: list[tuple], certifications: list[tuple] = ()) -> Tables:
    con = ibis.duckdb.connect()
    columns = ("association_id", "partner_id", "type", "tenant_id", "subscription_id", "indirect_provider_id",
               "end_date")
    associations = {c: [r[i] if i < len(r) else None for r in rows] for i, c in enumerate(columns)}
    schema = {c: "date" if c == "end_date" else "string" for c in columns}
    people = {"partner_id": [c[0] for c in certifications], "person_id": [c[1] for c in certifications]}
    return Tables(
        con,
        con.create_table("partners", ibis.memtable({"partner_id": ["P1", "P2", "IP", "R1", "R2"],
                                                    "parent_partner_id": [None, None, None, "IP", "IP"]})),
        None,
        con.create_table("subscriptions", ibis.memtable({"subscription_id": [s for s, _ in SUBSCRIPTIONS],
                                                         "tenant_id": [t for _, t in SUBSCRIPTIONS]})),
        con.create_table("associations", ibis.memtable(associations, schema=schema)),
        None,
        con.create_table("certifications", ibis.memtable(people, schema={"partner_id": "string",
                                                                         "person_id": "string"})))


CASES = [
    ("a partner's associations of every type make their tenants its customers",
     [("A1", "P1", "DPOR", "T1", "S1"), ("A2", "P1", "TPOR", "T2", "S2"), ("A3", "P1", "CPOR_OSU", "T3")],
     "P1", {"T1", "T2", "T3"}),
    ("an ended association still makes its tenant a customer (held, not only holds)",
     [("A1", "P1", "PAL", "T1", "S1", None, date(2020, 1, 31))], "P1", {"T1"}),
    ("a tenant only another partner holds is not a customer",
     [("A1", "P1", "DPOR", "T1", "S1"), ("B1", "P2", "DPOR", "T2", "S2")], "P1", {"T1"}),
    ("an association that passed to another partner in a later version stays in the first one's customers",
     [("A1", "P1", "DPOR", "T1", "S1"), ("A1", "P2", "DPOR", "T1", "S1")], "P1", {"T1"}),
    ("an indirect provider's customers are the tenants of the CSP_INDIRECT rows naming it",
     [("R1a", "R1", "CSP_INDIRECT", "T1", None, "IP"), ("R2a", "R2", "CSP_INDIRECT", "T2", None, "IP")],
     "IP", {"T1", "T2"}),
    ("a reseller's CPOR and its rows naming no provider are not its parent provider's customers",
     [("R1a", "R1", "CSP_INDIRECT", "T1", None, "IP"), ("R1b", "R1", "CPOR_OSU", "T2"),
      ("R1c", "R1", "CSP_INDIRECT", "T3")], "IP", {"T1"}),
    ("a reseller's customers are its own rows' tenants, whichever provider they name",
     [("R1a", "R1", "CSP_INDIRECT", "T1", None, "IP"), ("R1b", "R1", "CPOR_OSU", "T2")], "R1", {"T1", "T2"}),
    ("the tenant owning a subscription a row names is a customer too (coverage follows the subscription)",
     [("A1", "P1", "DPOR", "T1", "S9")], "P1", {"T1", "T9"}),
    ("a partner with no association has no customers",
     [("B1", "P2", "DPOR", "T2", "S2")], "P1", set()),
]


@pytest.mark.parametrize("rows,partner,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_partner_customers(rows, partner, expected):
    found = partner_customers(tables(rows), partner).to_pyarrow().column("tenant_id").to_pylist()
    assert sorted(found) == sorted(expected) and len(found) == len(set(found))


def test_partner_entities_are_its_customers_subscriptions_associations_and_people():
    ledger = tables([("A1", "P1", "DPOR", "T1", "S9"), ("A2", "P1", "CPOR_OSU", "T3"), ("B1", "P2", "DPOR", "T2", "S2"),
                     ("R1a", "R1", "CSP_INDIRECT", "T2", None, "P1")],
                    certifications=[("P1", "p1-1"), ("P2", "p2-1")])
    found = partner_entities(ledger, "P1")
    assert found.tenants == {"T1", "T2", "T3", "T9"}
    assert found.subscriptions == {"S1", "S2", "S3", "S9"}
    assert found.associations == {"A1", "A2", "R1a"}
    assert found.people == {"p1-1"}
