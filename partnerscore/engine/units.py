"""The units a metric's facts count in, and an amount written with its unit ("+3 customers").

Every fact (`engine/facts.py`) carries the unit of its contribution, so that `explain`, `diff` and
`whatif` print "+1 customer", "+USD 1,200 Security ACR" or "-2 people" rather than a bare number. A
unit is a plural noun, or "USD <what>" for dollars.
"""

from __future__ import annotations

CUSTOMERS = "customers"
PAIRS = "pairs"  # tenant × workload pairs (Business Applications, R12)
DEPLOYMENTS = "deployments"
SERVICES = "services"
PEOPLE = "people"
ACTIVE_USERS = "active users"
PROTECTED_USERS = "protected users"
MCV = "MCV"
USD_ACR = "USD ACR"
USD_SECURITY_ACR = "USD Security ACR"

SINGULAR = {CUSTOMERS: "customer", PAIRS: "pair", DEPLOYMENTS: "deployment", SERVICES: "service",
            PEOPLE: "person", ACTIVE_USERS: "active user", PROTECTED_USERS: "protected user"}


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def amount(value: float | int | None, unit: str | None, signed: bool = True) -> str:
    """`value` written with its unit, signed by default.

    >>> amount(3, "customers"), amount(-1, "people"), amount(1200, "USD ACR"), amount(0.5, "MCV", signed=False)
    ('+3 customers', '-1 person', '+USD 1,200 ACR', '0.50 MCV')
    """
    if value is None:
        return "—"
    sign = ("+" if value > 0 else "-" if value < 0 else "") if signed else ("-" if value < 0 else "")
    if unit is None:
        return sign + _number(abs(value))
    if unit.startswith("USD "):
        return f"{sign}USD {_number(abs(value))} {unit[4:]}"
    noun = SINGULAR.get(unit, unit) if abs(value) == 1 else unit
    return f"{sign}{_number(abs(value))} {noun}"
