-- reads: kpi_leads, kpi_deals, manager_names, live_activities, local_time()
-- makes: kpi_hygiene
-- kpi_hygiene (H1): what managers left unfilled or undone, counted per kind of item, local day
-- and manager: live leads and deals (recurring templates are no deals) on the day they were
-- created, open activities on the day they fall due (their creation when they have no deadline).
-- A lost deal needs no amount: amount_due counts the open and won ones. has_leads lets lead
-- figures say NULL, not 0, on a portal in simple CRM mode.

-- Whether a lead or deal has any activity is kept with it (has_activity, in kpi_leads and
-- kpi_deals), so this table only counts.
CREATE OR REPLACE TABLE kpi_hygiene AS
WITH items AS (
    SELECT 'lead' AS kind, l.manager_id, CAST(l.created_at AS DATE) AS item_day,
           l.source_id IS NULL AS no_source, NULL::BOOLEAN AS no_amount,
           NOT l.has_activity AS no_activity, NULL::BOOLEAN AS overdue
    FROM kpi_leads l
    UNION ALL
    SELECT 'deal', d.manager_id, CAST(d.created_at AS DATE), NULL,
           CASE WHEN NOT d.lost THEN d.amount = 0 END, NOT d.has_activity, NULL
    FROM kpi_deals d
    UNION ALL
    SELECT 'activity', responsible_id, CAST(local_time(coalesce(deadline, created)) AS DATE), NULL, NULL, NULL,
           coalesce(deadline < now(), false)
    FROM live_activities WHERE NOT coalesce(completed, false)
)
SELECT c.kind, c.item_day, coalesce(m.manager, '#' || c.manager_id, '(nobody)') AS manager, c.* EXCLUDE (kind, item_day),
       (SELECT count(*) FROM leads) > 0 AS has_leads
FROM (
    SELECT kind, item_day, manager_id,
           count(*) AS items,
           count(*) FILTER (WHERE no_source) AS no_source,
           count(*) FILTER (WHERE no_amount IS NOT NULL) AS amount_due,
           count(*) FILTER (WHERE no_amount) AS no_amount,
           count(*) FILTER (WHERE no_activity) AS no_activity,
           count(*) FILTER (WHERE overdue) AS overdue
    FROM items
    GROUP BY kind, item_day, manager_id
) c
LEFT JOIN manager_names m ON m.manager_id = c.manager_id;
