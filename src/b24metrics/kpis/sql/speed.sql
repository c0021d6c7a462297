-- Speed family (S1 speed to lead, S2 time in stage; S3 deal cycle reads kpi_deals directly).
-- Also builds kpi_stages and kpi_stage_stays, which the funnel family (funnel.sql) reuses.

-- kpi_speed_to_lead: one row per live lead with its first response.
-- kpi_leads.speed_seconds is not used: it counts planned (not completed) activities as
-- contacts, takes a lead's creation row as a status change when the lead was created in a
-- later status, and goes negative when a call precedes the lead's creation.
-- The SLA comes from settings.kpis.speed_sla_minutes through the session variable
-- speed_sla_minutes; without it, the config's default of 15 minutes applies.
CREATE OR REPLACE TABLE kpi_speed_to_lead AS
WITH initial_status AS (
    SELECT status_id FROM statuses WHERE entity_id = 'STATUS' AND NOT deleted ORDER BY sort, id LIMIT 1
),
touches AS (
    -- a planned call or meeting is not a contact until it is done; incoming ones are the
    -- client reaching us, not us answering
    SELECT owner_id AS lead_id, coalesce(start_time, created) AS ts,
           CASE type_id WHEN 1 THEN 'meeting' WHEN 2 THEN 'call' ELSE 'e-mail' END AS how
    FROM activities
    WHERE NOT deleted AND owner_type_id = 1 AND completed
      AND (type_id = 1 OR (type_id IN (2, 4) AND direction = 2))
    UNION ALL
    -- telephony records catch outgoing calls (and callbacks) that left no activity
    SELECT crm_entity_id, call_start_date, 'call'
    FROM calls WHERE crm_entity_type = 'LEAD' AND call_type IN (1, 4)
),
first_touch AS (
    SELECT lead_id, arg_min(how, ts) AS how, min(ts) AS ts FROM touches GROUP BY 1
),
history AS (
    SELECT owner_id AS lead_id, created_time AS ts, type_id, status_id,
           lag(status_id) OVER (PARTITION BY owner_id ORDER BY created_time, id) AS before
    FROM lead_history
),
first_move AS (
    -- a change of status after creation; TYPE_ID 1 is the creation row, which only says
    -- which status the lead was created in
    SELECT h.lead_id, min(h.ts) AS ts
    FROM history h JOIN leads l ON l.id = h.lead_id
    WHERE h.type_id IS DISTINCT FROM 1 AND h.ts > l.date_create
      AND h.status_id IS DISTINCT FROM coalesce(h.before, (SELECT status_id FROM initial_status))
    GROUP BY 1
),
answered AS (
    SELECT l.id AS lead_id,
           coalesce(t.ts, m.ts) AS ts,
           CASE WHEN t.ts IS NOT NULL THEN t.how WHEN m.ts IS NOT NULL THEN 'status change' END AS how,
           date_diff('second', l.date_create, coalesce(t.ts, m.ts)) / 60.0 AS minutes
    FROM leads l
    LEFT JOIN first_touch t ON t.lead_id = l.id
    LEFT JOIN first_move m ON m.lead_id = l.id
    WHERE NOT l.deleted
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
JOIN answered a ON a.lead_id = k.lead_id;


-- kpi_stages: the stage dictionary, lead statuses and the stages of every deal pipeline, in
-- the pipeline's order (statuses.sort). A stage label carries its pipeline because pipelines
-- reuse names ("Новая" in each): cut by stage, two pipelines' stages must not merge.
CREATE OR REPLACE TABLE kpi_stages AS
WITH dict AS (
    SELECT CASE WHEN s.entity_id = 'STATUS' THEN 'lead' ELSE 'deal' END AS entity,
           CASE WHEN s.entity_id = 'STATUS' THEN NULL
                WHEN s.entity_id = 'DEAL_STAGE' THEN 0
                ELSE CAST(substr(s.entity_id, 12) AS BIGINT) END AS category_id,
           s.status_id AS stage_id, coalesce(nullif(s.name, ''), s.status_id) AS stage_name, s.sort,
           -- process stages carry no semantics in the dictionary
           coalesce(nullif(s.semantics, ''), 'P') AS semantic
    FROM statuses s
    WHERE NOT s.deleted AND regexp_full_match(s.entity_id, 'STATUS|DEAL_STAGE(_[0-9]+)?')
)
SELECT d.entity, d.category_id,
       d.entity || coalesce(':' || d.category_id, '') AS pipeline_key,
       CASE WHEN d.entity = 'lead' THEN 'Leads'
            ELSE coalesce(cat.name, CASE WHEN d.category_id = 0 THEN 'General' END, '#' || d.category_id)
       END AS pipeline,
       d.stage_id, d.stage_name, d.sort, d.semantic
FROM dict d
LEFT JOIN deal_categories cat ON d.entity = 'deal' AND cat.id = d.category_id AND NOT cat.deleted;


-- kpi_stage_stays: one row per stay of a live lead or deal in a status or stage. A stay begins
-- with a history row and ends when the next history row of the same item begins; repeated rows
-- of the same stage are one stay. A deal's rows keep the pipeline they were written in: after a
-- move between pipelines the portal lists only the new pipeline's rows, but rows synced before
-- the move stay here, and their stages belong to the old pipeline's dictionary.
-- The current stay is open (ended_at NULL, hours up to the refresh): it is kept for
-- drill-down, but the time-in-stage KPI counts finished stays only, since an open stay's
-- length is not known yet and "up to now" would make the median depend on when the refresh
-- ran and on abandoned items nobody closes.
CREATE OR REPLACE TABLE kpi_stage_stays AS
WITH moves AS (
    SELECT 'lead' AS entity, owner_id AS item_id, id, created_time AS ts,
           CAST(NULL AS BIGINT) AS category_id, status_id AS stage_id, status_semantic_id AS row_semantic
    FROM lead_history
    UNION ALL
    SELECT 'deal', owner_id, id, created_time,
           coalesce(category_id, TRY_CAST(regexp_extract(stage_id, '^C(\d+):', 1) AS BIGINT), 0),
           stage_id, stage_semantic_id
    FROM deal_history
),
ordered AS (
    SELECT *,
           lag(stage_id) OVER w AS prev_stage,
           lag(category_id) OVER w AS prev_category
    FROM moves
    WINDOW w AS (PARTITION BY entity, item_id ORDER BY ts, id)
),
stays AS (
    SELECT *, lead(ts) OVER (PARTITION BY entity, item_id ORDER BY ts, id) AS left_at
    FROM ordered
    WHERE prev_stage IS DISTINCT FROM stage_id OR prev_category IS DISTINCT FROM category_id
),
keyed AS (
    SELECT *, entity || coalesce(':' || category_id, '') AS pipeline_key FROM stays
),
pipelines AS (
    SELECT DISTINCT pipeline_key, pipeline FROM kpi_stages
),
items AS (   -- live items only: deleted ones and recurring-deal templates are not in these
    SELECT 'lead' AS entity, lead_id AS item_id, created_at, channel, utm_source, utm_medium, utm_campaign, manager
    FROM kpi_leads
    UNION ALL
    SELECT 'deal', deal_id, created_at, channel, utm_source, utm_medium, utm_campaign, manager
    FROM kpi_deals
)
SELECT s.entity, s.item_id, s.id AS history_id, s.pipeline_key,
       coalesce(p.pipeline, '#' || s.category_id) AS pipeline,
       s.category_id, s.stage_id,
       coalesce(p.pipeline, '#' || s.category_id) || ': ' || coalesce(st.stage_name, s.stage_id) AS stage,
       st.sort AS stage_sort,
       coalesce(st.semantic, nullif(s.row_semantic, ''), 'P') AS semantic,
       local_time(s.ts) AS entered_at,
       local_time(s.left_at) AS ended_at,
       s.left_at IS NULL AS open,
       date_diff('second', s.ts, coalesce(s.left_at, now())) / 3600.0 AS hours,
       i.created_at AS item_created_at, i.channel, i.utm_source, i.utm_medium, i.utm_campaign, i.manager
FROM keyed s
JOIN items i ON i.entity = s.entity AND i.item_id = s.item_id
LEFT JOIN pipelines p ON p.pipeline_key = s.pipeline_key
LEFT JOIN kpi_stages st ON st.pipeline_key = s.pipeline_key AND st.stage_id = s.stage_id;
