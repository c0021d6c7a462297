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
SELECT c.kind, c.item_day, coalesce(m.manager, '#' || c.manager_id, '(nobody)') AS manager, c.* EXCLUDE (kind, item_day),
       (SELECT count(*) FROM leads) > 0 AS has_leads
FROM (
    -- each kind counted on its own (one group-by of all 1.6M items by kind too took longer)
    SELECT 'lead' AS kind, CAST(created_at AS DATE) AS item_day, manager_id, count(*) AS items,
           count(*) FILTER (WHERE source_id IS NULL) AS no_source, 0 AS amount_due, 0 AS no_amount,
           count(*) FILTER (WHERE NOT has_activity) AS no_activity, 0 AS overdue
    FROM kpi_leads GROUP BY 2, 3
    UNION ALL
    SELECT 'deal', CAST(created_at AS DATE), manager_id, count(*), 0,
           count(*) FILTER (WHERE NOT lost), count(*) FILTER (WHERE NOT lost AND amount = 0),
           count(*) FILTER (WHERE NOT has_activity), 0
    FROM kpi_deals GROUP BY 2, 3
    UNION ALL
    SELECT 'activity', CAST(local_time(coalesce(deadline, created)) AS DATE), responsible_id, count(*), 0, 0, 0, 0,
           count(*) FILTER (WHERE coalesce(deadline < now(), false))
    FROM live_activities WHERE NOT coalesce(completed, false) GROUP BY 2, 3
) c
LEFT JOIN manager_names m ON m.manager_id = c.manager_id;
