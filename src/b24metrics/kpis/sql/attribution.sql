-- reads: kpi_leads, kpi_revenue, kpi_call_base, kpi_call_leads, kpi_call_sales
-- reads: input_spend_rows, input_rates, input_clock, local_time(), attribution_window_days, in_scope_client()
-- makes: kpi_attribution_rates, kpi_attribution_clock, kpi_attribution_spend, kpi_attribution_credit
-- makes: kpi_attribution_credited, kpi_attribution_curve, kpi_attribution_money, kpi_attribution_days
-- makes: kpi_attribution, kpi_attribution_age
-- Cohort attribution (M5, which channel pays): revenue, won deals and new clients traced back to
-- the lead they came from, credited to the day that lead was created (its cohort) and to its
-- channel, UTM source / medium / campaign and tracking number, within
-- kpis.attribution_window_days of it. The won deals, their clients and money come from sales.sql
-- (kpi_revenue), the first call of each lead from telephony.sql, spend from the spend file
-- (kpis/inputs.py). Both models are kept side by side (column model); a KPI cut shows the one
-- chosen (families/attribution.py). The cash view (revenue in the month it was won) stays in
-- money.sql.
-- What a sync can change is kept per item (kpi_attribution_credit, per client, as kpi_revenue);
-- the sums over it are views, so that a refresh rewrites no table of cohort cells: rebuilding
-- them whole cost half a second of every refresh after a sync at 1M leads. The views read only
-- the warehouse's own tables (a reader's connection has no inputs, variables or temp macros):
-- the rates, the clock and the window, and the spend by day are kept as small tables.

-- Money in one currency: the configured base, or without one the currency most of the money is
-- in (a portal that sells in roubles only needs no rates). Any other currency without a rate
-- stays out of the sums and is named instead ("USD without a rate").
CREATE OR REPLACE TABLE kpi_attribution_rates AS
WITH base AS (
    SELECT coalesce(
        (SELECT max(base_currency) FROM input_rates),
        (SELECT mode(currency) FROM (SELECT upper(currency) AS currency FROM kpi_revenue
                                     UNION ALL SELECT currency FROM input_spend_rows))) AS base
)
SELECT upper(trim(r.currency)) AS currency, max(r.rate) AS rate, any_value(b.base) AS base
FROM input_rates r CROSS JOIN base b WHERE r.rate > 0 GROUP BY 1
UNION ALL
SELECT base, 1.0, base FROM base WHERE base IS NOT NULL AND base NOT IN (SELECT upper(trim(currency)) FROM input_rates);

-- The day the cohorts' ages are counted to and the window, for the views.
CREATE OR REPLACE TABLE kpi_attribution_clock AS
SELECT CAST(coalesce((SELECT max(now_local) FROM input_clock), local_time(now())) AS DATE) AS today,
       CAST(getvariable('attribution_window_days') AS INTEGER) AS window_days;

-- The spend of each cohort day (model NULL: the same under either model), per channel, campaign
-- and tracking number. A spend row of a week or a month is spread evenly over its days; one that
-- names no campaign (or no number) sits under '(not split)' there, so a campaign's or a number's
-- cost comes from its own spend only. In the base currency; spend_unconverted names a currency
-- without a rate.
CREATE OR REPLACE TABLE kpi_attribution_spend AS
SELECT NULL AS model, CAST(d.day AS DATE) AS cohort_day, s.channel, '(not split)' AS utm_source,
       '(not split)' AS utm_medium, coalesce(s.campaign, '(not split)') AS utm_campaign,
       coalesce(s.number, '(not split)') AS tracking_number, 0 AS leads,
       sum(s.amount * r.rate / (date_diff('day', s.period_start, s.period_end) + 1)) AS spend,
       CASE WHEN r.rate IS NULL THEN upper(s.currency) END AS spend_unconverted,
       0 AS won_deals, 0 AS new_clients, 0.0 AS revenue, NULL AS revenue_unconverted, 0 AS won_leads
FROM input_spend_rows s
CROSS JOIN LATERAL (SELECT unnest(generate_series(CAST(s.period_start AS TIMESTAMP),
                                                  CAST(s.period_end AS TIMESTAMP), INTERVAL 1 DAY)) AS day) d
LEFT JOIN kpi_attribution_rates r ON r.currency = upper(s.currency)
GROUP BY ALL;

-- kpi_attribution_credit: every won deal credited under each model. "deal": to its lead (the
-- lead's day, channel, UTM and the number of its first incoming call), or, without a live lead
-- (a repeat sale, a deal made by hand), to its own source and creation day and the number of the
-- first call credited with it. "first": to whatever brought the client its first won deal
-- (kpi_revenue.new_client), so a returning client's later deals go to the channel that acquired
-- the client. Deals without a closing time are not credited; a deal won before its lead was
-- created counts at age 0. Per client, as kpi_revenue: a client's deals are credited together
-- (scope.sql brings in the clients of the leads in scope and of new calls). The window, the rates
-- and the day are applied by the views below, so that a change of them rewrites no row here.
CREATE OR REPLACE TABLE kpi_attribution_credit AS  -- per item: in_scope_client(client)
WITH revenue AS (         -- by client alone: scope.sql brings in the client of every deal whose
    SELECT * FROM kpi_revenue   -- company or contact is in scope, and a credit holds no names
    WHERE closed_at IS NOT NULL AND in_scope_client(client)
),
origin AS (               -- the leads of won deals only: a join would otherwise hash a million
    SELECT l.lead_id, l.created_at, l.channel, l.utm_source, l.utm_medium, l.utm_campaign,
           b.tracking_number
    FROM kpi_leads l
    LEFT JOIN kpi_call_leads cl ON cl.lead_id = l.lead_id
    LEFT JOIN kpi_call_base b ON b.call_id = cl.call_id
    WHERE l.lead_id IN (SELECT lead_id FROM revenue WHERE lead_id IS NOT NULL)
),
own AS (
    SELECT r.deal_id, l.lead_id, r.client, r.company_id, r.contact_id, r.closed_at, r.new_client, r.amount,
           upper(r.currency) AS currency,
           coalesce(l.created_at, r.created_at) AS cohort_at,
           CASE WHEN l.lead_id IS NOT NULL THEN l.channel ELSE r.channel END AS channel,
           CASE WHEN l.lead_id IS NOT NULL THEN l.utm_source ELSE r.utm_source END AS utm_source,
           CASE WHEN l.lead_id IS NOT NULL THEN l.utm_medium ELSE r.utm_medium END AS utm_medium,
           CASE WHEN l.lead_id IS NOT NULL THEN l.utm_campaign ELSE r.utm_campaign END AS utm_campaign,
           coalesce(l.tracking_number, CASE WHEN l.lead_id IS NULL THEN cb.tracking_number END, '(no call)')
               AS tracking_number
    FROM revenue r
    LEFT JOIN origin l ON l.lead_id = r.lead_id
    LEFT JOIN (SELECT deal_id, min(call_id) AS call_id FROM kpi_call_sales GROUP BY 1) cs ON cs.deal_id = r.deal_id
    LEFT JOIN kpi_call_base cb ON cb.call_id = cs.call_id
),
acquired AS (
    SELECT client, cohort_at, channel, utm_source, utm_medium, utm_campaign, tracking_number
    FROM own WHERE new_client
),
credited AS (
    SELECT 'deal' AS model, * FROM own
    UNION ALL
    SELECT 'first', o.deal_id, o.lead_id, o.client, o.company_id, o.contact_id, o.closed_at, o.new_client,
           o.amount, o.currency, a.cohort_at, a.channel, a.utm_source, a.utm_medium, a.utm_campaign,
           a.tracking_number
    FROM own o JOIN acquired a ON a.client = o.client
)
SELECT *, greatest(0, (epoch(closed_at) - epoch(cohort_at)) / 86400.0) AS age_days FROM credited;

-- kpi_attribution_credited: the credits that count, those won within the window after their
-- cohort's day, with their money in the base currency (unconverted names a currency without a
-- rate).
CREATE OR REPLACE VIEW kpi_attribution_credited AS
SELECT c.*, c.amount * r.rate AS amount_base, CASE WHEN r.rate IS NULL THEN c.currency END AS unconverted
FROM kpi_attribution_credit c
CROSS JOIN kpi_attribution_clock k
LEFT JOIN kpi_attribution_rates r ON r.currency = c.currency
WHERE c.closed_at <= c.cohort_at + to_days(k.window_days);

-- kpi_attribution_curve: the ripeness curve of each model, learnt from the mature cohorts (the
-- days at least a window old, whose deals have all had their time): the share of their credited
-- won deals that had been won by each age in days. learnt_from / learnt_until / leads /
-- won_deals say which cohorts it was learnt from. No mature cohort yet: no curve, no projection.
CREATE OR REPLACE TABLE kpi_attribution_curve AS
WITH edge AS (                  -- the last mature cohort day, and the leads up to it
    SELECT today - window_days - 1 AS last_day, window_days,
           (SELECT count(*) FROM kpi_leads l WHERE CAST(l.created_at AS DATE) <= today - window_days - 1) AS leads
    FROM kpi_attribution_clock
),
mature AS (
    SELECT c.model, c.cohort_at, floor(c.age_days) AS age
    FROM kpi_attribution_credited c, edge e WHERE CAST(c.cohort_at AS DATE) <= e.last_day
),
totals AS (
    SELECT model, count(*) AS won_deals, CAST(min(cohort_at) AS DATE) AS learnt_from
    FROM mature GROUP BY 1
),
per_age AS (
    SELECT model, age, count(*) AS won FROM mature GROUP BY ALL
),
ages AS (
    SELECT t.model, a.age FROM totals t, edge e, range(0, e.window_days + 1) a(age)
)
SELECT a.model, CAST(a.age AS INTEGER) AS age_days,
       sum(coalesce(p.won, 0)) OVER (PARTITION BY a.model ORDER BY a.age) / t.won_deals AS share,
       t.learnt_from, e.last_day AS learnt_until, e.leads, t.won_deals
FROM ages a
JOIN totals t ON t.model = a.model
CROSS JOIN edge e
LEFT JOIN per_age p ON p.model = a.model AND p.age = a.age;

-- kpi_attribution_money: per cohort day and channel, UTM source / medium / campaign, tracking
-- number: the spend of that day (model NULL: kpi_attribution_spend) and per model the won deals,
-- new clients and revenue credited to it. Money is in base_currency; a row in a currency without
-- a rate holds NULL and names the currency (spend_unconverted, revenue_unconverted).
CREATE OR REPLACE VIEW kpi_attribution_money AS
SELECT * FROM kpi_attribution_spend
UNION ALL
SELECT model, CAST(cohort_at AS DATE), channel, utm_source, utm_medium, utm_campaign, tracking_number,
       0, 0.0, NULL, count(*), count(*) FILTER (WHERE new_client), sum(amount_base), unconverted, 0
FROM kpi_attribution_credited
GROUP BY model, CAST(cohort_at AS DATE), channel, utm_source, utm_medium, utm_campaign, tracking_number, unconverted
UNION ALL
-- the cohort's leads that brought a won deal of their own (model NULL: the same under either
-- model): lead to won deal, which won deals per lead is not (a client's repeat deals, deals
-- without a lead)
SELECT NULL, CAST(cohort_at AS DATE), channel, utm_source, utm_medium, utm_campaign, tracking_number,
       0, 0.0, NULL, 0, 0, 0.0, NULL, count(DISTINCT lead_id)
FROM kpi_attribution_credited WHERE model = 'deal' AND lead_id IS NOT NULL
GROUP BY CAST(cohort_at AS DATE), channel, utm_source, utm_medium, utm_campaign, tracking_number;

-- kpi_attribution_days: every cohort day from the first lead, deal or spend to now (or the last
-- spend day): its age now, whether the window has passed (mature), and the ripeness curve of each
-- model at that age (1 once mature): the share of its eventual wins expected by now; the pace of
-- each model (won deals per lead of the cohorts the curve was learnt from: a lead's share of the
-- expected wins, so that a cut tells a zero that is a finding from one that is too early); and the
-- currency every money figure of the cohort view is in.
CREATE OR REPLACE TABLE kpi_attribution_days AS
WITH span AS (
    SELECT least((SELECT CAST(min(created_at) AS DATE) FROM kpi_leads),
                 (SELECT CAST(min(cohort_at) AS DATE) FROM kpi_attribution_credited),
                 (SELECT min(cohort_day) FROM kpi_attribution_spend)) AS first_day,
           greatest(k.today, (SELECT CAST(max(cohort_at) AS DATE) FROM kpi_attribution_credited),
                    (SELECT max(cohort_day) FROM kpi_attribution_spend)) AS last_day
    FROM kpi_attribution_clock k
),
days AS (
    SELECT CAST(unnest(generate_series(CAST(first_day AS TIMESTAMP), CAST(last_day AS TIMESTAMP), INTERVAL 1 DAY))
                AS DATE) AS cohort_day
    FROM span WHERE first_day IS NOT NULL
),
curve AS (
    SELECT age_days, max(share) FILTER (WHERE model = 'first') AS share_first,
           max(share) FILTER (WHERE model = 'deal') AS share_deal
    FROM kpi_attribution_curve GROUP BY 1
),
pace AS (
    SELECT max(won_deals) FILTER (WHERE model = 'first') / nullif(max(leads) FILTER (WHERE model = 'first'), 0)
               AS pace_first,
           max(won_deals) FILTER (WHERE model = 'deal') / nullif(max(leads) FILTER (WHERE model = 'deal'), 0)
               AS pace_deal
    FROM kpi_attribution_curve
)
SELECT d.cohort_day, a.age_days, a.age_days >= k.window_days AS mature,
       (SELECT max(base) FROM kpi_attribution_rates) AS base_currency,     -- of every money figure
       CASE WHEN a.age_days >= k.window_days THEN 1.0 ELSE cv.share_first END AS share_first,
       CASE WHEN a.age_days >= k.window_days THEN 1.0 ELSE cv.share_deal END AS share_deal,
       p.pace_first, p.pace_deal
FROM days d CROSS JOIN kpi_attribution_clock k CROSS JOIN pace p
CROSS JOIN LATERAL (SELECT greatest(0, date_diff('day', d.cohort_day, k.today)) AS age_days) a
LEFT JOIN curve cv ON cv.age_days = a.age_days;

-- kpi_attribution (a view, so that a refresh rewrites no row per lead): each live lead as a row
-- of its cohort day (leads = 1, model NULL: the same under either model), with its channel, UTM
-- and the number of its first incoming call, beside the rows of kpi_attribution_money; each row
-- with its day's age and ripeness, and projected_* = what its model's credit has to date / the
-- share of its model's wins expected by that age: a projection to the window's end at the curve.
CREATE OR REPLACE VIEW kpi_attribution AS
WITH cells AS (
    SELECT NULL AS model, CAST(l.created_at AS DATE) AS cohort_day, l.channel, l.utm_source, l.utm_medium,
           l.utm_campaign, coalesce(b.tracking_number, '(no call)') AS tracking_number, 1 AS leads,
           0.0 AS spend, NULL AS spend_unconverted, 0 AS won_deals, 0 AS new_clients, 0.0 AS revenue,
           NULL AS revenue_unconverted, 0 AS won_leads
    FROM kpi_leads l
    -- the leads that called, with their number, joined first: a left join straight onto the
    -- calls would hash every call of the portal on each cut (twice the time, measured)
    LEFT JOIN (SELECT cl.lead_id, b.tracking_number
               FROM kpi_call_leads cl JOIN kpi_call_base b ON b.call_id = cl.call_id) b ON b.lead_id = l.lead_id
    UNION ALL
    SELECT * FROM kpi_attribution_money
)
SELECT c.*, d.age_days, d.mature, d.share_first, d.share_deal, d.pace_first, d.pace_deal,
       d.base_currency,
       c.won_deals / nullif(CASE c.model WHEN 'first' THEN d.share_first ELSE d.share_deal END, 0) AS projected_won,
       c.won_leads / nullif(d.share_deal, 0) AS projected_won_leads,
       c.new_clients / nullif(CASE c.model WHEN 'first' THEN d.share_first ELSE d.share_deal END, 0)
           AS projected_clients,
       c.revenue / nullif(CASE c.model WHEN 'first' THEN d.share_first ELSE d.share_deal END, 0) AS projected_revenue
FROM cells c JOIN kpi_attribution_days d ON d.cohort_day = c.cohort_day;

-- kpi_attribution_age: the payback view of the same cohorts, by month. Per cohort month and
-- channel, UTM campaign and tracking number (spend that names none under '(not split)'): for
-- each month of age (1: the cohort's own month, 2: the next ...) up to the window and up to
-- now, the spend of the cohort (on every age row, so that a cut at one age adds up the spend
-- of the cohorts that reached it) and the revenue credited by the end of that month of age
-- (cumulative). Money in base_currency; unconverted names a currency without a rate.
CREATE OR REPLACE VIEW kpi_attribution_age AS
WITH clock AS (
    SELECT today, CAST(ceil(window_days / 30.4375) AS INTEGER) + 1 AS last_age FROM kpi_attribution_clock
),
money AS (
    SELECT m.model, CAST(date_trunc('month', a.cohort_day) AS DATE) AS cohort_month, a.channel, a.utm_campaign,
           a.tracking_number, 1 AS age_month, a.spend, 0.0 AS revenue, a.spend_unconverted AS unconverted
    FROM kpi_attribution_spend a CROSS JOIN (VALUES ('first'), ('deal')) m(model)
    UNION ALL
    SELECT model, CAST(date_trunc('month', cohort_at) AS DATE), channel, utm_campaign, tracking_number,
           CAST(date_diff('month', date_trunc('month', cohort_at), date_trunc('month', closed_at)) AS INTEGER) + 1,
           0.0, amount_base, unconverted
    FROM kpi_attribution_credited
),
keys AS (
    SELECT model, cohort_month, channel, utm_campaign, tracking_number,
           sum(spend) AS spend, any_value(unconverted) AS unconverted
    FROM money GROUP BY ALL
),
ages AS (
    SELECT k.*, CAST(a.age AS INTEGER) AS age_month
    FROM keys k CROSS JOIN clock c,
         range(1, least(c.last_age, CAST(date_diff('month', k.cohort_month, date_trunc('month', c.today)) AS INTEGER) + 1) + 1) a(age)
),
by_age AS (
    SELECT model, cohort_month, channel, utm_campaign, tracking_number, age_month, sum(revenue) AS revenue
    FROM money GROUP BY ALL
)
SELECT a.model, a.cohort_month, a.channel, a.utm_campaign, a.tracking_number, a.age_month,
       (SELECT max(base) FROM kpi_attribution_rates) AS base_currency,
       a.spend, coalesce(b.revenue, 0) AS revenue,
       sum(coalesce(b.revenue, 0)) OVER (PARTITION BY a.model, a.cohort_month, a.channel, a.utm_campaign,
                                                     a.tracking_number ORDER BY a.age_month) AS cum_revenue,
       a.unconverted
FROM ages a
LEFT JOIN by_age b USING (model, cohort_month, channel, utm_campaign, tracking_number, age_month);
