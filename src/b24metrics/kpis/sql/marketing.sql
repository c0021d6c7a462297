-- reads: kpi_leads, kpi_deals, input_rejection_field, field_labels, local_time(), in_scope_lead(), in_scope_deal(), in_scope_lead_or_deal(),
-- reads: in_scope_client()
-- makes: kpi_rejections, kpi_contact_base
-- Marketing tables beyond kpi_leads and kpi_deals: rejections (M6) and the contact base (M7).
-- M3 and M4 read kpi_leads as it is. The rejection reason field (settings.kpis.rejection_field,
-- a UF_CRM_ name) is the one row of input_rejection_field (kpis/inputs.py); empty means no
-- field, and every loss has the reason "(none)". `reason` is the label a person reads,
-- `reason_id` the value the portal stores (an enumeration's item IDs: "1801").

-- kpi_rejections: one row per live lost lead (final negative status) and per live lost deal
-- (a stage of semantics F in the pipeline it is in now), dated by creation so that a cohort's
-- losses stand next to its volume. Lost is semantics, never a status name: a custom
-- "not our client" status of semantics F is a loss, an "Анализ причины провала" stage too.
-- A deal reopened after a loss is open now and is not here; recurring templates and deleted
-- rows never reached kpi_leads/kpi_deals.
CREATE OR REPLACE TABLE kpi_rejections AS  -- per item: in_scope_lead_or_deal(record_id) AND CASE kind WHEN 'lead' THEN in_scope_lead(record_id) ELSE in_scope_deal(record_id) END
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
raw_reason AS (
    SELECT r.entity AS kind, CAST(r.id AS BIGINT) AS record_id, json_extract(r.payload, '$.' || s.field) AS value
    FROM raw_records r JOIN setting s ON s.field IS NOT NULL
    WHERE r.entity = 'lead' AND r.id IN (SELECT CAST(record_id AS VARCHAR) FROM lost WHERE kind = 'lead')
    UNION ALL
    SELECT r.entity, CAST(r.id AS BIGINT), json_extract(r.payload, '$.' || s.field)
    FROM raw_records r JOIN setting s ON s.field IS NOT NULL
    WHERE r.entity = 'deal' AND r.id IN (SELECT CAST(record_id AS VARCHAR) FROM lost WHERE kind = 'deal')
),
codes AS (                -- a multiple field holds an array: each of its values, in its order
    SELECT kind, record_id,
           CASE WHEN json_type(value) = 'ARRAY' THEN json_extract_string(value, '$[*]')
                ELSE [json_extract_string(value, '$')] END AS codes
    FROM raw_reason
),
each_code AS (
    SELECT kind, record_id, unnest(codes) AS code, generate_subscripts(codes, 1) AS pos FROM codes
),
-- The reason as a person reads it (an enumeration's item text, a status name, a user's name:
-- field_labels), and the values as stored beside it for exports and BI tools.
reason AS (
    SELECT c.kind, c.record_id,
           string_agg(coalesce(fl.label, nullif(trim(c.code), '')), ', ' ORDER BY c.pos) AS reason,
           string_agg(nullif(trim(c.code), ''), ', ' ORDER BY c.pos) AS reason_id
    FROM each_code c
    CROSS JOIN setting s
    LEFT JOIN field_labels fl ON fl.entity = c.kind AND fl.field = s.field AND fl.code = trim(c.code)
    GROUP BY c.kind, c.record_id
)
SELECT l.*, coalesce(r.reason, '(none)') AS reason, r.reason_id
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
