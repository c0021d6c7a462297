-- reads: kpi_leads, kpi_deals, kpi_stages, history_pkey(), local_time(), in_scope_lead(), in_scope_deal(), in_scope_lead_or_deal()
-- reads: funnel_reading
-- makes: kpi_stage_funnel, kpi_close_communications
-- Funnel family (F1 stage conversion, F2 win and loss, F3 communications to close).
-- kpi_stages and history_pkey() come from speed.sql. F2 reads kpi_deals directly: won and lost
-- by the deal's current stage semantics, counted at its current closing, so a reopened deal
-- counts once, by the state it is in now.

-- kpi_stage_funnel: one row per item and pipeline stage up to the furthest one it has been in.
-- "Reached" follows kpis.funnel.reading (the session variable funnel_reading):
--   history     a stage is reached when the stage history (or the item's current stage) shows
--               the item in it. A stage the item jumped past (it was never in it, but in a
--               later one) is skipped: its row says so, and it counts in neither the stage's
--               items nor its conversion, so a stage nobody uses reads as unused, not as 100 %.
--   cumulative  an item reached every process or success stage up to the furthest one (a
--               manager who drags a card from "new" straight to "won" skips stages the deal
--               still passed); nothing is skipped.
-- Either way each stage counts once per item however often a reopened item came back to it,
-- and went_on says the item was later in a further stage; it is NULL for an item still waiting
-- in the stage, so that a stage's conversion counts only the items that have left it (went on,
-- or were lost or moved from it). Failure stages are not steps of the
-- funnel: an item lost at a stage simply went no further, and an item that only ever sat in a
-- failure stage entered the pipeline at its first stage. A deal moved to another pipeline is in
-- each pipeline's funnel with the stages it reached there: the rows of its old pipeline (when
-- they were synced before the move) stop where it left.
-- Items are keyed by (item_id, pkey): pkey -1 is a lead, else a deal's pipeline.
CREATE OR REPLACE TABLE kpi_stage_funnel AS  -- per item: in_scope_lead_or_deal(item_id) AND CASE entity WHEN 'lead' THEN in_scope_lead(item_id) ELSE in_scope_deal(item_id) END
WITH visits AS (
    SELECT owner_id AS item_id, -1 AS pkey, status_id AS stage_id FROM lead_history WHERE in_scope_lead(owner_id)
    UNION ALL
    SELECT owner_id, history_pkey(category_id, stage_id), stage_id FROM deal_history WHERE in_scope_deal(owner_id)
    UNION ALL   -- the current stage, in case the history lacks it
    SELECT lead_id, -1, status_id FROM kpi_leads WHERE in_scope_lead(lead_id)
    UNION ALL
    SELECT deal_id, coalesce(category_id, 0), stage_id FROM kpi_deals WHERE in_scope_deal(deal_id)
),
first_stage AS (
    SELECT pkey, min(sort) AS sort FROM kpi_stages WHERE semantic <> 'F' GROUP BY 1
),
furthest AS (
    -- an item that only ever sat in a failure stage still entered the pipeline at its start
    SELECT v.item_id, v.pkey, coalesce(max(st.sort) FILTER (WHERE st.semantic <> 'F'), min(f.sort)) AS sort,
           -- the stages it was in (history reading): a short list per item, not a second join
           CASE WHEN getvariable('funnel_reading') = 'history'
                THEN list(DISTINCT st.stage_id) FILTER (WHERE st.semantic <> 'F') END AS seen
    FROM visits v
    JOIN kpi_stages st ON st.pkey = v.pkey AND st.stage_id = v.stage_id
    JOIN first_stage f ON f.pkey = v.pkey
    GROUP BY 1, 2
),
items AS (   -- live items only: deleted ones and recurring-deal templates are not in these
    SELECT lead_id AS item_id, true AS is_lead, -1 AS pkey_now, status_id AS stage_now, semantic AS semantic_now,
           created_at, channel, utm_source, utm_medium, utm_campaign, manager
    FROM kpi_leads WHERE in_scope_lead(lead_id)
    UNION ALL
    SELECT deal_id, false, coalesce(category_id, 0), stage_id, semantic,
           created_at, channel, utm_source, utm_medium, utm_campaign, manager
    FROM kpi_deals WHERE in_scope_deal(deal_id)
),
described AS (
    SELECT f.pkey, f.sort AS furthest, f.seen,
           -- still in this pipeline now, so it may yet go on from where it is
           (i.pkey_now = f.pkey AND i.semantic_now = 'P') AS open_here, i.*
    FROM furthest f JOIN items i ON i.item_id = f.item_id AND i.is_lead = (f.pkey = -1)
)
SELECT entity, item_id, pipeline, stage, reached, NOT reached AS skipped,
       -- nothing follows a success stage: its conversion is undefined, not zero. An item in the
       -- stage now that was never further has not left it: it is waiting, not a failure, so it
       -- counts in neither side of the conversion (NULL) until it goes on or is lost from there
       CASE WHEN reached AND semantic <> 'S' AND (sort < furthest OR NOT coalesce(waiting, false))
            THEN sort < furthest END AS went_on,
       waiting, created_at, channel, utm_source, utm_medium, utm_campaign, manager
FROM (
    SELECT CAST(CASE WHEN d.is_lead THEN 'lead' ELSE 'deal' END AS ENUM('lead', 'deal')) AS entity,
           d.item_id, st.pipeline, st.stage, st.semantic, st.sort, d.furthest,
           -- no list: cumulative reading, or an item only ever in a failure stage (its first stage)
           coalesce(len(d.seen) = 0 OR list_contains(d.seen, st.stage_id), true) AS reached,
           (d.open_here AND d.stage_now = st.stage_id) AS waiting,
           d.created_at, d.channel, d.utm_source, d.utm_medium, d.utm_campaign, d.manager
    FROM described d
    JOIN kpi_stages st ON st.pkey = d.pkey AND st.semantic <> 'F' AND st.sort <= d.furthest
);


-- kpi_close_communications: one row per won deal with the calls, e-mails and meetings it took
-- to close. Only completed ones (a planned call did not happen), in either direction, up to the
-- moment the deal was won (later ones are service, not selling). The origin lead's
-- communications are part of the road to the deal; when a lead produced several won deals they
-- count once, for the first of them.
CREATE OR REPLACE TABLE kpi_close_communications AS  -- per item: in_scope_deal(deal_id)
WITH won AS (
    SELECT deal_id, lead_id, closed_at, channel, utm_source, utm_medium, utm_campaign, manager, pipeline,
           row_number() OVER (PARTITION BY lead_id ORDER BY closed_at, deal_id) AS nth_of_lead
    FROM kpi_deals WHERE won AND in_scope_deal(deal_id)    -- a lead's deals are in scope together
),
acts AS (                         -- of these deals and their leads only: 3M activities cost a scan
    -- (two semi-joins, not one filter with an OR of two IN: that tests every activity against
    -- both lists, 2.4x the time)
    SELECT owner_type_id, owner_id, type_id, local_time(coalesce(start_time, created)) AS ts
    FROM activities
    WHERE NOT deleted AND completed AND type_id IN (1, 2, 4)
      AND owner_type_id = 2 AND owner_id IN (SELECT deal_id FROM won)
    UNION ALL
    SELECT owner_type_id, owner_id, type_id, local_time(coalesce(start_time, created)) AS ts
    FROM activities
    WHERE NOT deleted AND completed AND type_id IN (1, 2, 4)
      AND owner_type_id = 1 AND owner_id IN (SELECT lead_id FROM won)
),
touches AS (
    SELECT w.deal_id, a.type_id FROM won w
    JOIN acts a ON a.owner_type_id = 2 AND a.owner_id = w.deal_id AND a.ts <= w.closed_at
    UNION ALL
    SELECT w.deal_id, a.type_id FROM won w
    JOIN kpi_leads l ON l.lead_id = w.lead_id     -- a deleted lead took its activities with it
    JOIN acts a ON a.owner_type_id = 1 AND a.owner_id = w.lead_id AND a.ts <= w.closed_at
    WHERE w.nth_of_lead = 1
),
counted AS (
    SELECT deal_id,
           count(*) AS communications,
           count(*) FILTER (WHERE type_id = 2) AS calls,
           count(*) FILTER (WHERE type_id = 4) AS emails,
           count(*) FILTER (WHERE type_id = 1) AS meetings
    FROM touches GROUP BY 1
)
SELECT w.deal_id, w.lead_id, w.closed_at, w.channel, w.utm_source, w.utm_medium, w.utm_campaign, w.manager,
       w.pipeline,
       coalesce(c.communications, 0) AS communications,
       coalesce(c.calls, 0) AS calls,
       coalesce(c.emails, 0) AS emails,
       coalesce(c.meetings, 0) AS meetings
FROM won w
LEFT JOIN counted c ON c.deal_id = w.deal_id;
