-- reads: kpi_leads, kpi_deals, manager_names, input_tracking, input_spend_rows, input_rates
-- reads: local_time(), in_scope_lead(), in_scope_call()
-- makes: phone_digits(), phone_key(), kpi_call_base, kpi_call_leads, kpi_call_sales, kpi_calls, kpi_call_money
-- Telephony and call tracking (T1, T2): kpi_calls, kpi_call_money. The tracking map, spend and
-- rates come from the input tables (kpis/inputs.py).

-- One number written many ways ("+7 (495) 123-45-67", "84951234567") must meet its entry in the
-- tracking map: the same rule as inputs.normalize_number. A SIP line ("reg133788") is no phone.
CREATE OR REPLACE TEMP MACRO phone_digits(n) AS regexp_replace(n, '[^0-9]', '', 'g');
CREATE OR REPLACE TEMP MACRO phone_key(n) AS CASE
    WHEN regexp_matches(n, '\pL') THEN lower(trim(n))
    WHEN length(phone_digits(n)) = 11 AND phone_digits(n) LIKE '8%' THEN '7' || substr(phone_digits(n), 2)
    ELSE nullif(phone_digits(n), '') END;

-- kpi_calls: every call, and what came of it. Only incoming calls (CALL_TYPE 2, or 3 =
-- redirected) answer an advert, so only they take the channel of the number they came to and
-- only they are credited with sales; an outgoing call or a callback (4: the portal dials the
-- client) goes out on whatever line is free. An incoming call on a number the tracking map does
-- not name (the main line, a SIP line) is counted under '(no channel)'. Missed = any failed code
-- but 200; NULL is no answer either.
-- Sales, first touch: a lead belongs to the first incoming call bound to it; a won deal to the
-- first incoming call bound to its lead, to itself, or - on a portal without leads - to its
-- contact or company before the deal was opened. A client is the deal's company, else its
-- contact, else its lead, else the deal itself. A call credited with several won deals has a
-- row for each: per_call marks one row per call, and sales are counted distinct.
-- kpi_calls is a view over three tables, so that a refresh rewrites only what changed: the
-- calls themselves (kpi_call_base, per call: only new calls are added), the first call of each
-- lead (kpi_call_leads, per lead: a lead's new call is in its scope), and which won deals each
-- call is credited with (kpi_call_sales: narrow rows rebuilt every time, since one new call or
-- won deal can move the credit of calls logged long ago).
CREATE OR REPLACE TABLE kpi_call_base AS  -- per item: in_scope_call(call_id)
WITH line AS (            -- a portal has a handful of numbers: normalize each once, not per call
    SELECT portal_number, phone_key(portal_number) AS number
    FROM (SELECT DISTINCT portal_number FROM calls)
)
SELECT c.id AS call_id,
       local_time(c.call_start_date) AS started_at,
       coalesce(c.call_type IN (2, 3), false) AS incoming,
       CASE WHEN coalesce(c.call_type IN (2, 3), false) THEN 'incoming' ELSE 'outgoing' END AS direction,
       coalesce(n.number, '(unknown)') AS tracking_number,
       CASE WHEN NOT coalesce(c.call_type IN (2, 3), false) THEN '(outgoing)'
            ELSE coalesce(t.channel, '(no channel)') END AS channel,
       coalesce(m.manager, '#' || c.portal_user_id, '(nobody)') AS manager,
       c.portal_user_id AS manager_id,
       coalesce(c.call_failed_code = '200', false) AS answered,
       coalesce(c.call_duration, 0) AS duration_s,
       upper(c.crm_entity_type) AS crm_entity_type,
       c.crm_entity_id
FROM calls c
LEFT JOIN line n ON n.portal_number = c.portal_number
LEFT JOIN input_tracking t ON t.number = n.number
LEFT JOIN manager_names m ON m.manager_id = c.portal_user_id
WHERE in_scope_call(c.id);

CREATE OR REPLACE TABLE kpi_call_leads AS  -- per item: in_scope_lead(lead_id)
SELECT l.lead_id, arg_min(c.id, (c.call_start_date, c.id)) AS call_id
FROM calls c JOIN kpi_leads l ON l.lead_id = c.crm_entity_id
WHERE c.call_type IN (2, 3) AND upper(c.crm_entity_type) = 'LEAD' AND in_scope_lead(c.crm_entity_id)
GROUP BY 1;

CREATE OR REPLACE TABLE kpi_call_sales AS
WITH incoming AS (        -- the bound incoming calls, with only what attribution needs
    SELECT id AS call_id, call_start_date AS began, upper(crm_entity_type) AS entity, crm_entity_id AS entity_id
    FROM calls WHERE call_type IN (2, 3) AND crm_entity_id > 0
),
won AS (
    SELECT deal_id, lead_id, contact_id, company_id, created_at, amount, currency FROM kpi_deals WHERE won
),
candidate AS (            -- equi-joins, one per binding: an OR join would loop over all pairs
    SELECT d.deal_id, i.call_id, i.began FROM won d
    JOIN incoming i ON i.entity = 'LEAD' AND i.entity_id = d.lead_id
    UNION ALL
    SELECT d.deal_id, i.call_id, i.began FROM won d
    JOIN incoming i ON i.entity = 'DEAL' AND i.entity_id = d.deal_id
    UNION ALL
    SELECT d.deal_id, i.call_id, i.began FROM won d
    JOIN incoming i ON i.entity = 'CONTACT' AND i.entity_id = d.contact_id AND local_time(i.began) <= d.created_at
    UNION ALL
    SELECT d.deal_id, i.call_id, i.began FROM won d
    JOIN incoming i ON i.entity = 'COMPANY' AND i.entity_id = d.company_id AND local_time(i.began) <= d.created_at
)
SELECT c.call_id, d.deal_id,
       coalesce('company ' || d.company_id, 'contact ' || d.contact_id, 'lead ' || d.lead_id,
                'deal ' || d.deal_id) AS client,
       d.amount, d.currency,
       row_number() OVER (PARTITION BY c.call_id ORDER BY d.deal_id) AS n
FROM (SELECT deal_id, arg_min(call_id, (began, call_id)) AS call_id FROM candidate GROUP BY 1) c
JOIN won d ON d.deal_id = c.deal_id;

CREATE OR REPLACE VIEW kpi_calls AS
SELECT b.*,
       coalesce(s.n, 1) = 1 AS per_call,
       lc.lead_id,
       s.deal_id,
       s.client,
       s.amount,
       s.currency
FROM kpi_call_base b
LEFT JOIN kpi_call_leads lc ON lc.call_id = b.call_id
LEFT JOIN kpi_call_sales s ON s.call_id = b.call_id;

-- kpi_call_money: per tracking number and month of the calls (the deals they brought are
-- counted in the month of the call, however late they were won), per currency: the revenue
-- of those deals and the number's own spend: the spend rows that name it (column number of the
-- spend file, the same key the cohort attribution credits by), a week or a day in its month, a
-- period across two months split by its days. The channel's spend is not shared out among its
-- numbers: a channel that also bought form leads would charge its whole budget to the few
-- clients who called, so a number without spend of its own has none here and no cost per
-- client (own_spend false; the channel's cost per client is M5's, kpi_spend_return).
-- Amounts in a currency with a configured rate are converted into the base currency; the
-- others stay in their own. spend_split: the number's spend is in more than one currency that
-- month, so no single currency holds its cost per client.
CREATE OR REPLACE TABLE kpi_call_money AS
WITH per_number AS (
    SELECT CAST(date_trunc('month', started_at) AS DATE) AS month, tracking_number, channel,
           -- a call has a row per deal credited to it, per_call marks one; a deal is credited to
           -- one call: counted so, not by DISTINCT (three distinct counts over half a million
           -- calls were most of this table's time)
           count(*) FILTER (WHERE per_call) AS calls,
           count(deal_id) AS won_deals,
           count(DISTINCT client) FILTER (WHERE deal_id IS NOT NULL) AS clients
    FROM kpi_calls WHERE incoming
    GROUP BY ALL
),
spend AS (                -- each row that names a number, over the months its period touches
    SELECT CAST(m.month AS DATE) AS month, s.number AS tracking_number,
           coalesce(r.base_currency, s.currency) AS currency,
           sum(s.amount * coalesce(r.rate, 1)
               * (date_diff('day', greatest(CAST(m.month AS DATE), s.period_start),
                            least(CAST(m.month + INTERVAL 1 MONTH AS DATE) - 1, s.period_end)) + 1)
               / (date_diff('day', s.period_start, s.period_end) + 1)) AS amount
    FROM input_spend_rows s
    CROSS JOIN LATERAL (SELECT unnest(generate_series(date_trunc('month', CAST(s.period_start AS TIMESTAMP)),
                                                      CAST(s.period_end AS TIMESTAMP), INTERVAL 1 MONTH)) AS month) m
    LEFT JOIN input_rates r ON r.currency = s.currency
    WHERE s.number IS NOT NULL
    GROUP BY ALL
),
money AS (
    SELECT month, tracking_number, currency, amount AS spend, 0 AS revenue FROM spend
    UNION ALL
    SELECT CAST(date_trunc('month', c.started_at) AS DATE), c.tracking_number,
           coalesce(r.base_currency, c.currency), 0, c.amount * coalesce(r.rate, 1)
    FROM kpi_calls c LEFT JOIN input_rates r ON r.currency = c.currency
    WHERE c.incoming AND c.deal_id IS NOT NULL
),
cells AS (
    SELECT month, tracking_number, currency, sum(spend) AS spend, sum(revenue) AS revenue
    FROM money GROUP BY ALL
)
-- a number paid for in a month without a call to it keeps its spend (no calls, no clients)
SELECT c.month, c.tracking_number, coalesce(p.channel, t.channel, '(no channel)') AS channel, c.currency,
       c.spend, c.revenue,
       coalesce(p.calls, 0) AS calls, coalesce(p.won_deals, 0) AS won_deals, coalesce(p.clients, 0) AS clients,
       count(*) FILTER (WHERE c.spend > 0) OVER (PARTITION BY c.month, c.tracking_number) > 0 AS own_spend,
       count(*) FILTER (WHERE c.spend > 0) OVER (PARTITION BY c.month, c.tracking_number) > 1 AS spend_split
FROM cells c
LEFT JOIN per_number p ON p.month = c.month AND p.tracking_number = c.tracking_number
LEFT JOIN input_tracking t ON t.number = c.tracking_number;
