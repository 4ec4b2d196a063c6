"""The SQL that turns Partner Center download rows into the data contract's tables.

`partner_center._register_rows` leaves every download row in `pc_norm` under role names (partner_id,
tenant_id, month, …) with its codes mapped; the rows that can be translated are in `pc_ok`. Each query of
`TRANSLATIONS` makes one contract table of them, every row with the `_file`, `_line` and `_from` of
the download row it came from (the newest row for names and subscriptions, the first row of an
association, the first row of a usage fact).
"""

from __future__ import annotations

from partnerscore.ingest.readers import FILE, FROM, LINE

DATE_FORMATS = "['%Y-%m-%d', '%m/%d/%Y', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%m/%d/%Y %I:%M:%S %p']"
MONTH_FORMATS = "['%Y-%m-%d', '%Y-%m', '%m/%d/%Y', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%m/%d/%Y %I:%M:%S %p']"


def normal_sql(expr: str) -> str:
    """SQL of `partner_center_schema.normal`: lower case, other characters than [0-9a-z&] one space."""
    return f"trim(regexp_replace(lower({expr}), '[^0-9a-z&]+', ' ', 'g'))"


def date_sql(expr: str) -> str:
    """SQL giving a date cell as YYYY-MM-DD when it is one in a known format, else as written."""
    return f"coalesce(strftime(try_strptime({expr}, {DATE_FORMATS}), '%Y-%m-%d'), {expr})"


#: The newest row first: dimension rows (partner and customer names, subscriptions) take its values.
NEWEST = f"month_n DESC NULLS LAST, {FILE}, {LINE}"
#: An indirect provider's CSP row that names its reseller: the reseller is the CSP_INDIRECT partner.
VIA_RESELLER = "assoc_type = 'CSP_DIRECT' AND reseller_id IS NOT NULL"

#: The download rows usage facts are read from: not a duplicate for another location, naming a workload,
#: of a usage download, or a seats row carrying the revenue of a Dynamics 365 / Power Platform product.
USAGE_ROWS = ("NOT is_duplicate AND workload IS NOT NULL AND (dataset IN ('AzureUsage', 'OfficeUsage', "
              "'DynamicsUsage') OR (dataset = 'SeatsSubscriptionsAndRevenue' AND revenue_usd IS NOT NULL "
              "AND cloud IN ('dynamics365', 'power_platform')))")
#: Each measure role, the contract type its cells must have, and the datasets it is read from.
MEASURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "acr_usd": ("decimal", ("AzureUsage",)),
    "revenue_usd": ("decimal", ("SeatsSubscriptionsAndRevenue",)),
    "paid_units": ("integer", ("OfficeUsage", "DynamicsUsage")),
    "active_units": ("integer", ("OfficeUsage", "DynamicsUsage")),
}

TRANSLATIONS: dict[str, str] = {
    "partners": f"""
        SELECT partner_id, name, {FILE}, {LINE}, {FROM} FROM (
            SELECT partner_id, partner_name AS name, month_n, {FILE}, {LINE}, {FILE} AS {FROM} FROM pc_ok
            UNION ALL
            SELECT reseller_id, reseller_name, month_n, {FILE}, {LINE}, {FILE} || '|reseller' FROM pc_ok
            WHERE {VIA_RESELLER})
        QUALIFY row_number() OVER (PARTITION BY partner_id ORDER BY {NEWEST}) = 1""",
    "customers": f"""
        SELECT tenant_id, coalesce(customer_name, tenant_name) AS name, country, segment_n AS segment,
               {FILE}, {LINE}, {FILE} AS {FROM}
        FROM pc_ok WHERE tenant_id IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY tenant_id ORDER BY {NEWEST}) = 1""",
    # Office usage's own subscription: CSP when a CSP partner is attributed on the tenant (so its CSP
    # association covers the usage, R2), otherwise EA, the program on which every CPOR type counts (R4).
    "subscriptions": f"""
        SELECT sub_id AS subscription_id, tenant_id,
               CASE WHEN dataset = 'OfficeUsage' THEN CASE WHEN bool_or(assoc_type LIKE 'CSP%') OVER s
                    THEN 'CSP' ELSE 'EA' END ELSE coalesce(program_n, sales_channel) END AS program,
               cloud, coalesce({date_sql('subscription_start')}, min(month_first) OVER s) AS start_date,
               {date_sql('subscription_end')} AS end_date, {FILE}, {LINE}, {FILE} AS {FROM}
        FROM pc_ok WHERE sub_id IS NOT NULL
        WINDOW s AS (PARTITION BY sub_id)
        QUALIFY row_number() OVER (PARTITION BY sub_id ORDER BY {NEWEST}) = 1""",
    "associations": f"""
        WITH a AS (
            SELECT CASE WHEN {VIA_RESELLER} THEN reseller_id ELSE partner_id END AS partner_id,
                   CASE WHEN {VIA_RESELLER} THEN 'CSP_INDIRECT' ELSE assoc_type END AS type,
                   CASE WHEN {VIA_RESELLER} THEN partner_id END AS indirect_provider_id,
                   tenant_id, sub_id AS subscription_id,
                   CASE WHEN assoc_type = 'CPOR_OSU' THEN workload END AS workload, admin_type, month_n,
                   max(month_n) OVER (PARTITION BY dataset) AS horizon, {FILE}, {LINE},
                   CASE WHEN {VIA_RESELLER} THEN {FILE} || '|reseller' ELSE {FILE} END AS {FROM}
            FROM pc_ok WHERE assoc_type IS NOT NULL)
        SELECT 'pc-' || left(md5(concat_ws('|', partner_id, type, tenant_id, coalesce(subscription_id, ''),
                                           coalesce(lower(workload), ''), coalesce(indirect_provider_id, ''))), 16)
                   AS association_id,
               partner_id, type, tenant_id, subscription_id, workload, indirect_provider_id,
               arg_max(admin_type, month_n) FILTER (WHERE admin_type IS NOT NULL) OVER k AS rbac_role,
               min(month_n) OVER k || '-01' AS start_date,
               CASE WHEN max(month_n) OVER k < max(horizon) OVER k
                    THEN CAST(last_day(TRY_CAST(max(month_n) OVER k || '-01' AS DATE)) AS VARCHAR) END AS end_date,
               {FILE}, {LINE}, {FROM}
        FROM a
        WINDOW k AS (PARTITION BY partner_id, type, tenant_id, subscription_id, lower(workload), indirect_provider_id)
        QUALIFY row_number() OVER (k ORDER BY month_n, {FILE}, {LINE}) = 1""",
    # A fact repeated for other locations of one global ID (duplicate flag 1) is left out; identical
    # facts of the same month, subscription and workload (one per attribution) merge into one row.
    "usage": f"""
        WITH u AS (
            SELECT month_n AS month, tenant_id, sub_id AS subscription_id, workload, acr_usd, paid_units,
                   active_units, CASE WHEN dataset = 'SeatsSubscriptionsAndRevenue' THEN revenue_usd END
                   AS revenue_usd, {FILE}, {LINE}, {FILE} AS {FROM}, lower(workload) AS workload_lc
            FROM pc_ok WHERE {USAGE_ROWS}),
        k AS (
            SELECT *, count(DISTINCT acr_usd) OVER f > 1 OR count(DISTINCT paid_units) OVER f > 1
                      OR count(DISTINCT active_units) OVER f > 1 OR count(DISTINCT revenue_usd) OVER f > 1
                      AS conflict,
                   max(acr_usd) OVER f AS acr_all, max(paid_units) OVER f AS paid_all,
                   max(active_units) OVER f AS active_all, max(revenue_usd) OVER f AS revenue_all
            FROM u WINDOW f AS (PARTITION BY month, subscription_id, workload_lc))
        SELECT month, tenant_id, subscription_id, workload, acr_all AS acr_usd, paid_all AS paid_units,
               active_all AS active_units, revenue_all AS revenue_usd, {FILE}, {LINE}, {FROM}
        FROM k WHERE NOT conflict
        QUALIFY row_number() OVER (PARTITION BY month, subscription_id, workload_lc ORDER BY {FILE}, {LINE}) = 1
        UNION ALL
        SELECT month, tenant_id, subscription_id, workload, acr_usd, paid_units, active_units, revenue_usd,
               {FILE}, {LINE}, {FROM}
        FROM k WHERE conflict
        QUALIFY row_number() OVER (PARTITION BY month, subscription_id, workload_lc, acr_usd, paid_units,
                                   active_units, revenue_usd ORDER BY {FILE}, {LINE}) = 1""",
    "certifications": f"""
        SELECT partner_id, person_id, certification, {date_sql('earned_on')} AS earned_on,
               {date_sql('expires_on')} AS expires_on, {FILE}, {LINE}, {FILE} AS {FROM}
        FROM pc_ok WHERE dataset = 'TrainingCompletions' AND {normal_sql('training_type')} IN (
            SELECT key FROM pc_certification_types)
        QUALIFY row_number() OVER (PARTITION BY partner_id, person_id, lower(certification), earned_on
                                   ORDER BY {FILE}, {LINE}) = 1""",
}
