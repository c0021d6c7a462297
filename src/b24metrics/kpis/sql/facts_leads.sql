-- reads: local_time(), in_scope_lead(), input_lead_stages, scope_activities
-- makes: manager_names, kpi_leads
-- kpi_leads: one row per live lead with what the lead KPIs count and cut by.
-- Times are the portal's local wall clock (local_time(), a macro set up from the config),
-- so that periods begin at the portal's midnight. Channel = source name (the code when the
-- dictionary lacks it); manager = the responsible user's name and ID.

-- One label per responsible user for every KPI table ("Name Surname #id", "#id" when the user
-- has no name). Every family joins it by manager_id.
CREATE OR REPLACE TEMP VIEW manager_names AS
SELECT id AS manager_id,
       coalesce(nullif(trim(concat_ws(' ', name, last_name)), '') || ' #' || id, '#' || id) AS manager
FROM users;

CREATE OR REPLACE TABLE kpi_leads AS  -- per item: in_scope_lead(lead_id)
WITH initial_status AS (          -- a lead's first status: the lowest SORT of STATUS
    SELECT status_id FROM statuses WHERE entity_id = 'STATUS' AND NOT deleted ORDER BY sort, id LIMIT 1
),
stages AS (                       -- the statuses [kpis.lead_stages] names, per kind (none: the inference)
    SELECT list(status_id) FILTER (WHERE kind = 'accepted') AS accepted,
           list(status_id) FILTER (WHERE kind = 'qualified') AS qualified
    FROM input_lead_stages
),
configured AS (                   -- which of the two lists are set: an empty one keeps the inference
    SELECT coalesce(len(accepted), 0) > 0 AS accepted, coalesce(len(qualified), 0) > 0 AS qualified FROM stages
),
-- One pass over the history of the leads in scope (three CTEs each scanning lead_history cost
-- three times as much): moved_at, the first time the lead left its initial status; worked, once
-- in a working status (neither the first nor a failure); accepted / qualified, once in a status
-- [kpis.lead_stages] names (the lead's status now is added in the SELECT)
history AS (
    SELECT owner_id AS lead_id,
           min(created_time) FILTER (WHERE status_id IS DISTINCT FROM (SELECT status_id FROM initial_status)) AS moved_at,
           bool_or(status_id IS DISTINCT FROM (SELECT status_id FROM initial_status)
                   AND coalesce(status_semantic_id, 'P') <> 'F') AS worked,
           bool_or(list_contains((SELECT accepted FROM stages), status_id)) AS accepted,
           bool_or(list_contains((SELECT qualified FROM stages), status_id)) AS qualified
    FROM lead_history
    WHERE in_scope_lead(owner_id)
    GROUP BY 1
),
deal_of AS (                      -- deals that came from the lead (deal.LEAD_ID)
    SELECT lead_id, count(*) AS deals, count(*) FILTER (WHERE stage_semantic_id = 'S') AS won_deals
    FROM deals WHERE NOT deleted AND NOT coalesce(is_recurring, false) AND lead_id > 0 AND in_scope_lead(lead_id)
    GROUP BY 1
),
touched AS (                      -- leads with at least one activity of any kind (hygiene, H1)
    SELECT DISTINCT owner_id AS lead_id FROM scope_activities WHERE owner_type_id = 1
)
SELECT l.id AS lead_id,
       local_time(l.date_create) AS created_at,
       coalesce(src.name, nullif(l.source_id, ''), '(no source)') AS channel,
       nullif(l.source_id, '') AS source_id,
       coalesce(nullif(l.utm_source, ''), '(none)') AS utm_source,
       coalesce(nullif(l.utm_medium, ''), '(none)') AS utm_medium,
       coalesce(nullif(l.utm_campaign, ''), '(none)') AS utm_campaign,
       coalesce(mn.manager, '#' || l.assigned_by_id, '(nobody)') AS manager,
       l.assigned_by_id AS manager_id,
       l.status_id,
       coalesce(st.name, l.status_id) AS status,
       l.status_semantic_id AS semantic,
       -- accepted into work (SAL): with [kpis.lead_stages] accepted, it was once in one of those
       -- statuses; else once in a working status (not the first one, not a failure), or in one
       -- now. Either way a qualified or converted lead was accepted; a lead junked straight from
       -- the first status never was
       (CASE WHEN (SELECT accepted FROM configured) THEN coalesce(h.accepted OR list_contains((SELECT accepted FROM stages), l.status_id), false)
             ELSE coalesce(h.worked, false)
                  OR (l.status_id IS DISTINCT FROM (SELECT status_id FROM initial_status)
                      AND coalesce(l.status_semantic_id, 'P') <> 'F') END
        OR (coalesce(h.qualified OR list_contains((SELECT qualified FROM stages), l.status_id), false) AND (SELECT qualified FROM configured))
        OR coalesce(d.deals, 0) > 0 OR l.status_semantic_id = 'S') AS accepted,
       l.status_semantic_id = 'S' OR coalesce(d.deals, 0) > 0 AS converted,
       -- qualified (SQL): with [kpis.lead_stages] qualified, once in one of those statuses; a
       -- converted lead is qualified either way
       ((coalesce(h.qualified OR list_contains((SELECT qualified FROM stages), l.status_id), false) AND (SELECT qualified FROM configured))
        OR l.status_semantic_id = 'S' OR coalesce(d.deals, 0) > 0) AS qualified,
       l.status_semantic_id = 'F' AS junk,
       coalesce(d.deals, 0) AS deals,
       coalesce(d.won_deals, 0) > 0 AS won,
       g.grade, g.score,
       local_time(h.moved_at) AS moved_at,      -- speed to lead lives in kpi_speed_to_lead (S1)
       coalesce(l.opportunity, 0) AS opportunity,
       coalesce(nullif(l.currency_id, ''), '(none)') AS currency,
       nullif(l.company_id, 0) AS company_id,  -- a client's first contact (kpi_client_purchases)
       t.lead_id IS NOT NULL AS has_activity
FROM leads l
LEFT JOIN statuses src ON src.entity_id = 'SOURCE' AND src.status_id = l.source_id AND NOT src.deleted
LEFT JOIN statuses st ON st.entity_id = 'STATUS' AND st.status_id = l.status_id AND NOT st.deleted
LEFT JOIN manager_names mn ON mn.manager_id = l.assigned_by_id
LEFT JOIN history h ON h.lead_id = l.id
LEFT JOIN deal_of d ON d.lead_id = l.id
-- the grades of the leads in scope only: joined whole, the million grades were hashed to be probed
-- by the few thousand leads
LEFT JOIN (SELECT lead_id, grade, score FROM lead_grades WHERE in_scope_lead(lead_id)) g ON g.lead_id = l.id
LEFT JOIN touched t ON t.lead_id = l.id
WHERE NOT l.deleted AND in_scope_lead(l.id);
