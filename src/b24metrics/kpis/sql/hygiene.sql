-- kpi_hygiene (H1): what a manager left unfilled or undone, one row per item: each live lead and
-- deal (recurring templates are no deals) by its creation, each open activity by its deadline
-- (its creation when it has none). A flag is NULL where it does not apply: a lost deal needs no
-- amount, an activity has no source. Uses manager_names and live_activities from sales.sql,
-- which the refresh runs before this file. has_leads lets lead figures say NULL, not 0, on a
-- portal in simple CRM mode.

CREATE OR REPLACE TABLE kpi_hygiene AS
WITH touched AS (                 -- leads and deals with at least one activity of any kind
    SELECT DISTINCT owner_type_id, owner_id FROM live_activities WHERE owner_type_id IN (1, 2)
)
SELECT i.*, (SELECT count(*) FROM leads) > 0 AS has_leads
FROM (
    SELECT 'lead' AS kind, l.lead_id AS item_id, l.created_at AS item_at, l.manager, l.manager_id,
           l.source_id IS NULL AS no_source, NULL::BOOLEAN AS no_amount,
           t.owner_id IS NULL AS no_activity, NULL::BOOLEAN AS overdue
    FROM kpi_leads l
    LEFT JOIN touched t ON t.owner_type_id = 1 AND t.owner_id = l.lead_id
    UNION ALL BY NAME
    SELECT 'deal' AS kind, d.deal_id AS item_id, d.created_at AS item_at, d.manager, d.manager_id,
           CASE WHEN NOT d.lost THEN d.amount = 0 END AS no_amount,
           t.owner_id IS NULL AS no_activity
    FROM kpi_deals d
    LEFT JOIN touched t ON t.owner_type_id = 2 AND t.owner_id = d.deal_id
    UNION ALL BY NAME
    SELECT 'activity' AS kind, a.id AS item_id, local_time(coalesce(a.deadline, a.created)) AS item_at,
           coalesce(m.manager, '(nobody)') AS manager, a.responsible_id AS manager_id,
           coalesce(a.deadline < now(), false) AS overdue
    FROM live_activities a
    LEFT JOIN manager_names m ON m.manager_id = a.responsible_id
    WHERE NOT coalesce(a.completed, false)
) i;
