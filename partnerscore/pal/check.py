"""Which of the identity's role assignments earn PAL recognition, by the rule data, beside the ledger.

PAL credits a partner for the resources its linked identity manages through an eligible Azure role
(program-rules R4). Which roles are eligible is rule data: `pal_roles` of the association rules in force
(`exact` names, and `suffix` endings such as "Contributor"), matched case-insensitively as the ledger
matches them. A scope earns recognition when its role is eligible *and* the identity is linked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from partnerscore.engine.connect import Tables
from partnerscore.ledger.associations import NO_PAL_ROLE
from partnerscore.pal.client import Azure, AzureError, Identity, PartnerLink
from partnerscore.pal.ledger import pal_rows
from partnerscore.rules.load import RuleSet
from partnerscore.rules.schema import AssociationRules


@dataclass(frozen=True)
class RoleVerdict:
    """Whether a role is eligible for PAL, and the rule that says so."""

    eligible: bool
    reason: str


@dataclass(frozen=True)
class ScopeFinding:
    """One role assignment of the identity (or a scope it could not read) and what it earns."""

    scope: str
    scope_kind: str
    role: str | None
    role_type: str | None
    eligible: bool
    recognised: bool
    reason: str


@dataclass(frozen=True)
class LedgerFinding:
    """One PAL row of the ledger, its verdict under the same rule, and what Azure shows for it now."""

    association_id: str
    tenant_id: str
    subscription_id: str | None
    rbac_role: str | None
    principal_id: str | None
    eligible: bool
    reason: str
    azure_now: str


@dataclass(frozen=True)
class PalCheck:
    """The answer of `pal check`: who, linked to what, each scope's verdict, and the ledger beside it."""

    identity: Identity
    link: PartnerLink | None
    as_of: date
    rule: str
    scopes: list[ScopeFinding]
    partner_id: str | None
    ledger: list[LedgerFinding] | None


def role_verdict(role: str | None, rules: AssociationRules) -> RoleVerdict:
    """Whether `role` is a PAL-eligible role under `pal_roles`, citing the list that decides.

    >>> from partnerscore.rules.load import rules_at
    >>> rules = rules_at(date(2026, 10, 31)).associations
    >>> role_verdict("Storage Account Contributor", rules)
    RoleVerdict(eligible=True, reason="ends with 'Contributor' (pal_roles.suffix)")
    >>> role_verdict("Reader", rules).eligible
    False
    """
    if not role or not role.strip():
        return RoleVerdict(False, NO_PAL_ROLE)
    lowered = role.strip().lower()
    exact = next((r for r in rules.pal_roles["exact"] if r.lower() == lowered), None)
    if exact:
        return RoleVerdict(True, f"'{exact}' is in pal_roles.exact")
    suffix = next((s for s in rules.pal_roles["suffix"] if lowered.endswith(s.lower())), None)
    if suffix:
        return RoleVerdict(True, f"ends with '{suffix}' (pal_roles.suffix)")
    return RoleVerdict(False, f"'{role}' is not in pal_roles.exact and ends with none of pal_roles.suffix")


def rule_citation(rules: RuleSet) -> str:
    """Where the PAL roles come from: the rule file in force and its source."""
    associations = rules.associations
    source = associations.sources[associations.source]
    return (f"pal_roles in partnerscore/rules/associations/{associations.effective_from}.yaml "
            f"(source {associations.source}: {source.url})")


def scope_kind(scope: str) -> str:
    """'subscription', 'resource group', 'resource', 'management group' or 'root' for an ARM scope."""
    parts = scope.strip("/").split("/")
    if parts == [""]:
        return "root"
    if parts[0].lower() == "providers" and "managementgroups" in scope.lower():
        return "management group"
    return {2: "subscription", 4: "resource group"}.get(len(parts), "resource")


def _findings(azure: Azure, scopes: list[str], rules: AssociationRules, linked: bool) -> list[ScopeFinding]:
    findings, seen = [], set()
    for asked in scopes:
        try:
            assignments = azure.role_assignments(asked)
        except AzureError as exc:
            if exc.status != 403:
                raise
            findings.append(ScopeFinding(asked, scope_kind(asked), None, None, False, False,
                                         f"Azure answered 403 {exc.code}: the identity may not even read role "
                                         "assignments here, so it holds no role PAL could credit; ask the customer "
                                         "for an eligible role here"))
            continue
        if not assignments:
            findings.append(ScopeFinding(asked, scope_kind(asked), None, None, False, False,
                                         "no role assignment for this identity here"))
        for a in assignments:
            if a.assignment_id in seen:
                continue
            seen.add(a.assignment_id)
            verdict = role_verdict(a.role_name, rules)
            reason = verdict.reason if linked or not verdict.eligible else f"{verdict.reason}; but not linked"
            findings.append(ScopeFinding(a.scope, scope_kind(a.scope), a.role_name, a.role_type,
                                         verdict.eligible, verdict.eligible and linked, reason))
    return sorted(findings, key=lambda f: f.scope.lower())


def _azure_now(row: dict, identity: Identity, findings: list[ScopeFinding]) -> str:
    """What Azure shows today for the ledger row's subscription and this identity."""
    if row["tenant_id"] != identity.tenant_id:
        return "another tenant: not checked"
    if row["principal_id"] and row["principal_id"] != identity.object_id:
        return "held by another principal: not checked"
    if not row["subscription_id"]:
        return "no subscription named: not checked"
    prefix = f"/subscriptions/{row['subscription_id']}".lower()
    here = [f for f in findings if (f.scope.lower() + "/").startswith(prefix + "/")]
    if not here:
        return "subscription not checked"
    roles = [f"{f.role} ({f.scope_kind})" for f in here if f.role]
    return ", ".join(roles) if roles else "no role for this identity"


def check(azure: Azure, scopes: list[str], rules: RuleSet, *, partner_id: str | None = None,
          ledger: Tables | None = None) -> PalCheck:
    """Each role assignment of the signed-in identity at `scopes`, with its PAL verdict, and, with a
    `ledger`, the PAL rows of `partner_id` (default: the linked Partner ID) judged by the same rule
    beside what Azure shows now.

    With no `scopes`, the subscriptions of the ledger rows held by this identity are checked.
    """
    identity = azure.identity
    link = azure.current_link()
    partner_id = partner_id or (link.partner_id if link else None)
    rows = pal_rows(ledger, partner_id, rules.day) if ledger is not None and partner_id else None
    if not scopes and rows:
        scopes = sorted({f"/subscriptions/{r['subscription_id']}" for r in rows if r["subscription_id"]
                         and r["tenant_id"] == identity.tenant_id
                         and r["principal_id"] in (None, identity.object_id)})
    if not scopes:
        raise AzureError("no scope to check: name one with --subscription ID or --scope /subscriptions/ID/…"
                         + ("" if rows is None else f"; the ledger has no PAL row of {partner_id} held by {identity}"))
    findings = _findings(azure, scopes, rules.associations, link is not None)
    judged = None
    if rows is not None:
        judged = []
        for row in rows:
            verdict = role_verdict(row["rbac_role"], rules.associations)
            judged.append(LedgerFinding(row["association_id"], row["tenant_id"], row["subscription_id"],
                                        row["rbac_role"], row["principal_id"], verdict.eligible, verdict.reason,
                                        _azure_now(row, identity, findings)))
    return PalCheck(identity, link, rules.day, rule_citation(rules), findings, partner_id, judged)
