-- reads: kpi_deals, kpi_revenue, lead_engagement_scores, win_rate_days()
-- makes: kpi_lead_cards, kpi_deal_cards, kpi_company_cards
-- What the CRM cards show (the write-back's values): writeback/plan.py maps these columns to
-- custom fields and formats them; it counts nothing. Views, read when the write-back runs: an
-- open deal's age counts to that moment, and a channel's win rate moves whenever any of its
-- deals closes, so as tables they would be rewritten whole at every refresh.

-- kpi_lead_cards: per live lead, its grade A-D, score and the rules that fired, and its
-- engagement 0-100 as of today (M2).
CREATE OR REPLACE VIEW kpi_lead_cards AS
SELECT g.lead_id, g.grade, CAST(g.score AS DOUBLE) AS score, g.factors,
       CAST(coalesce(e.engagement, 0) AS DOUBLE) AS engagement
FROM lead_grades g
JOIN leads l ON l.id = g.lead_id AND NOT l.deleted
LEFT JOIN lead_engagement_scores e ON e.lead_id = g.lead_id;

-- kpi_deal_cards: per live deal, the grade of the lead it came from; its cycle in days (won:
-- creation to won, S3's cycle_days; lost: creation to its loss, on the portal's wall clock;
-- open: its age in whole days now, so it changes once a day); and the win rate of its channel,
-- won / (won + lost) of the channel's deals closed in the last win_rate_days() days (a macro
-- the refresh writes from kpis.win_rate_days; 0: all time), in percent, NULL while it has none.
CREATE OR REPLACE VIEW kpi_deal_cards AS
WITH rates AS (
    SELECT channel, 100.0 * count(*) FILTER (WHERE won) / count(*) AS rate
    FROM kpi_deals
    WHERE (won OR lost)
      -- closed_at is the portal's wall clock, now() is UTC: a few hours at the window's edge
      AND (win_rate_days() = 0 OR closed_at >= CAST(now() AS TIMESTAMP) - to_days(win_rate_days()))
    GROUP BY channel
)
SELECT d.deal_id, d.origin_grade,
       CASE WHEN d.won THEN d.cycle_days
            WHEN d.lost THEN date_diff('second', d.created_at, d.closed_at) / 86400.0
            ELSE floor((epoch(now()) - epoch(x.date_create)) / 86400.0) END AS cycle_days,
       r.rate AS channel_win_rate
FROM kpi_deals d
JOIN deals x ON x.id = d.deal_id AND NOT x.deleted
LEFT JOIN rates r ON r.channel = d.channel;

-- kpi_company_cards: per live client company (never one of the portal's own, IS_MY_COMPANY: no
-- "0 purchases" in the card of the company that sells), its purchases (won deals) and its lifetime value, never
-- summed across currencies unconverted: in the base currency when every one of its deals
-- converts (kpis.currency_rates), else in the one currency they all share, else NULL, and
-- ltv_mixed says why.
CREATE OR REPLACE VIEW kpi_company_cards AS
WITH bought AS (
    SELECT company_id, count(*) AS purchases, count(DISTINCT currency) AS currencies,
           min(currency) AS currency, sum(amount) AS amount,
           sum(amount_base) AS amount_base, count(amount_base) AS converted, max(base_currency) AS base_currency
    FROM kpi_revenue WHERE company_id IS NOT NULL
    GROUP BY company_id
)
SELECT c.id AS company_id,
       coalesce(b.purchases, 0) AS purchases,
       CASE WHEN b.converted = b.purchases THEN b.amount_base
            WHEN b.currencies = 1 AND b.currency <> '(none)' THEN b.amount END AS ltv,
       CASE WHEN b.converted = b.purchases THEN b.base_currency
            WHEN b.currencies = 1 AND b.currency <> '(none)' THEN b.currency END AS ltv_currency,
       b.purchases IS NOT NULL AND b.currencies > 1 AND b.converted < b.purchases AS ltv_mixed
FROM companies c
LEFT JOIN bought b ON b.company_id = c.id
WHERE NOT c.deleted AND NOT coalesce(c.is_my_company, false);
