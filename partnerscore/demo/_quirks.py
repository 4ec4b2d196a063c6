"""The ledger's rough edges, added on purpose, and the partners' certifications.

Real association data holds conflicts (two DPORs on one subscription, a TPOR where it cannot count),
corrections (a row recorded again with a new end date) and names the catalogue does not know. The demo
carries a few of each so that `partnerscore validate` and `explain` have something to show; the
conflicts have fixed, readable association ids (`CONFLICTS`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from partnerscore.demo._builder import Builder
from partnerscore.demo._catalog import RETIREMENTS

#: The deliberate conflicts: association id → what `validate` should report.
CONFLICTS: dict[str, str] = {
    "X-DPOR-TAKEOVER": "a second partner's DPOR overlaps an open DPOR on the same EA subscription "
                       "(a takeover: the later one holds from its start)",
    "X-CPOR-OSA-ON-CSP": "CPOR_OSA on a CSP subscription (OSA counts only under EA, CASA_EES and "
                         "WEB_DIRECT)",
    "X-PAL-READER": "PAL whose linked identity holds only the Reader role",
    "X-TPOR-NON-EA": "TPOR on an MCA_E subscription (TPOR counts only on EA)",
    "X-TPOR-BY-DPOR": "TPOR held by the partner that is the subscription's DPOR",
    "X-CSP-ON-EA": "CSP_DIRECT naming an EA subscription",
}
#: A real Azure meter category the catalogue does not list: accepted with a warning.
UNKNOWN_WORKLOAD = "Azure Container Apps"


@dataclass(frozen=True)
class Cast:
    """The partners the deliberate conflicts involve (None: that kind is absent, skip its conflicts)."""

    csp: str | None
    si: str | None
    msp: str | None
    lsp: str | None


def add_conflicts(b: Builder, cast: Cast) -> list[str]:
    """Add the conflicts of `CONFLICTS` whose partners and subscriptions exist; return their ids."""
    pools, last_day, added = b.pools, b.month_end(b.months - 1), []

    def put(association_id, partner_id, type_, sub, start, **extra):
        start = max(start, sub.start_date)
        if sub.end_date is not None:
            start = min(start, sub.end_date)
        b.association(partner_id, type_, sub.tenant_id, start=min(start, last_day), end=sub.end_date,
                      subscription_id=sub.id, association_id=association_id, **extra)
        added.append(association_id)

    si_dpor = pools["si_dpor_ea"]
    if cast.msp and si_dpor:
        put("X-DPOR-TAKEOVER", cast.msp, "DPOR", si_dpor[0], b.day(b.months - 8))
    if cast.si and pools["CSP/dynamics365"]:
        put("X-CPOR-OSA-ON-CSP", cast.si, "CPOR_OSA", pools["CSP/dynamics365"][0], b.day(b.months - 6),
            incentive=False, poe_status="none")
    if cast.msp and pools["msp_azure"]:
        put("X-PAL-READER", cast.msp, "PAL", pools["msp_azure"][0], b.day(b.months - 5),
            rbac_role="Reader", principal_id=b.guid(), principal_type="user")
    mca = [sub for sub in pools["MCA_E/azure"] if sub.end_date is None]
    if cast.lsp and mca:
        put("X-TPOR-NON-EA", cast.lsp, "TPOR", mca[0], b.day(b.months - 10))
    no_tpor = [sub for sub in si_dpor if sub.id not in set(pools["tpor"])]
    if cast.si and no_tpor:
        put("X-TPOR-BY-DPOR", cast.si, "TPOR", no_tpor[-1], no_tpor[-1].start_date)
    ea = [sub for sub in pools["EA/m365"] + pools["EA/azure"] if sub.end_date is None]
    if cast.csp and ea:
        put("X-CSP-ON-EA", cast.csp, "CSP_DIRECT", ea[-1], b.day(b.months - 4))
    return added


def add_unknown_workload(b: Builder) -> None:
    """One usage row naming a meter category the catalogue does not know (a `validate` warning)."""
    subs = [sub for sub in b.pools["msp_azure"] + b.pools["MCA_E/azure"] if sub.end_date is None]
    if subs:
        sub = subs[0]
        b.extra_usage.append({"month": b.labels[-2], "tenant_id": sub.tenant_id, "acr_usd": 42.17,
                              "subscription_id": sub.id, "workload": UNKNOWN_WORKLOAD})


def add_corrections(b: Builder, types=("DPOR", "CSP_DIRECT", "PAL", "CPOR_OSU", "TPOR", "CSP_INDIRECT",
                                       "CPOR_REVREC")) -> list[str]:
    """Record some associations again, later, with a changed end date; return their ids."""
    cols = b.rows["associations"]
    first_day, last_day = b.month_start(0), b.month_end(b.months - 1)
    candidates = defaultdict(list)
    for i, (type_, aid, start, end) in enumerate(zip(cols["type"], cols["association_id"],
                                                     cols["start_date"], cols["end_date"])):
        if aid.startswith("AS") and first_day <= start <= last_day - timedelta(days=120) and (
                end is None or end <= last_day - timedelta(days=60)):
            candidates[type_].append(i)
    corrected = []
    for type_ in types:
        if not candidates[type_]:
            continue
        i = b.rnd.choice(candidates[type_])
        row = b.assoc_row(i)
        recorded = row["recorded_at"] or row["start_date"]
        cols["recorded_at"][i] = recorded  # explicit, so the correction is visibly the later one
        if row["end_date"] is None:  # the association ended after all
            span = (last_day - row["start_date"]).days - 40
            row["end_date"] = row["start_date"] + timedelta(days=b.rnd.randint(30, span))
            row["recorded_at"] = row["end_date"] + timedelta(days=b.rnd.randint(3, 10))
        else:  # the end was recorded in error: the association is still in force
            row["recorded_at"] = max(row["end_date"], recorded) + timedelta(days=b.rnd.randint(15, 30))
            row["end_date"] = None
        b.add("associations", **row)
        corrected.append(row["association_id"])
    return corrected


# Fundamentals and technical assessments do not expire; role-based certifications are renewed yearly.
_NEVER_EXPIRE = ("MICROSOFT 365 FUNDAMENTALS", "AZURE FUNDAMENTALS", "MS-900", "AZ-900",
                 "TEAMS MEETINGS AND MEETING ROOMS TECHNICAL ASSESSMENT")
_LIFETIME = "lifetime"


def _retirement(name: str) -> date | None:
    key = name.upper()
    for prefix in ("MICROSOFT CERTIFIED: ", "MICROSOFT 365 CERTIFIED: "):
        key = key.removeprefix(prefix)
    retires = RETIREMENTS.get(key)
    return date.fromisoformat(retires) if retires else None


def certify(b: Builder, partner_id: str, people) -> None:
    """Add people and their certifications: `people` is a list of (count, certifications, state).

    state `active` (renewed, valid past the window), `expired`, or `lifetime` (no expiry: fundamentals,
    technical assessments).
    """
    end = b.month_end(b.months - 1)
    n = 0
    for count, certifications, state in people:
        for _ in range(count):
            n += 1
            person = f"{partner_id}-{n:04d}"
            for name in certifications:
                kind = _LIFETIME if name.upper().startswith(_NEVER_EXPIRE) else state
                if kind == "active":
                    earned = end - timedelta(days=b.rnd.randint(60, 900))
                    expires = end + timedelta(days=b.rnd.randint(30, 330))
                elif kind == "expired":
                    earned = end - timedelta(days=b.rnd.randint(500, 900))
                    expires = end - timedelta(days=b.rnd.randint(30, 300))
                else:
                    earned, expires = end - timedelta(days=b.rnd.randint(400, 1000)), None
                retires = _retirement(name)
                if retires and retires <= end:  # earned before it retired, valid a year after at most
                    earned = min(earned, retires - timedelta(days=b.rnd.randint(15, 300)))
                    if expires is not None:
                        expires = max(min(expires, retires + timedelta(days=365)), earned)
                b.add("certifications", partner_id=partner_id, person_id=person, certification=name,
                      earned_on=earned, expires_on=expires)
