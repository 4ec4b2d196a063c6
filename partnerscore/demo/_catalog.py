"""Names and shapes the demo draws from: workloads, their adoption, prices, roles, countries, names.

Workload names are the exact names of `partnerscore/rules/workloads.yaml` (the program's published
lists and Azure meter categories), so the demo exercises the catalogue as partners' data would.
"""

from __future__ import annotations

# Microsoft 365 seat-based workloads: (name, share of the tenant's seats licensed, target adoption,
# probability an SMB tenant has it, probability an enterprise tenant has it).
M365_WORKLOADS: tuple[tuple[str, float, float, float, float], ...] = (
    ("Exchange Online", 1.00, 0.92, 1.00, 1.00),
    ("Teams", 1.00, 0.86, 1.00, 1.00),
    ("SharePoint Online", 1.00, 0.62, 0.95, 1.00),
    ("Microsoft 365 Apps", 0.90, 0.78, 0.80, 0.95),
    ("Intune", 0.70, 0.82, 0.45, 0.80),
    ("Microsoft Entra ID P1", 1.00, 0.90, 0.45, 0.85),
    ("Microsoft Defender for Office 365", 1.00, 0.88, 0.30, 0.60),
    ("Microsoft Defender for Endpoint P2", 0.85, 0.84, 0.20, 0.45),
    ("Microsoft Defender for Identity", 1.00, 0.80, 0.00, 0.25),
    ("Teams Phone", 0.30, 0.62, 0.10, 0.35),
    ("Teams Premium", 0.10, 0.60, 0.05, 0.20),
    ("M365 Copilot", 0.08, 0.55, 0.08, 0.35),
    ("Viva Engage", 1.00, 0.30, 0.00, 0.30),
    ("Windows 365", 0.05, 0.80, 0.04, 0.10),
)
#: Workloads a tenant adds later (the product launched or the customer bought it mid-window).
LATE_WORKLOADS = {"M365 Copilot", "Teams Premium"}

# Azure meter categories by solution profile: (name, share of the subscription's ACR).
AZURE_PROFILES: dict[str, tuple[tuple[str, float], ...]] = {
    "infra": (("Virtual Machines", 0.45), ("Storage", 0.14), ("Backup", 0.06),
              ("Virtual Network", 0.04), ("Bandwidth", 0.03), ("Azure Site Recovery", 0.06),
              ("Azure Monitor", 0.04), ("Log Analytics", 0.05), ("Azure Virtual Desktop", 0.13)),
    "data": (("SQL Database", 0.22), ("Azure Databricks", 0.18), ("Azure Synapse Analytics", 0.10),
             ("Azure Data Factory", 0.06), ("Cognitive Services", 0.12),
             ("Azure Machine Learning", 0.08),
             ("Microsoft Fabric", 0.10), ("Azure Cosmos DB", 0.06), ("Storage", 0.05),
             ("Virtual Machines", 0.03)),
    "app": (("Azure App Service", 0.22), ("Functions", 0.06), ("Azure Kubernetes Service", 0.30),
            ("Azure Cosmos DB", 0.10), ("Azure Database for PostgreSQL", 0.10),
            ("SQL Managed Instance", 0.12), ("Storage", 0.06), ("Application Gateway", 0.04)),
}
#: Azure security services a managed-security customer runs: (name, low, high monthly ACR).
AZURE_SECURITY: tuple[tuple[str, float, float], ...] = (
    ("Microsoft Defender for Cloud", 150.0, 2500.0),
    ("Sentinel", 300.0, 7000.0),
    ("Key Vault", 15.0, 180.0),
    ("Azure Firewall", 250.0, 1800.0),
    ("Azure Bastion", 90.0, 300.0),
)

# Dynamics 365 and Power Platform workloads: (name, list price per licence and month).
DYNAMICS: tuple[tuple[str, float], ...] = (
    ("Sales", 95.0), ("Customer Service", 95.0), ("Field Service", 95.0), ("Finance", 180.0),
    ("Project Operations", 120.0), ("Supply Chain", 180.0), ("Business Central", 70.0),
)
POWER_PLATFORM: tuple[tuple[str, float], ...] = (
    ("Power Apps", 20.0), ("Power Automate", 15.0), ("Power BI", 14.0), ("Power Pages", 40.0),
)

#: PAL roles: eligible ones and the read-only ones that do not count.
PAL_ELIGIBLE = ("Owner", "Contributor", "Contributor", "Contributor", "Virtual Machine Contributor",
                "Log Analytics Contributor", "Security Admin")
PAL_INELIGIBLE = ("Reader", "Cost Management Reader", "User Access Administrator")

#: Retirement dates of the retiring certifications the demo uses (program-rules sections 4-7: each
#: counts until a year after retirement, if earned before it). Keys: upper-case names and exam codes.
RETIREMENTS: dict[str, str] = {
    **dict.fromkeys(("MICROSOFT 365 FUNDAMENTALS", "MS-900"), "2026-03-31"),
    **dict.fromkeys(("ENTERPRISE ADMINISTRATOR EXPERT", "MS-102"), "2026-11-30"),
    "TEAMS MEETINGS AND MEETING ROOMS TECHNICAL ASSESSMENT": "2026-06-15",
    **dict.fromkeys(("AZURE AI ENGINEER ASSOCIATE", "AI-102"), "2026-06-30"),
    **dict.fromkeys(("AZURE DATA SCIENTIST ASSOCIATE", "DP-100"), "2026-06-01"),
    **dict.fromkeys(("AZURE DEVELOPER ASSOCIATE", "AZ-204"), "2026-07-31"),
    **dict.fromkeys(("AZURE SECURITY ENGINEER ASSOCIATE", "AZ-500"), "2026-08-31"),
    **dict.fromkeys(("INFORMATION PROTECTION ADMINISTRATOR", "SC-400"), "2025-05-31"),
    **dict.fromkeys(("POWER PLATFORM SOLUTION ARCHITECT EXPERT", "PL-600", "MB-700", "MB-335", "MB-240",
                     "PL-500"), "2026-06-30"),
    **dict.fromkeys(("POWER PLATFORM FUNCTIONAL CONSULTANT ASSOCIATE", "PL-200"), "2026-08-31"),
}

COUNTRIES = ("US",) * 8 + ("GB",) * 3 + ("DE",) * 3 + ("FR", "FR", "NL", "CA", "CA", "AU", "IN",
                                                       "JP", "BR", "ES", "SE", "IT", "IE", "SG", "MX")

_FIRST = ("Alpine", "Blue", "Bright", "Cedar", "Coastal", "Copper", "Crescent", "Delta", "Eagle",
          "Evergreen", "Falcon", "Granite", "Harbor", "Horizon", "Iron", "Juniper", "Lakeside", "Maple",
          "Meridian", "Nimbus", "North", "Oak", "Orchid", "Pacific", "Pine", "Prairie", "Quartz",
          "Redwood", "River", "Sapphire", "Silver", "Summit", "Sun", "Tidal", "Union", "Valley",
          "Vertex", "Willow", "Zenith", "Aurora")
_SECOND = ("Analytics", "Bakery", "Builders", "Capital", "Clinic", "Consulting", "Dental", "Design",
           "Energy", "Engineering", "Foods", "Freight", "Health", "Hotels", "Insurance", "Labs",
           "Legal", "Logistics", "Manufacturing", "Media", "Motors", "Partners", "Pharma", "Realty",
           "Retail", "Robotics", "Shipping", "Software", "Solar", "Studios", "Systems", "Textiles",
           "Travel", "Ventures", "Wines", "Works")
_SUFFIX = ("", "", "Inc", "Ltd", "GmbH", "LLC", "Group", "Co", "SA", "BV")


def company_name(rnd) -> str:
    """A plausible customer name (names may repeat, as they do in Partner Center)."""
    suffix = rnd.choice(_SUFFIX)
    name = f"{rnd.choice(_FIRST)} {rnd.choice(_SECOND)}"
    return f"{name} {suffix}" if suffix else name
