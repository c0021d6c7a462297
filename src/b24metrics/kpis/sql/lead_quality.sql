-- reads: kpi_leads, lead_engagement_scores, lead_outcomes
-- makes: kpi_lead_engagement, kpi_grade_outcomes
-- M2's second axis and its proof, cut like a lead. Views: an open lead's engagement decays
-- daily with nothing synced, and the settled leads are read from the grading layer's view.

-- kpi_lead_engagement: per live lead, its engagement 0-100 as of today, and whether it did
-- anything at all (touched).
CREATE OR REPLACE VIEW kpi_lead_engagement AS
SELECT k.lead_id, k.created_at, k.channel, k.utm_source, k.utm_medium, k.utm_campaign, k.manager, k.grade,
       coalesce(e.engagement, 0) AS engagement,
       coalesce(e.points, 0) > 0 AS touched
FROM kpi_leads k
LEFT JOIN lead_engagement_scores e ON e.lead_id = k.lead_id;

-- kpi_grade_outcomes: per settled lead (lead_outcomes: converted or junk, no deal of it open),
-- its grade at entry (the `grade` it is cut by), its current grade, and its outcome.
CREATE OR REPLACE VIEW kpi_grade_outcomes AS
SELECT k.lead_id, k.created_at, k.channel, k.utm_source, k.utm_medium, k.utm_campaign, k.manager,
       o.grade_at_entry AS grade, k.grade AS current_grade,
       o.deal, o.won, o.revenue, o.revenue_currency, o.cycle_days
FROM lead_outcomes o
JOIN kpi_leads k ON k.lead_id = o.lead_id;
