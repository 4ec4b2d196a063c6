"""Ledger audits: one function per invariant, each returning the rows that break it (empty = holds).

`validate` runs them all over the ledger as of a day and returns `Finding`s. Severity says what a
finding does to the score: `ineligible` rows count toward nothing (R4); a `conflict` is resolved by
the rules (DPOR takeover, R4) but the user should fix it; a `warning` changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import ibis
from ibis import _

from partnerscore.ledger.associations import Ledger, ledger_as_of
from partnerscore.engine.connect import Tables
from partnerscore.rules.load import RuleSet, rules_at
from partnerscore.rules.names import workload_catalog

FINDING_COLUMNS = ("severity", "check", "association_id", "partner_id", "tenant_id", "subscription_id", "reason")
SEVERITY_ORDER = {"conflict": 0, "ineligible": 1, "warning": 2}


@dataclass(frozen=True)
class Finding:
    """One problem `validate` reports, with the association (or usage) it concerns."""

    severity: str
    check: str
    association_id: str | None
    partner_id: str | None
    tenant_id: str | None
    subscription_id: str | None
    reason: str

    def to_json(self) -> dict:
        return asdict(self)


def _finding(table: ibis.Table, severity: str, check: str, reason: ibis.Value) -> ibis.Table:
    return table.select(
        severity=ibis.literal(severity), check=ibis.literal(check),
        association_id=table.association_id.cast("string"), partner_id=table.partner_id.cast("string"),
        tenant_id=table.tenant_id.cast("string"), subscription_id=table.subscription_id.cast("string"),
        reason=reason.cast("string"))


def ineligible_associations(ledger: Ledger) -> ibis.Table:
    """Associations that break an eligibility rule (CPOR type on the wrong program, PAL role, TPOR, …)."""
    rows = ledger.holding.filter(_.ineligible.notnull())
    return _finding(rows, "ineligible", "eligibility", rows.ineligible)


def dpor_overlaps(ledger: Ledger) -> ibis.Table:
    """DPORs of different partners overlapping on one subscription: the later one holds (R4)."""
    rows = ledger.holding.filter(_.taken_over_on.notnull())
    reason = ("DPOR overlaps with " + rows.taken_over_by + "'s DPOR from " + rows.taken_over_on.cast("string")
              + "; treated as ended " + rows.effective_end.cast("string"))
    return _finding(rows, "conflict", "dpor_overlap", reason)


def cpor_duplicates(ledger: Ledger) -> ibis.Table:
    """Two partners claiming the same CPOR scope (tenant × workload, or subscription) at the same time.

    The program allows one CPOR per customer per workload; both rows stay in the ledger and both
    count until the program settles the claim, so this is reported as a conflict to resolve.
    """
    cpor = ledger.holding.filter(_.type.isin(["CPOR_OSU", "CPOR_OSA", "CPOR_REVREC"]))
    other = cpor.view()
    same_scope = (cpor.type == other.type) & (cpor.tenant_id == other.tenant_id) & ibis.ifelse(
        cpor.type == "CPOR_OSU", cpor.workload_key == other.workload_key, cpor.subscription_id == other.subscription_id)
    overlap = ((other.effective_end.isnull() | (cpor.start_date <= other.effective_end))
               & (cpor.effective_end.isnull() | (other.start_date <= cpor.effective_end)))
    pairs = cpor.join(other, [same_scope, overlap, cpor.partner_id != other.partner_id])
    rows = pairs.select(cpor.association_id, cpor.partner_id, cpor.tenant_id, cpor.subscription_id,
                        cpor.type, other_partner=other.partner_id).distinct()
    reason = rows.type + " claimed by " + rows.other_partner + " too for the same scope at the same time"
    return _finding(rows, "conflict", "cpor_duplicate", reason)


def tenant_mismatch(ledger: Ledger, tables: Tables) -> ibis.Table:
    """Associations naming a subscription of another tenant: they cover nothing of their own tenant."""
    subs = tables.subscriptions.select(s_id=_.subscription_id, s_tenant=_.tenant_id)
    joined = ledger.holding.join(subs, ledger.holding.subscription_id == subs.s_id)
    rows = joined.filter(joined.tenant_id != joined.s_tenant)
    return _finding(rows, "conflict", "tenant_mismatch",
                    "subscription " + rows.subscription_id + " belongs to tenant " + rows.s_tenant)


def csp_indirect_unlinked(ledger: Ledger, tables: Tables) -> ibis.Table:
    """CSP_INDIRECT whose reseller is not linked to its provider (partner-of-record validation, section 8)."""
    partners = tables.partners.select(p_id=_.partner_id, parent=_.parent_partner_id)
    rows = ledger.holding.filter(_.type == "CSP_INDIRECT")
    joined = rows.left_join(partners, rows.partner_id == partners.p_id)
    bad = joined.filter(joined.parent.isnull() | (joined.parent != joined.indirect_provider_id))
    return _finding(bad, "warning", "csp_partner_of_record",
                    "reseller is not linked to indirect provider " + bad.indirect_provider_id.fill_null("?")
                    + " (CSP partner-of-record validation may refuse its orders)")


def unknown_workloads(tables: Tables) -> ibis.Table:
    """Workload names the catalogue does not know: they count toward no area-specific metric (R15)."""
    known = list(workload_catalog())
    usage = tables.usage.filter(~_.workload_key.isin(known)).group_by("workload").aggregate(
        rows=_.count(), subscription_id=_.subscription_id.min(), tenant_id=_.tenant_id.min())
    rows = usage.mutate(association_id=ibis.null("string"), partner_id=ibis.null("string"))
    return _finding(rows, "warning", "unknown_workload",
                    "usage workload '" + rows.workload + "' is not in the catalogue (" + rows.rows.cast("string")
                    + " rows); it counts only as Azure consumption on azure subscriptions")


def validate(tables: Tables, day: date, rules: RuleSet | None = None) -> list[Finding]:
    """Every finding of every audit over the ledger as of `day`, most severe first."""
    rules = rules or rules_at(day)
    ledger = ledger_as_of(tables, rules, day)
    audits = [ineligible_associations(ledger), dpor_overlaps(ledger), cpor_duplicates(ledger),
              tenant_mismatch(ledger, tables), csp_indirect_unlinked(ledger, tables), unknown_workloads(tables)]
    rows = ibis.union(*audits).to_pyarrow().to_pylist()
    findings = [Finding(**row) for row in rows]
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.check, f.partner_id or "",
                                           f.association_id or "", f.reason))
