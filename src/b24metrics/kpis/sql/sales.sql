-- reads: kpi_leads, kpi_deals, manager_names, input_rates, local_time(), in_scope_client()
-- makes: live_activities, kpi_revenue, kpi_manager_events, kpi_client_purchases
-- Sales and revenue: kpi_revenue (R1), kpi_manager_events (R3), kpi_client_purchases (R4).
-- Built on the shared fact tables, so won/lost (stage semantics), reopened deals, pipeline moves,
-- recurring templates and deletes are decided once, in facts_deals.sql.
-- input_rates holds the config's rates (currency -> value of one unit in the base currency,
-- the base itself at 1); empty means "no conversion": converted figures stay NULL, and a
-- currency without a rate stays apart.

-- Activities that still count: deleting a record on the portal takes its activities with it,
-- and a recurring-deal template is not a deal anyone works on.
CREATE OR REPLACE TEMP VIEW live_activities AS
WITH dead_owners AS (
    SELECT 1 AS owner_type_id, id AS owner_id FROM leads WHERE deleted
    UNION ALL SELECT 2, id FROM deals WHERE deleted OR coalesce(is_recurring, false)
    UNION ALL SELECT 3, id FROM contacts WHERE deleted
    UNION ALL SELECT 4, id FROM companies WHERE deleted
)
SELECT a.*
FROM activities a
ANTI JOIN dead_owners o ON o.owner_type_id = a.owner_type_id AND o.owner_id = a.owner_id
WHERE NOT a.deleted;


-- kpi_revenue: one row per won deal, dated when it was (last) won. A client is
-- kpi_deals.client (company, else contact, else lead, else the deal: the same for every
-- family); new_client marks each client's first won deal (ties broken by deal ID). An
-- incremental refresh recomputes the rows of the clients in scope (scope.sql: closed over
-- clients, so each client's deals are all there to rank).
CREATE OR REPLACE TABLE kpi_revenue AS  -- per item: in_scope_client(client) OR in_scope_client('company ' || company_id) OR in_scope_client('contact ' || contact_id)
WITH rates AS (                   -- one rate per currency, even if a file lists one twice
    SELECT upper(trim(currency)) AS currency, max(rate) AS rate, max(base_currency) AS base_currency
    FROM input_rates WHERE rate > 0
    GROUP BY 1
),
scoped AS MATERIALIZED (         -- the clients' won deals first, then the joins (left to the
    SELECT * FROM kpi_deals       -- planner, the filter came after joining every won deal)
    WHERE won AND (in_scope_client(client) OR in_scope_client('company ' || company_id)
                   OR in_scope_client('contact ' || contact_id))
),
won AS (
    SELECT d.*,
           CASE WHEN NOT coalesce(co.deleted, false) THEN d.company_id END AS live_company_id,
           CASE WHEN NOT coalesce(co.deleted, false) THEN
                coalesce(nullif(trim(co.title), ''), 'company') || ' #' || d.company_id END AS company,
           CASE WHEN NOT coalesce(ct.deleted, false) THEN d.contact_id END AS live_contact_id,
           CASE WHEN NOT coalesce(ct.deleted, false) THEN
                coalesce(nullif(trim(concat_ws(' ', ct.name, ct.last_name)), ''), 'contact') || ' #' || d.contact_id
           END AS contact
    FROM scoped d
    LEFT JOIN companies co ON co.id = d.company_id
    LEFT JOIN contacts ct ON ct.id = d.contact_id
)
SELECT c.deal_id, c.closed_at, c.created_at, c.amount, c.currency,
       c.amount * r.rate AS amount_base,
       CASE WHEN r.rate IS NOT NULL THEN r.base_currency END AS base_currency,   -- of amount_base
       c.channel, c.utm_source, c.utm_medium, c.utm_campaign, c.manager, c.manager_id,
       c.pipeline, c.category_id,
       c.live_company_id AS company_id, c.company, c.live_contact_id AS contact_id, c.contact,
       c.client, c.lead_id,
       row_number() OVER (PARTITION BY c.client ORDER BY c.closed_at, c.deal_id) = 1 AS new_client
FROM won c
LEFT JOIN rates r ON r.currency = upper(c.currency);


-- kpi_manager_events: what a manager did, counted per kind, local day and manager: leads
-- assigned to them (by creation), deals of theirs won or lost (when they closed), outgoing calls
-- they made (when they started), their open activities past the deadline as of this refresh (by
-- the deadline). A day is the finest period a cut asks for, and a table of days per manager
-- stays small where one row per lead, call and activity would not. has_leads lets "leads
-- handled" say NULL, not 0, on a portal in simple CRM mode.
CREATE OR REPLACE TABLE kpi_manager_events AS
SELECT c.kind, c.event_day, coalesce(m.manager, '#' || c.manager_id, '(nobody)') AS manager,
       c.* EXCLUDE (kind, event_day),
       (SELECT count(*) FROM leads) > 0 AS has_leads
FROM (
    -- each kind counted on its own (one group-by of all 1.9M events by kind too took a fifth more)
    SELECT 'lead' AS kind, CAST(created_at AS DATE) AS event_day, manager_id, count(*) AS events,
           NULL::DOUBLE AS amount_base, 0 AS unconverted, NULL::HUGEINT AS seconds, 0 AS answered,
           NULL::HUGEINT AS answered_seconds
    FROM kpi_leads GROUP BY 2, 3
    UNION ALL
    SELECT CASE WHEN d.won THEN 'won' ELSE 'lost' END, CAST(d.closed_at AS DATE), d.manager_id, count(*),
           sum(r.amount_base), count(*) FILTER (WHERE d.won AND r.amount_base IS NULL), NULL, 0, NULL
    FROM kpi_deals d
    LEFT JOIN kpi_revenue r ON r.deal_id = d.deal_id
    WHERE d.won OR d.lost
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'call', CAST(local_time(call_start_date) AS DATE), portal_user_id, count(*), NULL, 0,
           sum(coalesce(call_duration, 0)), count(*) FILTER (WHERE call_failed_code = '200'),
           sum(coalesce(call_duration, 0)) FILTER (WHERE call_failed_code = '200')
    FROM calls WHERE call_type = 1 GROUP BY 2, 3
    UNION ALL
    SELECT 'overdue', CAST(local_time(deadline) AS DATE), responsible_id, count(*), NULL, 0, NULL, 0, NULL
    FROM live_activities WHERE NOT coalesce(completed, false) AND deadline < now() GROUP BY 2, 3
) c
LEFT JOIN manager_names m ON m.manager_id = c.manager_id;


-- kpi_client_purchases: every won deal once for its company and once for its contact (a client
-- of each kind), numbered in the order the client bought. The row's date is the client's FIRST
-- purchase, so a period cut groups clients into the cohort won in that period and follows all
-- they bought since; channel and manager are those of that first purchase (who won the client).
-- Purchases are numbered and spaced across currencies (a repeat purchase is one whatever its
-- currency); money stays per currency. First contact: the earliest of the client's creation,
-- the leads tied to it (a company's leads, the lead a contact came from, the leads its deals
-- came from) and its deals' creation. An incremental refresh recomputes the clients in scope.
CREATE OR REPLACE TABLE kpi_client_purchases AS  -- per item: in_scope_client(client_kind || ' ' || client_id)
WITH bought AS (
    SELECT 'company' AS client_kind, company_id AS client_id, company, NULL AS contact,
           deal_id, closed_at, amount, currency, amount_base, channel, manager
    FROM kpi_revenue WHERE company_id IS NOT NULL AND in_scope_client('company ' || company_id)
    UNION ALL
    SELECT 'contact', contact_id, NULL, contact, deal_id, closed_at, amount, currency, amount_base, channel, manager
    FROM kpi_revenue WHERE contact_id IS NOT NULL AND in_scope_client('contact ' || contact_id)
),
companies_bought AS (             -- most companies and contacts never bought: only the clients'
    SELECT DISTINCT client_id AS id FROM bought WHERE client_kind = 'company'   -- touches count
),
contacts_bought AS (
    SELECT DISTINCT client_id AS id FROM bought WHERE client_kind = 'contact'
),
touches AS (
    SELECT 'company' AS client_kind, id AS client_id, local_time(date_create) AS touched_at
    FROM companies WHERE NOT deleted AND id IN (SELECT id FROM companies_bought)
    UNION ALL SELECT 'contact', id, local_time(date_create)
              FROM contacts WHERE NOT deleted AND id IN (SELECT id FROM contacts_bought)
    UNION ALL SELECT 'company', company_id, created_at
              FROM kpi_leads WHERE company_id IN (SELECT id FROM companies_bought)
    UNION ALL SELECT 'contact', c.id, l.created_at
              FROM contacts c JOIN kpi_leads l ON l.lead_id = c.lead_id
              WHERE NOT c.deleted AND c.id IN (SELECT id FROM contacts_bought)
    UNION ALL SELECT 'company', company_id, least(created_at, lead_created_at)
              FROM kpi_deals WHERE company_id IN (SELECT id FROM companies_bought)
    UNION ALL SELECT 'contact', contact_id, least(created_at, lead_created_at)
              FROM kpi_deals WHERE contact_id IN (SELECT id FROM contacts_bought)
),
first_touch AS (
    SELECT client_kind, client_id, min(touched_at) AS first_contact_at
    FROM touches
    GROUP BY 1, 2
)
SELECT b.client_kind, b.client_id, b.company, b.contact, b.deal_id, b.closed_at AS purchased_at,
       b.amount, b.currency, b.amount_base,
       first_value(b.closed_at) OVER w AS first_purchase_at,
       first_value(b.channel) OVER w AS channel,
       first_value(b.manager) OVER w AS manager,
       row_number() OVER w AS purchase_no,
       date_diff('second', lag(b.closed_at) OVER w, b.closed_at) / 86400.0 AS days_since_prev,
       t.first_contact_at,
       CASE WHEN row_number() OVER w = 1 THEN
            date_diff('second', t.first_contact_at, b.closed_at) / 86400.0 END AS days_to_first_purchase
FROM bought b
LEFT JOIN first_touch t ON t.client_kind = b.client_kind AND t.client_id = b.client_id
WINDOW w AS (PARTITION BY b.client_kind, b.client_id ORDER BY b.closed_at, b.deal_id);
