-- reads: kpi_leads, manager_names, local_time(), in_scope_deal(), scope_activities
-- makes: kpi_deals
-- kpi_deals: one row per live deal (recurring-deal templates excluded) with what the deal KPIs
-- count and cut by. Won and lost come from stage semantics (S/F), never stage names; closing
-- time from stage history (or MOVED_TIME), never CLOSEDATE, which is a planned date.

CREATE OR REPLACE TABLE kpi_deals AS  -- per item: in_scope_deal(deal_id)
WITH scoped AS MATERIALIZED (   -- the deals in scope first: left to the end, the filter came
    SELECT * FROM deals         -- after a dozen joins of every deal
    WHERE NOT deleted AND NOT coalesce(is_recurring, false) AND in_scope_deal(id)
),
origin_leads AS (               -- the leads of the deals in scope: a join would otherwise
    SELECT lead_id FROM scoped  -- hash a million leads
),
last_open AS (                    -- the last time each deal was in an open stage
    SELECT owner_id AS deal_id, max(created_time) AS at
    FROM deal_history WHERE stage_semantic_id NOT IN ('S', 'F') AND in_scope_deal(owner_id)
    GROUP BY 1
),
closing AS (                      -- the start of its last final stretch: LOSE then APOLOGY a
    SELECT h.owner_id AS deal_id, min(h.created_time) AS at   -- month later closed at LOSE
    FROM deal_history h LEFT JOIN last_open o ON o.deal_id = h.owner_id
    WHERE h.stage_semantic_id IN ('S', 'F') AND (o.at IS NULL OR h.created_time > o.at) AND in_scope_deal(h.owner_id)
    GROUP BY 1
),
touched AS (                      -- deals with at least one activity of any kind (hygiene, H1)
    SELECT DISTINCT owner_id AS deal_id FROM scope_activities WHERE owner_type_id = 2
),
reopened AS (                     -- closed once, then back in an open stage
    SELECT DISTINCT h.owner_id AS deal_id
    FROM deal_history h JOIN last_open o ON o.deal_id = h.owner_id
    WHERE h.stage_semantic_id IN ('S', 'F') AND h.created_time < o.at AND in_scope_deal(h.owner_id)
)
SELECT d.id AS deal_id,
       local_time(d.date_create) AS created_at,
       d.category_id,
       coalesce(cat.name, CASE WHEN coalesce(d.category_id, 0) = 0 THEN 'General' END,
                '#' || d.category_id) AS pipeline,
       d.stage_id,
       coalesce(st.name, d.stage_id) AS stage,
       d.stage_semantic_id AS semantic,
       d.stage_semantic_id = 'S' AS won,
       d.stage_semantic_id = 'F' AS lost,
       local_time(CASE WHEN d.stage_semantic_id IN ('S', 'F') THEN coalesce(c.at, d.moved_time) END) AS closed_at,
       r.deal_id IS NOT NULL AS reopened,
       coalesce(d.opportunity, 0) AS amount,
       coalesce(nullif(d.currency_id, ''), '(none)') AS currency,
       coalesce(src.name, nullif(d.source_id, ''), lf.channel, '(no source)') AS channel,
       coalesce(nullif(d.utm_source, ''), lf.utm_source, '(none)') AS utm_source,
       coalesce(nullif(d.utm_medium, ''), lf.utm_medium, '(none)') AS utm_medium,
       coalesce(nullif(d.utm_campaign, ''), lf.utm_campaign, '(none)') AS utm_campaign,
       coalesce(mn.manager, '#' || d.assigned_by_id, '(nobody)') AS manager,
       d.assigned_by_id AS manager_id,
       nullif(d.lead_id, 0) AS lead_id,
       -- a deleted company or contact is nobody's client any more: the deal keeps its money;
       -- nor is one of the portal's own companies (IS_MY_COMPANY, joined as no company below)
       CASE WHEN NOT coalesce(co.deleted, true) THEN nullif(d.company_id, 0) END AS company_id,
       CASE WHEN NOT coalesce(ct.deleted, true) THEN nullif(d.contact_id, 0) END AS contact_id,
       -- the one definition of a client for R1, M5, R2, T2: the company, else the contact, else
       -- the lead, else the deal itself (a one-off buyer nobody recorded)
       coalesce('company ' || CASE WHEN NOT coalesce(co.deleted, true) THEN nullif(d.company_id, 0) END,
                'contact ' || CASE WHEN NOT coalesce(ct.deleted, true) THEN nullif(d.contact_id, 0) END,
                'lead ' || nullif(d.lead_id, 0), 'deal ' || d.id) AS client,
       lf.grade AS origin_grade,
       lf.created_at AS lead_created_at,
       -- cycle: creation to won, in days, between instants (a DST change does not add an hour)
       CASE WHEN d.stage_semantic_id = 'S' THEN
            (epoch(coalesce(c.at, d.moved_time)) - epoch(d.date_create)) / 86400.0 END AS cycle_days,
       CASE WHEN d.stage_semantic_id = 'S' AND ld.date_create IS NOT NULL THEN
            (epoch(coalesce(c.at, d.moved_time)) - epoch(ld.date_create)) / 86400.0 END AS lead_to_won_days,
       t.deal_id IS NOT NULL AS has_activity
FROM scoped d
LEFT JOIN deal_categories cat ON cat.id = d.category_id AND NOT cat.deleted
LEFT JOIN statuses st ON st.status_id = d.stage_id AND NOT st.deleted
      AND st.entity_id = CASE WHEN coalesce(d.category_id, 0) = 0 THEN 'DEAL_STAGE' ELSE 'DEAL_STAGE_' || d.category_id END
LEFT JOIN statuses src ON src.entity_id = 'SOURCE' AND src.status_id = d.source_id AND NOT src.deleted
LEFT JOIN manager_names mn ON mn.manager_id = d.assigned_by_id
LEFT JOIN companies co ON co.id = d.company_id AND NOT coalesce(co.is_my_company, false)
LEFT JOIN contacts ct ON ct.id = d.contact_id
LEFT JOIN closing c ON c.deal_id = d.id
LEFT JOIN reopened r ON r.deal_id = d.id
LEFT JOIN touched t ON t.deal_id = d.id
LEFT JOIN (SELECT * FROM kpi_leads WHERE lead_id IN (SELECT lead_id FROM origin_leads)) lf ON lf.lead_id = d.lead_id
LEFT JOIN (SELECT id, date_create FROM leads WHERE NOT deleted AND id IN (SELECT lead_id FROM origin_leads)) ld
       ON ld.id = d.lead_id;
