-- reads: kpi_leads, kpi_deals, input_rejection_field, local_time(), in_scope_lead(), in_scope_deal(), in_scope_client()
-- makes: kpi_rejections, kpi_contact_base
-- Marketing tables beyond kpi_leads and kpi_deals: rejections (M6) and the contact base (M7).
-- M3 and M4 read kpi_leads as it is. The rejection reason field (settings.kpis.rejection_field,
-- a UF_CRM_ name) is the one row of input_rejection_field (kpis/inputs.py); empty means no
-- field, and every loss has the reason "(none)".

-- kpi_rejections: one row per live lost lead (final negative status) and per live lost deal
-- (a stage of semantics F in the pipeline it is in now), dated by creation so that a cohort's
-- losses stand next to its volume. Lost is semantics, never a status name: a custom
-- "not our client" status of semantics F is a loss, an "Анализ причины провала" stage too.
-- A deal reopened after a loss is open now and is not here; recurring templates and deleted
-- rows never reached kpi_leads/kpi_deals.
CREATE OR REPLACE TABLE kpi_rejections AS  -- per item: CASE kind WHEN 'lead' THEN in_scope_lead(record_id) ELSE in_scope_deal(record_id) END
WITH setting AS (
    SELECT max(field) AS field FROM input_rejection_field
),
lost AS (
    SELECT 'lead' AS kind, lead_id AS record_id, created_at, status AS stage, NULL::VARCHAR AS pipeline,
           channel, utm_source, utm_medium, utm_campaign, manager
    FROM kpi_leads WHERE junk AND in_scope_lead(lead_id)
    UNION ALL
    SELECT 'deal', deal_id, created_at, stage, pipeline,
           channel, utm_source, utm_medium, utm_campaign, manager
    FROM kpi_deals WHERE lost AND in_scope_deal(deal_id)
),
-- Only the lost records' payloads, and none at all when no field is configured: raw_records is
-- the widest table of the warehouse. One IN per kind, not a join on (kind, id): the join reads
-- every lead's and deal's payload to find a few thousand (measured 4x slower).
reason AS (
    SELECT r.entity AS kind, CAST(r.id AS BIGINT) AS record_id,
           nullif(trim(json_extract_string(r.payload, '$.' || s.field)), '') AS reason
    FROM raw_records r JOIN setting s ON s.field IS NOT NULL
    WHERE r.entity = 'lead' AND r.id IN (SELECT CAST(record_id AS VARCHAR) FROM lost WHERE kind = 'lead')
    UNION ALL
    SELECT r.entity, CAST(r.id AS BIGINT),
           nullif(trim(json_extract_string(r.payload, '$.' || s.field)), '')
    FROM raw_records r JOIN setting s ON s.field IS NOT NULL
    WHERE r.entity = 'deal' AND r.id IN (SELECT CAST(record_id AS VARCHAR) FROM lost WHERE kind = 'deal')
)
SELECT l.*, coalesce(r.reason, '(none)') AS reason
FROM lost l
LEFT JOIN reason r USING (kind, record_id);

-- kpi_contact_base: one row per live contact and per live client company (the portal's own
-- companies, IS_MY_COMPANY, are no clients) by its creation, plus one
-- empty row per local day from the first of them to today. The empty days give every period a
-- row: without them a month with no new contacts would be missing from the cut, and the next
-- month's previous-period join would find nothing where the base was in fact unchanged.
-- An incremental refresh recomputes the contacts and companies that changed (scope_clients
-- holds them) and the empty days.
CREATE OR REPLACE TABLE kpi_contact_base AS  -- per item: kind IS NULL OR in_scope_client(kind || ' ' || record_id)
WITH everyone AS (
    SELECT 'contact' AS kind, id AS record_id, date_create FROM contacts WHERE NOT deleted AND date_create IS NOT NULL
    UNION ALL
    SELECT 'company', id, date_create FROM companies
    WHERE NOT deleted AND NOT coalesce(is_my_company, false) AND date_create IS NOT NULL
),
born AS (
    SELECT kind, record_id, local_time(date_create) AS created_at
    FROM everyone WHERE in_scope_client(kind || ' ' || record_id)
),
span AS (                 -- over everyone, in scope or not
    SELECT CAST(min(local_time(date_create)) AS DATE) AS first_day,
           greatest(CAST(max(local_time(date_create)) AS DATE), CAST(local_time(now()) AS DATE)) AS last_day
    FROM everyone
)
SELECT kind, record_id, created_at FROM born
UNION ALL
SELECT NULL, NULL, unnest(generate_series(CAST(first_day AS TIMESTAMP), CAST(last_day AS TIMESTAMP), INTERVAL 1 DAY))
FROM span
WHERE first_day IS NOT NULL;
