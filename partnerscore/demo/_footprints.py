"""Footprints: a subscription and the monthly usage curves of its workloads.

Each function adds one subscription to a `Builder` and one usage series per workload on it, shaped the
way that cloud's usage looks: seats with an adoption ramp (Microsoft 365), meter categories sharing a
monthly spend (Azure), active users billed per licence (Dynamics 365, Power Platform).
"""

from __future__ import annotations

from partnerscore.demo._builder import ACR, DYN, SEAT, Builder, Sub
from partnerscore.demo._catalog import AZURE_PROFILES, AZURE_SECURITY, LATE_WORKLOADS, M365_WORKLOADS


def m365(b: Builder, tenant: str, program: str, seats: float, start: int, end: int, *,
         enterprise: bool, growth: float) -> tuple[Sub, list[str]]:
    """A Microsoft 365 subscription of about `seats` seats; returns it and its workload names."""
    sub = b.subscription(tenant, program, "m365", start, end)
    # A new tenant ramps adoption up from a low start; one moved from another partner is already there.
    first = b.rnd.uniform(0.10, 0.30) if start >= 0 and b.rnd.random() < 0.8 else None
    ramp = b.rnd.uniform(4, 10)
    names = []
    for name, share, target, p_smb, p_ent in M365_WORKLOADS:
        if b.rnd.random() >= (p_ent if enterprise else p_smb):
            continue
        w_start = start
        if name in LATE_WORKLOADS:
            w_start = max(start, b.rnd.randint(b.months // 3, b.months - 2))
        if w_start > end:
            continue
        a1 = min(0.98, target * b.rnd.uniform(0.85, 1.08))
        a0 = a1 if first is None and w_start == start else (first or 0.2) * target / 0.8
        licensed = seats * share * b.rnd.uniform(0.95, 1.05)
        b.add_series(sub.id, tenant, name, SEAT, w_start, end, licensed, growth, a0, a1, ramp)
        names.append(name)
    return sub, names


def azure(b: Builder, tenant: str, program: str, acr: float, start: int, end: int, *, profile: str,
          growth: float, security: float = 0.0) -> Sub:
    """An Azure subscription spending about `acr` a month; `security` scales its security services."""
    sub = b.subscription(tenant, program, "azure", start, end)
    meters = AZURE_PROFILES[profile]
    chosen = b.rnd.sample(meters, b.rnd.randint(3, len(meters)))
    total = sum(weight for _, weight in chosen)
    for name, weight in chosen:
        spend = acr * weight / total * b.rnd.uniform(0.7, 1.3)
        drift = b.rnd.uniform(-0.005, 0.005)
        b.add_series(sub.id, tenant, name, ACR, start, end, spend, growth + drift)
    if security > 0:
        taken = {name for name, _ in chosen}
        for name, lo, hi in b.rnd.sample(AZURE_SECURITY, b.rnd.randint(2, 4)):
            s_start = start if b.rnd.random() < 0.5 else max(start, b.rnd.randint(0, b.months - 3))
            if name in taken or s_start > end:
                continue
            b.add_series(sub.id, tenant, name, ACR, s_start, end, b.rnd.uniform(lo, hi) * security,
                         growth + b.rnd.uniform(0.0, 0.02))
    return sub


def business_apps(b: Builder, tenant: str, program: str, cloud: str, users: float, start: int,
                  end: int, *, growth: float, workloads) -> Sub:
    """A Dynamics 365 or Power Platform subscription with `users` active users spread over workloads."""
    sub = b.subscription(tenant, program, cloud, start, end)
    for name, price in workloads:
        b.add_series(sub.id, tenant, name, DYN, start, end, users * b.rnd.uniform(0.4, 1.0),
                     growth + b.rnd.uniform(-0.004, 0.004), price=price)
    return sub
