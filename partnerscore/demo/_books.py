"""Customer books: what each kind of partner's customers look like and how the partner is associated.

Each `*_customer` function adds one customer tenant to a `Builder`: its subscriptions, the monthly
usage curves of their workloads and the associations that tie partners to them. The demo calls them a
fixed number of times per partner; the large generator calls them for customers drawn across N partners.
`full=True` gives a customer every footprint of its book (used once per book, so that every association
type and every deliberate conflict has a subscription to sit on, even in a small data set).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from partnerscore.demo._builder import Builder, Sub
from partnerscore.demo._catalog import (AZURE_PROFILES, COUNTRIES, DYNAMICS, PAL_ELIGIBLE,
                                        PAL_INELIGIBLE, POWER_PLATFORM, company_name)
from partnerscore.demo._footprints import azure, business_apps, m365


@dataclass(frozen=True)
class Roster:
    """The other partners a book may name: LSPs for TPOR, MSPs for a second PAL, CSP resellers."""

    lsp: tuple[str, ...] = ()
    msp: tuple[str, ...] = ()
    resellers: tuple[tuple[str, str], ...] = ()  # (reseller partner_id, its indirect provider)


# --- drawing helpers
def _lognormal(b: Builder, median: float, sigma: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, b.rnd.lognormvariate(math.log(median), sigma)))


def _trend(b: Builder, *, grow: float = 0.45, shrink: float = 0.2, hi: float = 0.03) -> float:
    """A monthly growth rate: growing, shrinking or flat customer."""
    draw = b.rnd.random()
    if draw < grow:
        return b.rnd.uniform(0.004, hi)
    if draw < grow + shrink:
        return -b.rnd.uniform(0.004, 0.025)
    return b.rnd.uniform(-0.003, 0.004)


def _pick(b: Builder, options):
    return b.rnd.choice(options) if options else None


def _customer(b: Builder, weights: tuple[float, float, float]) -> tuple[str, str | None]:
    """Add a customer; `weights` are the chances of segment enterprise, smb, empty."""
    tenant_id = b.guid()
    segment = b.rnd.choices(("enterprise", "smb", None), weights)[0]
    b.add("customers", tenant_id=tenant_id, name=company_name(b.rnd), country=b.rnd.choice(COUNTRIES),
          segment=segment)
    return tenant_id, segment


def _start(b: Builder, sub: Sub, lag_days: int = 0) -> date:
    """An association's first day: the subscription's start, or a little later."""
    return min(sub.start_date + timedelta(days=lag_days), sub.end_date or b.month_end(b.months - 1))


def _lag(b: Builder, share_late: float = 0.2, most: int = 45) -> int:
    return b.rnd.randint(1, most) if b.rnd.random() < share_late else 0


def _recorded(b: Builder, start: date) -> date | None:
    """When the program recorded the row: often left empty (= its start date), else a few days on."""
    if b.rnd.random() < 0.35:
        return min(start + timedelta(days=b.rnd.randint(0, 25)), b.month_end(b.months - 1))
    return None


def _cpor_flags(b: Builder, incentive_share: float) -> dict:
    if b.rnd.random() < incentive_share:
        poe = b.rnd.choices(("approved", "submitted", "rejected"), (0.7, 0.15, 0.15))[0]
        return {"incentive": True, "poe_status": poe}
    if b.rnd.random() < 0.2:  # defaults left empty, as many exports do
        return {}
    return {"incentive": False, "poe_status": "none"}


def _pal_role(b: Builder, ineligible: float = 0.06) -> str | None:
    draw = b.rnd.random()
    if draw < ineligible:
        return b.rnd.choice(PAL_INELIGIBLE)
    if draw < ineligible + 0.02:
        return None
    return b.rnd.choice(PAL_ELIGIBLE)


def _link(b: Builder, partner_id: str, type_: str, sub: Sub, *, named: bool = True,
          lag: int = 0, **extra) -> str:
    """Associate a partner with a subscription for the subscription's life (from `lag` days on)."""
    start = _start(b, sub, lag)
    return b.association(partner_id, type_, sub.tenant_id, start=start, end=sub.end_date,
                         subscription_id=sub.id if named else None, recorded_at=_recorded(b, start),
                         **extra)


def _tpor(b: Builder, lsp: str | None, sub: Sub, share: float = 0.8) -> None:
    if lsp and sub.program == "EA" and b.rnd.random() < share:
        _link(b, lsp, "TPOR", sub)
        b.pools["tpor"].append(sub.id)


# --- books
def csp_customer(b: Builder, roster: Roster, partner_id: str, *, provider_id: str | None = None,
                 full: bool = False) -> None:
    """A small business buying Microsoft 365 (and sometimes Azure, Business Central) through a CSP."""
    last = b.months - 1
    start, end = (-12, last) if full else b.lifecycle(new=0.45, churn=0.12)
    tenant, _ = _customer(b, (0.02, 0.88, 0.10))
    sub, names = m365(b, tenant, "CSP", _lognormal(b, 38, 0.75, 4, 420), start, end,
                      enterprise=False, growth=_trend(b, shrink=0.15, hi=0.015))
    subs = [sub]
    if full or b.rnd.random() < 0.10:
        subs.append(azure(b, tenant, "CSP", _lognormal(b, 350, 0.8, 40, 4000), start, end,
                          profile=b.rnd.choice(("infra", "app")), growth=_trend(b)))
    if full or b.rnd.random() < 0.05:
        subs.append(business_apps(b, tenant, "CSP", "dynamics365", _lognormal(b, 12, 0.6, 3, 60), start,
                                  end, growth=_trend(b), workloads=[("Business Central", 70.0)]))
    type_ = "CSP_INDIRECT" if provider_id else "CSP_DIRECT"
    # Unnamed, a CSP association covers every CSP subscription of the tenant (program-rules R2).
    named = b.rnd.random() < 0.6
    for each in subs if named else subs[:1]:
        start_day = _start(b, each, _lag(b, 0.1))
        end_day = each.end_date
        if end_day is None and b.rnd.random() < 0.04 and each.start < last - 2:
            end_day = b.day(b.rnd.randint(max(each.start, 0) + 1, last - 1))  # moved to another CSP
        b.association(partner_id, type_, tenant, start=start_day, end=end_day,
                      subscription_id=each.id if named else None, indirect_provider_id=provider_id,
                      recorded_at=_recorded(b, start_day))
    if b.rnd.random() < 0.12:
        for name in b.rnd.sample(names, min(len(names), b.rnd.randint(1, 2))):
            _link(b, partner_id, "CPOR_OSU", sub, named=False, lag=_lag(b, 0.5, 120), workload=name,
                  **_cpor_flags(b, 0.4))
    reseller = _pick(b, roster.resellers)
    if reseller and not provider_id and b.rnd.random() < 0.03:  # a second CSP sells this tenant Azure
        extra = azure(b, tenant, "CSP", _lognormal(b, 250, 0.6, 40, 2000), max(start, 0), end,
                      profile="app", growth=_trend(b))
        _link(b, reseller[0], "CSP_INDIRECT", extra, indirect_provider_id=reseller[1])


def si_customer(b: Builder, roster: Roster, partner_id: str, *, full: bool = False) -> None:
    """An enterprise served by a systems integrator: M365, EA Azure, Dynamics, Power Platform."""
    last = b.months - 1
    start, end = (-18, last) if full else b.lifecycle(new=0.4, churn=0.08)
    tenant, _ = _customer(b, (0.9, 0.0, 0.1))
    lsp = _pick(b, roster.lsp)
    has = [full or b.rnd.random() < p for p in (0.65, 0.45, 0.35, 0.3)]
    if not any(has):
        has[0] = True
    if has[0]:
        sub, names = m365(b, tenant, "EA" if full or b.rnd.random() < 0.75 else "MCA_E",
                          _lognormal(b, 2500, 0.9, 320, 60000), start, end, enterprise=True,
                          growth=_trend(b, grow=0.5, hi=0.02))
        for name in b.rnd.sample(names, min(len(names), b.rnd.randint(2, 5))):
            _link(b, partner_id, "CPOR_OSU", sub, named=b.rnd.random() < 0.3, lag=_lag(b, 0.4, 90),
                  workload=name, **_cpor_flags(b, 0.5))
        _tpor(b, lsp, sub)
    for i in range(b.rnd.randint(1, 3) if has[1] else 0):
        program = "EA" if (full and i == 0) or b.rnd.random() < 0.7 else "MCA_E"
        sub = azure(b, tenant, program, _lognormal(b, 9000, 0.9, 800, 150000), start, end,
                    profile=b.rnd.choices(("data", "app", "infra"), (0.6, 0.25, 0.15))[0],
                    growth=_trend(b, grow=0.6, shrink=0.15, hi=0.035))
        if program == "EA" or b.rnd.random() < 0.5:
            _link(b, partner_id, "DPOR", sub, lag=_lag(b))
            if program == "EA":
                b.pools["si_dpor_ea"].append(sub)
        if program == "MCA_E":
            _link(b, partner_id, "PAL", sub, lag=_lag(b), principal_id=b.guid(),
                  rbac_role=b.rnd.choice(("Owner", "Contributor")), principal_type="service_principal")
            msp = _pick(b, roster.msp)
            if msp and b.rnd.random() < 0.2:  # several partners may hold PAL on one subscription
                _link(b, msp, "PAL", sub, lag=_lag(b, 0.8, 200), rbac_role="Contributor",
                      principal_id=b.guid(), principal_type="user")
        _tpor(b, lsp, sub, 0.0 if full and i == 0 else 0.8)
    if has[2]:
        programs = ("EA", "CASA_EES", "WEB_DIRECT")
        program = "EA" if full else b.rnd.choices(programs, (0.45, 0.3, 0.25))[0]
        chosen = b.rnd.sample(DYNAMICS[:6], b.rnd.randint(1, 3))
        sub = business_apps(b, tenant, program, "dynamics365", _lognormal(b, 120, 0.7, 15, 1500), start,
                            end, growth=_trend(b, grow=0.6, hi=0.03), workloads=chosen)
        if b.rnd.random() < 0.5:
            _link(b, partner_id, "CPOR_REVREC", sub, lag=_lag(b), incentive=False, poe_status="none")
        else:
            _link(b, partner_id, "CPOR_OSA", sub, lag=_lag(b), **_cpor_flags(b, 0.6))
        for name, _ in chosen:
            if full or b.rnd.random() < 0.8:
                _link(b, partner_id, "CPOR_OSU", sub, lag=_lag(b), workload=name, **_cpor_flags(b, 0.3))
        _tpor(b, lsp, sub)
    if has[3]:
        chosen = b.rnd.sample(POWER_PLATFORM, b.rnd.randint(1, 3))
        sub = business_apps(b, tenant, "MCA_E" if b.rnd.random() < 0.6 else "EA", "power_platform",
                            _lognormal(b, 150, 0.8, 10, 3000), start, end,
                            growth=_trend(b, grow=0.6, hi=0.03), workloads=chosen)
        _link(b, partner_id, "PAL", sub, lag=_lag(b), rbac_role=_pal_role(b, 0.1),
              principal_id=b.guid(), principal_type="user")


def msp_customer(b: Builder, roster: Roster, partner_id: str, *, full: bool = False) -> None:
    """An Azure customer run by a managed service provider (PAL, DPOR), often with managed security."""
    last = b.months - 1
    start, end = (-10, last) if full else b.lifecycle(new=0.45, churn=0.1)
    tenant, segment = _customer(b, (1.0, 0.0, 0.0) if full else (0.45, 0.45, 0.10))
    enterprise = segment == "enterprise" or (segment is None and b.rnd.random() < 0.5)
    lsp, reseller = _pick(b, roster.lsp), _pick(b, roster.resellers)
    security = full or b.rnd.random() < 0.55
    principal, principal_type = b.guid(), b.rnd.choice(("user", "user", "service_principal"))
    for i in range(1 if full else b.rnd.randint(1, 3)):
        if full:
            program = "MCA_E"
        elif enterprise:
            program = "EA" if b.rnd.random() < 0.4 else "MCA_E"
        else:
            program = "CSP" if reseller and b.rnd.random() < 0.3 else "MCA_E"
        if enterprise:
            acr = _lognormal(b, 5500, 0.8, 600, 120000)
        else:
            acr = _lognormal(b, 800, 0.7, 100, 6000)
        managed = security and (i == 0 or b.rnd.random() < 0.5)
        sub = azure(b, tenant, program, acr, start, end,
                    profile=b.rnd.choices(("infra", "app", "data"), (0.65, 0.2, 0.15))[0],
                    growth=_trend(b, grow=0.6, shrink=0.15, hi=0.035),
                    security=(1.0 if enterprise else 0.35) if managed else 0.0)
        _link(b, partner_id, "PAL", sub, lag=_lag(b, 0.3, 60), rbac_role=_pal_role(b),
              principal_id=principal, principal_type=principal_type)
        if program != "CSP" and b.rnd.random() < 0.5:
            _link(b, partner_id, "DPOR", sub, lag=_lag(b, 0.3, 60))
        if program == "CSP":
            _link(b, reseller[0], "CSP_INDIRECT", sub, indirect_provider_id=reseller[1])
        _tpor(b, lsp, sub)
        b.pools["msp_azure"].append(sub)


def direct_customer(b: Builder, roster: Roster, lsp_id: str | None = None) -> None:
    """A customer buying direct (EA, MCA-E, Web Direct); with `lsp_id`, an EA customer of that LSP."""
    start, end = b.lifecycle(new=0.3, churn=0.1)
    tenant, segment = _customer(b, (0.85, 0.05, 0.1) if lsp_id else (0.35, 0.5, 0.15))
    enterprise = segment == "enterprise"
    if enterprise:
        programs = ("EA", "EA", "MCA_E") if lsp_id else ("EA", "MCA_E")
    else:
        programs = ("WEB_DIRECT", "WEB_DIRECT", "MCA_E")
    if b.rnd.random() < 0.8:
        seats = _lognormal(b, 1500, 0.9, 301, 40000) if enterprise else _lognormal(b, 25, 0.8, 3, 250)
        sub, _ = m365(b, tenant, b.rnd.choice(programs), seats, start, end, enterprise=enterprise,
                      growth=_trend(b, hi=0.015))
        _tpor(b, lsp_id, sub, 0.95)
    if b.rnd.random() < 0.5:
        acr = _lognormal(b, 6000, 1.0, 300, 90000) if enterprise else _lognormal(b, 300, 0.8, 20, 3000)
        sub = azure(b, tenant, b.rnd.choice(programs), acr, start, end,
                    profile=b.rnd.choice(tuple(AZURE_PROFILES)), growth=_trend(b))
        _tpor(b, lsp_id, sub, 0.95)
