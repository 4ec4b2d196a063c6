"""What a Partner ID is, and which Partner IDs `pal link` refuses before sending anything to Azure.

A Partner ID (formerly MPN ID) is a number. A company has a global account (PGA) and one or more
location accounts (PLA), each with its own Partner ID; Partner Center uses the location IDs for
incentives and transactions, and the PAL FAQ asks for the associated (location) Partner ID. So when the
ledger lists locations under an ID, linking that global ID would credit nobody: `pal link` refuses it and
names the locations instead (docs/pal.md cites the pages).
"""

from __future__ import annotations

import re

from partnerscore.engine.connect import Tables
from partnerscore.errors import PartnerscoreError
from partnerscore.pal.ledger import locations_of

#: Digits only; the bounds catch a truncated paste and an object or tenant ID, not real IDs (6–7 digits).
PARTNER_ID = re.compile(r"\d{5,10}")
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
NOTHING_SENT = "nothing was sent to Azure"


class PartnerIdRefused(PartnerscoreError):
    """A Partner ID `pal link` will not send: not a Partner ID, or a global account ID."""


def parse_partner_id(text: str) -> str:
    """The Partner ID in `text`, or PartnerIdRefused saying what it looks like instead.

    >>> parse_partner_id(" 4650101 ")
    '4650101'
    >>> parse_partner_id("1b1121dd-6900-412a-af73-e8d44f81e1c1")
    Traceback (most recent call last):
    ...
    partnerscore.pal.ids.PartnerIdRefused: '1b1121dd-6900-412a-af73-e8d44f81e1c1' is not a Partner ID: it is a GUID (a tenant, subscription or object ID). A Partner ID is a number such as 4650101 (Partner Center › Account settings › Identifiers); nothing was sent to Azure
    """
    value = text.strip()
    if PARTNER_ID.fullmatch(value):
        return value
    if GUID.fullmatch(value):
        looks = "it is a GUID (a tenant, subscription or object ID)"
    elif value.isdigit():
        looks = f"it has {len(value)} digits"
    else:
        looks = "it has characters other than digits"
    raise PartnerIdRefused(
        f"{text!r} is not a Partner ID: {looks}. A Partner ID is a number such as 4650101 "
        f"(Partner Center › Account settings › Identifiers); {NOTHING_SENT}")


def ensure_linkable(partner_id: str, tables: Tables) -> None:
    """Refuse a global account (PGA) Partner ID whose location accounts the ledger lists."""
    locations = locations_of(tables, partner_id)
    if not locations:
        return
    names = ", ".join(f"{loc.partner_id} ({loc.name})" for loc in locations)
    raise PartnerIdRefused(
        f"{partner_id} is a global account (PGA) Partner ID: the ledger lists its locations {names}. "
        f"PAL credits a location's Partner ID; link one of those, e.g. "
        f"`partnerscore pal link --partner-id {locations[0].partner_id}`; {NOTHING_SENT}")
