"""Security's facts, one list per metric (program-rules R11, R15 "Security"), for `explain` and `diff`.

Each Security customer metric has an Azure part and a Microsoft 365 part (`engine/metrics/security.py`),
and counts something else in each: net customer adds counts customers (Security ACR over the TTM at
the floor; tenants eligible in a month of the TTM), deployments counts deployments (Security ACR over
the TTM in the path's range; eligible tenants at the active share), usage growth counts dollars of
Security ACR and protected users. A tenant may count in both parts (R5), so it may be listed twice,
once per part. The contributions of a count add up to its value; usage growth's `value` is its Azure
part's dollars (R15).
"""

from __future__ import annotations

import ibis

from partnerscore.engine.fact_table import MICROS, active_share, facts_table, net_status
from partnerscore.engine.keys import with_tenant_ids
from partnerscore.engine.metrics import security
from partnerscore.engine.metrics.base import Context, join_on, share_at_least, usd
from partnerscore.engine.metrics.modern_work import eligible_in
from partnerscore.engine.units import CUSTOMERS, DEPLOYMENTS, PROTECTED_USERS, USD_SECURITY_ACR
from partnerscore.rules.schema import MetricRule


def _dollars(amount: float) -> str:
    return f"${amount:,}"


def band_text(band: dict) -> str:
    """A TTM Security ACR band of the rule data in words ("above $12,000", "$750 to $12,000")."""
    low = (f"above {_dollars(band['above'])}" if "above" in band
           else f"at least {_dollars(band['at_least'])}" if "at_least" in band else None)
    if "at_most" in band:
        return f"{low}, at most {_dollars(band['at_most'])}" if low else f"at most {_dollars(band['at_most'])}"
    return low or "any amount"


def seats_text(eligible: dict) -> str:
    """The paid seats that make a tenant eligible ("5 to 300 paid seats", "at least 301 paid seats")."""
    low, high = eligible["min_paid_units"], eligible.get("max_paid_units")
    return f"{low:,} to {high:,} paid seats" if high is not None else f"at least {low:,} paid seats"


def _azure_tenants(ctx: Context, rule: MetricRule) -> ibis.Table:
    """The Azure part's tenants with Security ACR over the TTM or the previous TTM."""
    ttm = security._ttm_acr(ctx, rule.params["azure"])
    return with_tenant_ids(ctx.tables, ttm.filter((ttm.ttm_now != 0) | (ttm.ttm_prev != 0)))


def _m365_tenants(ctx: Context, rule: MetricRule) -> ibis.Table:
    """The Microsoft 365 part's tenants eligible in M or in M-12, with their active and paid seats then."""
    m365 = rule.params["m365"]
    tm = security._m365_months(ctx, m365)

    def at(month, suffix: str) -> ibis.Table:
        eligible = eligible_in(tm, m365["eligible_tenant"], month, ["partner_id"])
        seats = tm.filter(tm.month == month).select(
            "partner_id", "tenant_id", **{f"active_{suffix}": tm.active, f"paid_{suffix}": tm.paid})
        return join_on(eligible, seats, ["partner_id", "tenant_id"]).mutate(**{f"in_{suffix}": ibis.literal(True)})

    both = join_on(at(ctx.m(), "now"), at(ctx.m(-12), "then"), ["partner_id", "tenant_id"], how="outer")
    filled = {c: both[c].fill_null(False if c.startswith("in_") else 0) for c in both.columns
              if c not in ("partner_id", "tenant_id")}
    return with_tenant_ids(ctx.tables, both.mutate(**filled))


def net_customer_adds(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Customers: Azure, Security ACR at the floor over the TTM against the previous TTM; Microsoft 365,
    eligible in a month of the TTM against the previous TTM (`now`, `before`: months eligible)."""
    az, m365 = rule.params["azure"], rule.params["m365"]
    t = _azure_tenants(ctx, rule)
    floor = usd(az["min_ttm_acr_usd"])
    now, prev = t.ttm_now >= floor, t.ttm_prev >= floor
    at = f"Security ACR ≥ {_dollars(az['min_ttm_acr_usd'])}"
    azure = facts_table(t, "tenant", t.tenant_id, "azure", t.ttm_now / MICROS, t.ttm_prev / MICROS,
                        now.cast("int64") - prev.cast("int64"), CUSTOMERS, net_status(
                            now, prev, f"added: {at} over the TTM, not over the previous TTM",
                            f"lost: {at} over the previous TTM, not over the TTM",
                            f"{at} over the TTM and the previous TTM (no change)",
                            f"not counted: {at} over neither TTM"))
    tm = security._m365_months(ctx, m365)
    flags = tm.filter(tm.in_range).group_by("partner_id", "tenant_id").aggregate(
        months_now=tm.month.isin(ctx.ttm()).cast("int64").sum(),
        months_prev=tm.month.isin(ctx.ttm(-12)).cast("int64").sum())
    f = with_tenant_ids(ctx.tables, flags.filter((flags.months_now > 0) | (flags.months_prev > 0)))
    seats = seats_text(m365["eligible_tenant"])
    m_now, m_prev = f.months_now > 0, f.months_prev > 0
    m365_facts = facts_table(f, "tenant", f.tenant_id, "m365", f.months_now, f.months_prev,
                             m_now.cast("int64") - m_prev.cast("int64"), CUSTOMERS, net_status(
                                 m_now, m_prev, f"added: {seats} of a listed workload in a month of the TTM, "
                                 "not of the previous TTM", f"lost: {seats} in a month of the previous TTM only",
                                 f"{seats} in a month of the TTM and of the previous TTM (no change)", "not eligible"))
    return azure.union(m365_facts)


def deployments(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Deployments: Azure, tenants with Security ACR over the TTM in the path's range against the TTM
    ending M-12; Microsoft 365, eligible tenants at the active share in M against M-12 (`now`,
    `before`: the active share in %)."""
    az, m365 = rule.params["azure"], rule.params["m365"]
    t = _azure_tenants(ctx, rule)
    band = az["tenant_ttm_acr_usd"]
    now, prev = security._in_band(t.ttm_now, band), security._in_band(t.ttm_prev, band)
    within = band_text(band)
    azure = facts_table(t, "tenant", t.tenant_id, "azure", t.ttm_now / MICROS, t.ttm_prev / MICROS,
                        now.cast("int64") - prev.cast("int64"), DEPLOYMENTS, net_status(
                            now, prev, f"deployment: Security ACR over the TTM {within}, not over the TTM ending M-12",
                            f"lost: Security ACR over the TTM ending M-12 {within}, not over the TTM",
                            f"Security ACR {within} over both TTMs (no change)",
                            f"not counted: Security ACR over the TTM not {within}"))
    f = _m365_tenants(ctx, rule)
    share = m365["active_share"]
    dep_now = f.in_now & share_at_least(f.active_now, f.paid_now, share)
    dep_then = f.in_then & share_at_least(f.active_then, f.paid_then, share)
    m365_facts = facts_table(f, "tenant", f.tenant_id, "m365", active_share(f.active_now, f.paid_now),
                             active_share(f.active_then, f.paid_then),
                             dep_now.cast("int64") - dep_then.cast("int64"), DEPLOYMENTS, net_status(
                                 dep_now, dep_then, f"deployment: eligible, active ≥ {share} of paid seats in M",
                                 "lost: a deployment in M-12, not in M", "a deployment in M and M-12 (no change)",
                                 f"not counted: eligible, active below {share} of paid seats"))
    return azure.union(m365_facts)


def usage_growth(ctx: Context, rule: MetricRule) -> ibis.Table:
    """Azure: Security ACR of M against M-12 (dollars) of the tenants whose TTM Security ACR is in the
    path's range; Microsoft 365: protected users (active seats) of the tenants eligible in M against
    those eligible in M-12."""
    az = rule.params["azure"]
    t = _azure_tenants(ctx, rule)
    band = az["tenant_ttm_acr_usd"]
    chosen = security._in_band(t.ttm_now, band)
    azure = facts_table(t, "tenant", t.tenant_id, "azure", t.acr_now / MICROS, t.acr_then / MICROS,
                        ibis.ifelse(chosen, (t.acr_now - t.acr_then) / MICROS, 0), USD_SECURITY_ACR, ibis.ifelse(
                            chosen, f"Security ACR over the TTM {band_text(band)}: M against M-12",
                            f"not counted: Security ACR over the TTM not {band_text(band)}"))
    f = _m365_tenants(ctx, rule)
    users_now, users_then = ibis.ifelse(f.in_now, f.active_now, 0), ibis.ifelse(f.in_then, f.active_then, 0)
    status = ibis.cases((f.in_now & f.in_then, "eligible in M and M-12: protected users of M against M-12"),
                        (f.in_now, "eligible in M only (baseline 0)"),
                        else_="eligible in M-12 only: its protected users are lost")
    m365_facts = facts_table(f, "tenant", f.tenant_id, "m365", users_now, users_then, users_now - users_then,
                             PROTECTED_USERS, status)
    return azure.union(m365_facts)
