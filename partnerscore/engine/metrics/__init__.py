"""The registry of metric formulas and path classifiers, by the names rule files use.

A rule file's `formula:` names one of `FORMULAS`; `path_selection.method` names one of `CLASSIFIERS`
(or `best_total` / `single`, which scoring handles). Registries are plain dicts (STYLE: no plugins yet).
"""

from __future__ import annotations

from partnerscore.engine.metrics import azure, business_applications, modern_work, security, skilling

FORMULAS = {
    "azure.net_customer_adds": azure.net_customer_adds,
    "azure.usage_growth": azure.usage_growth,
    "azure.deployments": azure.deployments,
    "modern_work.net_customer_adds": modern_work.net_customer_adds,
    "modern_work.usage_growth": modern_work.usage_growth,
    "modern_work.deployments": modern_work.deployments,
    "security.net_customer_adds": security.net_customer_adds,
    "security.usage_growth": security.usage_growth,
    "security.deployments": security.deployments,
    "business_applications.net_customer_adds": business_applications.net_customer_adds,
    "business_applications.usage_growth": business_applications.usage_growth,
    "business_applications.deployments": business_applications.deployments,
    "certified_people": skilling.certified_people,
    "stepped_certifications": skilling.stepped_certifications,
}

#: Formulas whose `value` is a percentage that is null when there is no baseline (R15).
PERCENT_FORMULAS = frozenset({"azure.usage_growth", "business_applications.usage_growth"})

CLASSIFIERS = {
    "azure_customer_segment": (azure.azure_path, "enterprise"),
    "business_applications_pairs": (business_applications.business_applications_path, "smb"),
}
