-- reads: kpi_leads, kpi_deals, kpi_call_base, kpi_revenue, input_spend, input_plan, input_rates, input_clock
-- reads: local_time()
-- makes: money_won, kpi_spend_return, kpi_plan
-- Money in and out (M5, R2): kpi_spend_return, kpi_plan. The calls come from telephony.sql
-- (kpi_call_base), the won deals from sales.sql (kpi_revenue), spend, plan, rates and clock from
-- the input tables (kpis/inputs.py).

-- Won deals with their client and their money (kpi_revenue, from sales.sql, which says who
-- is a new client and converts): in the base currency where a rate converts the amount, else
-- in its own currency, never added to the base. A won deal without a closing time cannot be
-- placed in a period.
CREATE OR REPLACE TEMP TABLE money_won AS
SELECT deal_id, closed_at, channel, manager_id, client,
       coalesce(amount_base, amount) AS amount,
       coalesce(base_currency, currency) AS currency,
       new_client
FROM kpi_revenue
WHERE closed_at IS NOT NULL;

-- kpi_spend_return (M5): per month, channel with spend that month, and currency: the spend,
-- the leads created (on the spend's rows only: a revenue-only currency row carries none), the
-- new clients and the revenue of the deals won that month. Revenue is counted in the month it
-- was won, not traced back to the month of the lead. split / spend_split: the channel's month
-- holds money (or spend) in more than one currency that no rate converts, so no ROMI (or cost
-- per lead and per client) is true in any single one of them; unconverted / unconverted_spend
-- name the other currencies, so that the report says why the figure is missing.
CREATE OR REPLACE TABLE kpi_spend_return AS
WITH spend AS (
    SELECT s.month, s.channel, coalesce(r.base_currency, s.currency) AS currency,
           sum(s.amount * coalesce(r.rate, 1)) AS amount
    FROM input_spend s LEFT JOIN input_rates r ON r.currency = s.currency
    GROUP BY ALL
),
paid AS (
    SELECT DISTINCT month, channel FROM spend
),
leads AS (
    SELECT CAST(date_trunc('month', created_at) AS DATE) AS month, channel, count(*) AS leads
    FROM kpi_leads GROUP BY ALL
),
won AS (
    SELECT CAST(date_trunc('month', closed_at) AS DATE) AS month, channel, currency,
           sum(amount) AS revenue, count(*) AS won_deals
    FROM money_won GROUP BY ALL
),
new_clients AS (
    SELECT CAST(date_trunc('month', closed_at) AS DATE) AS month, channel, count(*) AS new_clients
    FROM money_won WHERE new_client GROUP BY ALL
),
cells AS (
    SELECT month, channel, currency FROM spend
    UNION
    SELECT w.month, w.channel, w.currency FROM won w JOIN paid p ON p.month = w.month AND p.channel = w.channel
)
SELECT c.month, c.channel, c.currency,
       coalesce(s.amount, 0) AS spend,
       CASE WHEN s.amount IS NOT NULL THEN coalesce(l.leads, 0) ELSE 0 END AS leads,
       CASE WHEN s.amount IS NOT NULL THEN coalesce(n.new_clients, 0) ELSE 0 END AS new_clients,
       coalesce(w.revenue, 0) AS revenue,
       coalesce(w.won_deals, 0) AS won_deals,
       count(s.amount) OVER cell > 1 AS spend_split,
       count(*) OVER cell > 1 AS split,
       -- which: the cell's other currencies (of its spend, on a row with spend of its own), which no
       -- rate converts into this one
       CASE WHEN s.amount IS NOT NULL AND count(s.amount) OVER cell > 1 THEN list_sort(list_filter(
           list(CASE WHEN s.amount IS NOT NULL THEN c.currency END) OVER cell, lambda x: x <> c.currency)) END
           AS unconverted_spend,
       CASE WHEN count(*) OVER cell > 1 THEN list_sort(list_filter(list(c.currency) OVER cell,
                                                                   lambda x: x <> c.currency)) END AS unconverted
FROM cells c
LEFT JOIN spend s ON s.month = c.month AND s.channel = c.channel AND s.currency = c.currency
LEFT JOIN leads l ON l.month = c.month AND l.channel = c.channel
LEFT JOIN new_clients n ON n.month = c.month AND n.channel = c.channel
LEFT JOIN won w ON w.month = c.month AND w.channel = c.channel AND w.currency = c.currency
WINDOW cell AS (PARTITION BY c.month, c.channel);

-- kpi_plan (R2): each plan row with the actual value of its metric in its period (and its
-- channel and manager), and a forecast at the current pace: actual / the share of the period
-- gone by "now" (the portal's wall clock; input_clock fixes it for tests). A revenue target is
-- in one currency: won deals in another one (unconverted) are counted apart, not added.
CREATE OR REPLACE TABLE kpi_plan AS
WITH clock AS (
    SELECT coalesce((SELECT max(now_local) FROM input_clock), local_time(now())) AS now_local
),
plans AS (
    SELECT row_number() OVER () AS plan_id, * FROM input_plan
),
events AS (               -- metric names: inputs.PLAN_METRICS
    SELECT 'leads' AS metric, created_at AS at, channel, manager_id, NULL AS currency, 1.0 AS value FROM kpi_leads
    UNION ALL SELECT 'deals', created_at, channel, manager_id, NULL, 1 FROM kpi_deals
    UNION ALL SELECT 'won_deals', closed_at, channel, manager_id, NULL, 1 FROM money_won
    UNION ALL SELECT 'revenue', closed_at, channel, manager_id, currency, amount FROM money_won
    UNION ALL SELECT 'new_clients', closed_at, channel, manager_id, NULL, 1 FROM money_won WHERE new_client
    UNION ALL SELECT 'calls', started_at, channel, manager_id, NULL, 1 FROM kpi_call_base   -- each call once
),
plan_days AS (           -- a plan's period is whole days: an equi-join on the day, not a range
    SELECT plan_id, metric, channel, manager_id, currency,
           CAST(unnest(generate_series(CAST(period_start AS TIMESTAMP), CAST(period_end AS TIMESTAMP),
                                       INTERVAL 1 DAY)) AS DATE) AS day
    FROM plans
),
actual AS (
    SELECT p.plan_id,
           sum(e.value) FILTER (WHERE e.currency IS NOT DISTINCT FROM p.currency) AS actual,
           count(*) FILTER (WHERE e.currency IS DISTINCT FROM p.currency) AS other_currency
    FROM plan_days p
    JOIN events e ON e.metric = p.metric AND CAST(e.at AS DATE) = p.day
     AND (p.channel IS NULL OR e.channel = p.channel)
     AND (p.manager_id IS NULL OR e.manager_id = p.manager_id)
    GROUP BY 1
),
paced AS (
    SELECT p.*, coalesce(a.actual, 0) AS actual, coalesce(a.other_currency, 0) AS other_currency_deals,
           CASE WHEN k.now_local <= p.period_start THEN 0.0
                WHEN k.now_local >= p.period_end + 1 THEN 1.0
                ELSE date_diff('second', CAST(p.period_start AS TIMESTAMP), k.now_local)
                     / date_diff('second', CAST(p.period_start AS TIMESTAMP), CAST(p.period_end + 1 AS TIMESTAMP))
           END AS elapsed
    FROM plans p CROSS JOIN clock k LEFT JOIN actual a ON a.plan_id = p.plan_id
)
SELECT period_start, period_end, period_kind, metric,
       coalesce(channel, '(all channels)') AS channel,
       coalesce(manager, '(all managers)') AS manager,
       currency, target, actual, other_currency_deals,
       round(elapsed, 4) AS elapsed,
       CASE WHEN elapsed > 0 THEN actual / elapsed END AS forecast,
       -- the coarsest level the plan sets this metric at in this period: the team, else each
       -- manager, else each channel. A cut without a dimension adds up only these rows, never
       -- a team's target on top of its managers' (families/money.py)
       rank() OVER (PARTITION BY period_start, period_end, metric, currency
                    ORDER BY CASE WHEN channel IS NULL AND manager IS NULL THEN 0
                                  WHEN channel IS NULL THEN 1 WHEN manager IS NULL THEN 2 ELSE 3 END) = 1 AS top
FROM paced;
