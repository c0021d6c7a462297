-- reads: lead_outcomes
-- makes: nothing
-- Per grade at entry, on the settled leads (lead_outcomes): leads, leads with a deal, leads
-- with a won deal, revenue per lead, the median cycle of the won ones; and how many of them
-- were graded while still open (the others were graded from history at a first sync).
SELECT grade_at_entry AS grade,
       count(*) AS leads,
       count(*) FILTER (WHERE deal) AS deals,
       count(*) FILTER (WHERE won) AS won,
       sum(revenue) / count(*) AS revenue_per_lead,
       any_value(revenue_currency) AS currency,
       median(cycle_days) FILTER (WHERE won) AS median_cycle_days,
       count(*) FILTER (WHERE open_at_grading) AS graded_open
FROM lead_outcomes
GROUP BY grade_at_entry
ORDER BY grade_at_entry;
