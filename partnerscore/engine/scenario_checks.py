"""A scenario checked against the ledger, as an import checks its references (issue 16 §6).

A what-if that names a partner, tenant, subscription, association or certification the ledger does
not know, or whose end comes before its start, would score a ledger that cannot exist and print
numbers that look right. So the front doors (the `whatif` command and the web's what-if) refuse it,
one line per problem naming the change and the key. The partner a what-if is for may end only its own
associations (or, as an indirect provider, those it is the provider of) and change only its own
people's certifications. Plan builds its own changes, with IDs of its own making (`plan-osu-…`,
`new-<list>-1`), and calls the engine without these checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache

from partnerscore.engine.as_of import out_of_range
from partnerscore.engine.connect import Tables
from partnerscore.engine.months import month_end
from partnerscore.engine.scenario import (
    AddAssociation, AddCertification, AddUsage, Change, EndAssociation, ExpireCertification, MoveSubscription, where,
)
from partnerscore.errors import ScenarioError
from partnerscore.rules.load import all_rule_files, load_file
from partnerscore.rules.names import cert_key

Problems = Iterator[tuple[str, str]]  # (key, reason)


@cache
def listed_certifications() -> frozenset[str]:
    """The keys of every certification (name, exam code, alias) a certification list of any rule version names."""
    keys: set[str] = set()
    for path in all_rule_files():
        if path.parent.name == "associations":
            continue
        for certs in load_file(path, "area").certification_lists.values():
            for cert in certs:
                keys.update(cert_key(name) for name in (cert.name, cert.code, *cert.aliases) if name)
    return frozenset(keys)


def _named(changes: list[Change], key: str) -> list[str]:
    return sorted({v for c in changes if (v := getattr(c, key, None)) is not None})


def _rows(table, column: str, values: list[str], *columns: str) -> list[dict]:
    """The rows of `table` whose `column` is one of `values` (none asked, none read)."""
    if not values:
        return []
    return table.filter(table[column].isin(values)).select(column, *columns).to_pyarrow().to_pylist()


@dataclass
class Ledger:
    """What the scenario's changes name, as the ledger holds it (only the IDs they name are read)."""

    partners: set[str]
    tenants: set[str]
    subscription_tenant: dict[str, str]
    associations: dict[str, list[dict]]
    certifications: set[str]
    held: set[tuple[str, str, str]]  # (partner, person, certification key)

    @classmethod
    def read(cls, tables: Tables, changes: list[Change]) -> Ledger:
        partner_ids = sorted(set(_named(changes, "partner_id")) | set(_named(changes, "indirect_provider_id")))
        subscriptions = _rows(tables.subscriptions, "subscription_id", _named(changes, "subscription_id"), "tenant_id")
        versions = _rows(tables.associations, "association_id", _named(changes, "association_id"), "partner_id",
                         "indirect_provider_id", "start_date", "known_from", "version_seq")
        associations: dict[str, list[dict]] = {}
        for row in versions:
            associations.setdefault(row["association_id"], []).append(row)
        keys = sorted({cert_key(name) for name in _named(changes, "certification")})
        held = _rows(tables.certifications, "person_id", _named(changes, "person_id"), "partner_id", "cert_key")
        return cls(
            partners={r["partner_id"] for r in _rows(tables.partners, "partner_id", partner_ids)},
            tenants={r["tenant_id"] for r in _rows(tables.customers, "tenant_id", _named(changes, "tenant_id"))},
            subscription_tenant={r["subscription_id"]: r["tenant_id"] for r in subscriptions},
            associations=associations,
            certifications=listed_certifications() | {r["cert_key"] for r in
                                                       _rows(tables.certifications, "cert_key", keys)},
            held={(r["partner_id"], r["person_id"], r["cert_key"]) for r in held})

    def partner(self, key: str, partner_id: str) -> Problems:
        if partner_id not in self.partners:
            yield key, f"no partner {partner_id!r} in the ledger"

    def tenant(self, tenant_id: str) -> Problems:
        if tenant_id not in self.tenants:
            yield "tenant_id", f"no tenant {tenant_id!r} among the ledger's customers"

    def subscription(self, subscription_id: str, tenant_id: str | None = None) -> Problems:
        """An unknown subscription, or one of another tenant than `tenant_id` (when that is known)."""
        owner = self.subscription_tenant.get(subscription_id)
        if owner is None:
            yield "subscription_id", f"no subscription {subscription_id!r} in the ledger"
        elif tenant_id is not None and owner != tenant_id:
            yield "subscription_id", f"subscription {subscription_id!r} belongs to tenant {owner!r}, not {tenant_id!r}"

    def certification(self, name: str) -> Problems:
        if cert_key(name) not in self.certifications:
            yield "certification", (f"no certification {name!r} in the rules' certification lists or the ledger's "
                                    f"certifications; check the name, exam code or alias")


def _own_partner(change: AddCertification | ExpireCertification, partner_id: str, ledger: Ledger) -> Problems:
    known = list(ledger.partner("partner_id", change.partner_id))
    yield from known
    if not known and change.partner_id != partner_id:
        yield "partner_id", (f"the what-if is for partner {partner_id}; a certification of partner "
                             f"{change.partner_id} is not its own")


def _add_association(change: AddAssociation, partner_id: str, ledger: Ledger, day: date) -> Problems:
    if change.association_id in ledger.associations:
        yield "association_id", (f"association {change.association_id!r} already exists; give the new one an ID "
                                 "of its own")
    yield from ledger.partner("partner_id", change.partner_id)
    if change.indirect_provider_id is not None:
        yield from ledger.partner("indirect_provider_id", change.indirect_provider_id)
    unknown_tenant = list(ledger.tenant(change.tenant_id))
    yield from unknown_tenant
    if change.subscription_id is not None:
        yield from ledger.subscription(change.subscription_id, None if unknown_tenant else change.tenant_id)
    if change.end_date is not None and change.end_date < change.start_date:
        yield "end_date", f"{change.end_date} is before start_date {change.start_date}"


def _end_association(change: EndAssociation, partner_id: str, ledger: Ledger, day: date) -> Problems:
    versions = ledger.associations.get(change.association_id)
    if not versions:
        yield "association_id", f"no association {change.association_id!r} in the ledger"
        return
    holders = {versions[0]["partner_id"], versions[0]["indirect_provider_id"]}
    if partner_id not in holders:
        yield "association_id", (f"{change.association_id!r} is partner {versions[0]['partner_id']}'s association; "
                                 f"the what-if is for partner {partner_id}, which may end only its own")
    known = [v for v in versions if v["known_from"] <= day] or versions
    start = max(known, key=lambda v: (v["known_from"], v["version_seq"]))["start_date"]
    if change.end_date < start:
        yield "end_date", f"{change.end_date} is before the association's start_date {start}"


def _add_certification(change: AddCertification, partner_id: str, ledger: Ledger, day: date) -> Problems:
    yield from _own_partner(change, partner_id, ledger)
    yield from ledger.certification(change.certification)
    if change.expires_on is not None and change.expires_on < change.earned_on:
        yield "expires_on", f"{change.expires_on} is before earned_on {change.earned_on}"


def _expire_certification(change: ExpireCertification, partner_id: str, ledger: Ledger, day: date) -> Problems:
    own = list(_own_partner(change, partner_id, ledger))
    yield from own
    known = list(ledger.certification(change.certification))
    yield from known
    held = (change.partner_id, change.person_id, cert_key(change.certification)) in ledger.held
    if not own and not known and not held:
        yield "person_id", f"{change.person_id} of partner {change.partner_id} holds no {change.certification!r}"


def _move_subscription(change: MoveSubscription, partner_id: str, ledger: Ledger, day: date) -> Problems:
    yield from ledger.subscription(change.subscription_id)


def _add_usage(change: AddUsage, partner_id: str, ledger: Ledger, day: date) -> Problems:
    unknown_tenant = list(ledger.tenant(change.tenant_id))
    yield from unknown_tenant
    yield from ledger.subscription(change.subscription_id, None if unknown_tenant else change.tenant_id)


CHECKS = {AddAssociation: _add_association, EndAssociation: _end_association, AddCertification: _add_certification,
          ExpireCertification: _expire_certification, MoveSubscription: _move_subscription, AddUsage: _add_usage}


def _dates(change: Change) -> Problems:
    """Every date of the change lies in the days partnerscore scores (a month: any of its days does)."""
    for key, value in change:
        if isinstance(value, date) and (reason := out_of_range(value)):
            yield key, reason
    if isinstance(change, AddUsage):
        first = date.fromisoformat(change.month + "-01")
        if (reason := out_of_range(first)) and out_of_range(month_end(first)):
            yield "month", reason


def check_scenario(tables: Tables, partner_id: str, day: date, changes: list[Change], source: str = "scenario") -> None:
    """Refuse a scenario the ledger cannot hold: `ScenarioError`, one line per problem naming the change and key.

    Args:
        tables: the stored ledger the scenario changes.
        partner_id: the partner the what-if is for.
        day: the day scored (an association is ended in its version known on that day).
        changes: the parsed scenario (`engine.scenario.parse_scenario`).
        source: how the problems name the scenario (its file, or `scenario`).
    """
    ledger = Ledger.read(tables, changes)
    problems = [f"{where(source, i, change)} {key}: {reason}"
                for i, change in enumerate(changes)
                for key, reason in [*_dates(change), *CHECKS[type(change)](change, partner_id, ledger, day)]]
    if problems:
        raise ScenarioError(problems)
