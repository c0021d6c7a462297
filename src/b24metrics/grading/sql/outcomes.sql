-- reads: nothing
-- makes: lead_outcomes
-- The proof of the grade (M2) reads this: every live lead whose outcome is settled, with the
-- grade it had at entry (lead_grade_at_entry, never the current one: that may have learnt
-- from the outcome). Settled: the lead is converted or junk, and no deal made from it is
-- still open. Lead -> deal: a deal was made from it (deal LEAD_ID, recurring ones left out);
-- lead -> won: one of them was won. Revenue: its won deals' amounts in the currency most won
-- deals from leads are in (revenue_currency; amounts in other currencies are not summed in).
-- Cycle: days from the lead's creation to its first won deal's move into the won stage.
-- A view: it costs the refresh nothing and is read by `grade check`, the report and M2.
CREATE OR REPLACE VIEW lead_outcomes AS
WITH from_leads AS (
    SELECT lead_id, stage_semantic_id, opportunity, currency_id, moved_time
    FROM deals
    WHERE NOT deleted AND NOT coalesce(is_recurring, false) AND lead_id > 0
),
main AS (
    SELECT mode(currency_id) AS currency FROM from_leads WHERE stage_semantic_id = 'S'
),
per_lead AS (
    SELECT lead_id,
           count(*) AS deals,
           count(*) FILTER (WHERE stage_semantic_id = 'S') AS won_deals,
           count(*) FILTER (WHERE coalesce(stage_semantic_id, 'P') NOT IN ('S', 'F')) AS open_deals,
           sum(opportunity) FILTER (WHERE stage_semantic_id = 'S' AND currency_id = (SELECT currency FROM main))
               AS revenue,
           min(moved_time) FILTER (WHERE stage_semantic_id = 'S') AS won_at
    FROM from_leads
    GROUP BY lead_id
)
SELECT l.id AS lead_id,
       e.grade AS grade_at_entry,
       e.score AS score_at_entry,
       e.open_at_grading,
       l.date_create AS created,
       coalesce(d.deals, 0) > 0 AS deal,
       coalesce(d.won_deals, 0) > 0 AS won,
       coalesce(d.revenue, 0) AS revenue,
       (SELECT currency FROM main) AS revenue_currency,
       date_diff('second', l.date_create, d.won_at) / 86400.0 AS cycle_days
FROM leads l
JOIN lead_grade_at_entry e ON e.lead_id = l.id
LEFT JOIN per_lead d ON d.lead_id = l.id
WHERE NOT l.deleted AND l.status_semantic_id IN ('S', 'F') AND coalesce(d.open_deals, 0) = 0;
