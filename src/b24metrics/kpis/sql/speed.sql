-- reads: kpi_leads, kpi_deals, speed_sla_minutes, local_time(), in_scope_lead(), in_scope_deal(), in_scope_lead_or_deal(), scope_activities
-- makes: kpi_speed_to_lead, kpi_stages, history_pkey(), kpi_stage_stays
-- Speed family (S1 speed to lead, S2 time in stage; S3 deal cycle reads kpi_deals directly).
-- Also builds kpi_stages and the macro history_pkey(), which the funnel family (funnel.sql) reuses.

-- kpi_speed_to_lead: one row per live lead with its first response.
-- kpi_leads.speed_seconds is not used: it counts planned (not completed) activities as
-- contacts, takes a lead's creation row as a status change when the lead was created in a
-- later status, and goes negative when a call precedes the lead's creation.
-- The SLA comes from settings.kpis.speed_sla_minutes through the session variable
-- speed_sla_minutes; without it, the config's default of 15 minutes applies.
CREATE OR REPLACE TABLE kpi_speed_to_lead AS  -- per item: in_scope_lead(lead_id)
WITH touches AS (
    -- a planned call or meeting is not a contact until it is done; incoming ones are the
    -- client reaching us, not us answering
    SELECT owner_id AS lead_id, coalesce(start_time, created) AS ts,
           CASE type_id WHEN 1 THEN 'meeting' WHEN 2 THEN 'call' ELSE 'e-mail' END AS how
    FROM scope_activities
    WHERE owner_type_id = 1 AND completed AND (type_id = 1 OR (type_id IN (2, 4) AND direction = 2))
    UNION ALL
    -- telephony records catch outgoing calls (and callbacks) that left no activity
    SELECT crm_entity_id, call_start_date, 'call'
    FROM calls WHERE crm_entity_type = 'LEAD' AND call_type IN (1, 4) AND in_scope_lead(crm_entity_id)
),
first_touch AS (
    SELECT lead_id, arg_min(how, ts) AS how, min(ts) AS ts FROM touches GROUP BY 1
),
first_move AS (
    -- the portal writes a history row only when the status changes, so every row but the
    -- creation row (TYPE_ID 1, or one at the creation moment: it only says which status the
    -- lead was created in) is a change
    SELECT h.owner_id AS lead_id, min(h.created_time) AS ts
    FROM lead_history h JOIN leads l ON l.id = h.owner_id
    WHERE h.type_id IS DISTINCT FROM 1 AND h.created_time > l.date_create AND in_scope_lead(h.owner_id)
    GROUP BY 1
),
answered AS (
    SELECT l.id AS lead_id,
           coalesce(t.ts, m.ts) AS ts,
           CASE WHEN t.ts IS NOT NULL THEN t.how WHEN m.ts IS NOT NULL THEN 'status change' END AS how,
           -- epoch arithmetic: date_diff on TIMESTAMPTZ goes through the calendar, many times slower
           (epoch(coalesce(t.ts, m.ts)) - epoch(l.date_create)) / 60.0 AS minutes
    FROM leads l
    LEFT JOIN first_touch t ON t.lead_id = l.id
    LEFT JOIN first_move m ON m.lead_id = l.id
    WHERE NOT l.deleted AND in_scope_lead(l.id)
)
SELECT k.lead_id, k.created_at, k.channel, k.source_id, k.utm_source, k.utm_medium, k.utm_campaign,
       k.manager, k.manager_id, k.grade,
       local_time(a.ts) AS first_response_at,
       a.how AS response,
       -- a call logged a moment before the lead was typed in was an immediate answer
       CASE WHEN a.minutes < 0 THEN 0 ELSE a.minutes END AS speed_minutes,
       a.ts IS NOT NULL AS contacted,
       CAST(coalesce(TRY_CAST(getvariable('speed_sla_minutes') AS DOUBLE), 15) AS DOUBLE) AS sla_minutes
FROM kpi_leads k
JOIN answered a ON a.lead_id = k.lead_id
WHERE in_scope_lead(k.lead_id);


-- kpi_stages: the stage dictionary, lead statuses and the stages of every deal pipeline, in
-- the pipeline's order (statuses.sort). pkey names the pipeline in one integer: -1 for lead
-- statuses, else the deal category. A stage label carries its pipeline because pipelines reuse
-- names ("Новая" in each): cut by stage, two pipelines' stages must not merge.
CREATE OR REPLACE TABLE kpi_stages AS
WITH dict AS (
    SELECT CASE WHEN s.entity_id = 'STATUS' THEN 'lead' ELSE 'deal' END AS entity,
           CASE WHEN s.entity_id = 'STATUS' THEN -1
                WHEN s.entity_id = 'DEAL_STAGE' THEN 0
                ELSE CAST(substr(s.entity_id, 12) AS BIGINT) END AS pkey,
           s.status_id AS stage_id, coalesce(nullif(s.name, ''), s.status_id) AS stage_name, s.sort,
           -- process stages carry no semantics in the dictionary
           CASE WHEN s.semantics IN ('S', 'F') THEN s.semantics ELSE 'P' END AS semantic
    FROM statuses s
    WHERE NOT s.deleted AND regexp_full_match(s.entity_id, 'STATUS|DEAL_STAGE(_[0-9]+)?')
)
SELECT *, pipeline || ': ' || stage_name AS stage
FROM (
    SELECT d.entity, d.pkey,
           CASE WHEN d.entity = 'lead' THEN 'Leads'
                ELSE coalesce(cat.name, CASE WHEN d.pkey = 0 THEN 'General' END, '#' || d.pkey)
           END AS pipeline,
           d.stage_id, d.stage_name, d.sort, d.semantic
    FROM dict d
    LEFT JOIN deal_categories cat ON d.entity = 'deal' AND cat.id = d.pkey AND NOT cat.deleted
);

-- The pipeline a deal history row was written in (funnel.sql uses it too): its own
-- CATEGORY_ID, not the deal's current one, since the deal may have moved since.
CREATE OR REPLACE TEMP MACRO history_pkey(category_id, stage_id) AS
    coalesce(category_id, TRY_CAST(regexp_extract(stage_id, '^C(\d+):', 1) AS BIGINT), 0);


-- kpi_stage_stays: one row per stay of a live lead or deal in a status or stage. A stay begins
-- with a history row and ends when the next history row of the same item begins (the portal
-- writes a row only when the stage changes, so each row begins a stay). A deal's rows keep the
-- pipeline they were written in: after a move between pipelines the portal lists only the new
-- pipeline's rows, but rows synced before the move stay here, and their stages belong to the
-- old pipeline's dictionary.
-- The current stay is open (ended_at and hours NULL): it is kept for drill-down, but the
-- time-in-stage KPI counts finished stays only, since an open stay's length is not known yet
-- and "up to now" would make the median depend on when the refresh ran and on abandoned items
-- nobody closes (and would change every row at every refresh).
-- Each history table is ordered on its own, narrow (one window each, integer partitions):
-- cheaper than ordering their union with the items' columns. Text columns cost the most to
-- write at millions of rows: entity and semantic are ENUMs.
CREATE OR REPLACE TABLE kpi_stage_stays AS  -- per item: in_scope_lead_or_deal(item_id) AND CASE entity WHEN 'lead' THEN in_scope_lead(item_id) ELSE in_scope_deal(item_id) END
WITH lead_moves AS (
    SELECT owner_id AS item_id, created_time AS ts,
           lead(created_time) OVER (PARTITION BY owner_id ORDER BY created_time, id) AS left_ts,
           status_id AS stage_id, status_semantic_id AS row_semantic
    FROM lead_history WHERE in_scope_lead(owner_id)
),
deal_moves AS (
    SELECT owner_id AS item_id, created_time AS ts,
           lead(created_time) OVER (PARTITION BY owner_id ORDER BY created_time, id) AS left_ts,
           history_pkey(category_id, stage_id) AS pkey, stage_id, stage_semantic_id AS row_semantic
    FROM deal_history WHERE in_scope_deal(owner_id)
),
moves AS (   -- live items only: deleted ones and recurring-deal templates are not in kpi_leads/kpi_deals
    SELECT 'lead' AS entity, m.item_id, m.ts, m.left_ts, -1 AS pkey, m.stage_id, m.row_semantic,
           k.channel, k.utm_source, k.utm_medium, k.utm_campaign, k.manager
    FROM lead_moves m JOIN kpi_leads k ON k.lead_id = m.item_id
    UNION ALL
    SELECT 'deal', m.item_id, m.ts, m.left_ts, m.pkey, m.stage_id, m.row_semantic,
           k.channel, k.utm_source, k.utm_medium, k.utm_campaign, k.manager
    FROM deal_moves m JOIN kpi_deals k ON k.deal_id = m.item_id
),
pipelines AS (
    SELECT DISTINCT pkey, pipeline FROM kpi_stages
)
SELECT CAST(m.entity AS ENUM('lead', 'deal')) AS entity, m.item_id,
       coalesce(p.pipeline, '#' || m.pkey) AS pipeline,
       coalesce(st.stage, coalesce(p.pipeline, '#' || m.pkey) || ': ' || m.stage_id) AS stage,
       CAST(coalesce(st.semantic, CASE WHEN m.row_semantic IN ('S', 'F') THEN m.row_semantic ELSE 'P' END)
            AS ENUM('P', 'S', 'F')) AS semantic,
       local_time(m.ts) AS entered_at,
       local_time(m.left_ts) AS ended_at,
       m.left_ts IS NULL AS open,
       (epoch(m.left_ts) - epoch(m.ts)) / 3600.0 AS hours,
       m.channel, m.utm_source, m.utm_medium, m.utm_campaign, m.manager
FROM moves m
LEFT JOIN pipelines p ON p.pkey = m.pkey
LEFT JOIN kpi_stages st ON st.pkey = m.pkey AND st.stage_id = m.stage_id;
