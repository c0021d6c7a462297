-- reads: synced, changed_parties, company_keys, client_keys, won_at()
-- reads from the last refresh: kpi_leads, kpi_deals, kpi_call_base
-- makes: won_moves, won_parties, changed_keys, scope_grades, scope_leads, scope_deals, scope_calls, scope_clients
-- The leads and deals whose per-item KPI rows may have changed since the last refresh: those
-- that changed since (every page the sync loads stamps its raw payloads with changed_at, unless
-- only DATE_MODIFY moved: see load.py), and those their new rows touch. kpi_since is the last refresh's mark (incremental.py).
-- A per-item table reads only its items' own records and the items they point to, so this is
-- the whole of what it needs; anything global (dictionaries, rules, deletions) forces a full
-- refresh instead.

-- A won deal makes its client's later leads returning ones: a deal won since the last refresh,
-- or moved to another client or stage, changes its client, and one won then that is reopened,
-- moved or gone leaves its former client's leads returning no more. An edit that leaves the
-- deal won, with its client and stage (its amount, say), changes neither: at a million leads,
-- taking every edited won deal's client regraded half again as many leads for nothing.
-- won_at() (grading/facts.py) is when grading takes a deal to have been won.
CREATE OR REPLACE TEMP TABLE won_moves AS
SELECT d.id AS deal_id, d.stage_semantic_id = 'S' AND NOT d.deleted AS won_now, nullif(d.company_id, 0) AS company_now,
       nullif(d.contact_id, 0) AS contact_now, coalesce(k.won, false) AS won_then, k.company_id AS company_then,
       k.contact_id AS contact_then,
       won_at(d.moved_time, d.closedate, d.date_modify, d.date_create) AS won_at,
       -- when the deal was won then is not kept; no earlier than its creation (or a close date
       -- typed before it): a deal is moved to won after it exists
       least(d.date_create, CAST(d.closedate AS TIMESTAMPTZ)) AS won_then_after,
       d.id IN (SELECT owner_id FROM deal_history WHERE id IN (SELECT id FROM synced WHERE entity = 'deal_history'))
           AS stage_moved
FROM deals d LEFT JOIN kpi_deals k ON k.deal_id = d.id
WHERE d.id IN (SELECT id FROM synced WHERE entity = 'deal');

-- The clients (kind and key as lead_match_keys holds a lead's match) whose wins changed, and
-- after when: only the leads matched to them that arrived later can change (returning_client:
-- a win before the lead). Their own match keys did not change, so they stay out of
-- changed_parties: taking every lead ever matched to them regraded 3,000 leads of a 1M-lead
-- benchmark sync instead of 400.
CREATE OR REPLACE TEMP TABLE won_parties AS
SELECT kind, key, min(since) AS since FROM (
    SELECT unnest(['company', 'contact']) AS kind, unnest([CAST(company_now AS VARCHAR), CAST(contact_now AS VARCHAR)]) AS key,
           won_at AS since
    FROM won_moves
    WHERE won_now AND (NOT won_then OR stage_moved OR company_now IS DISTINCT FROM company_then
                       OR contact_now IS DISTINCT FROM contact_then)
    UNION ALL
    SELECT unnest(['company', 'contact']), unnest([CAST(company_then AS VARCHAR), CAST(contact_then AS VARCHAR)]),
           won_then_after
    FROM won_moves
    WHERE won_then AND (NOT won_now OR stage_moved OR company_now IS DISTINCT FROM company_then
                        OR contact_now IS DISTINCT FROM contact_then)
)
WHERE key IS NOT NULL
GROUP BY ALL;

-- company_keys and client_keys read only the changed parties here (grading/features.py).
CREATE OR REPLACE TEMP TABLE changed_keys AS
SELECT entity AS kind, CAST(id AS VARCHAR) AS key FROM changed_parties WHERE id > 0
UNION
SELECT kind, key FROM company_match_keys WHERE company_id IN (SELECT id FROM changed_parties WHERE entity = 'company')
UNION
SELECT kind, key FROM client_match_keys WHERE contact_id IN (SELECT id FROM changed_parties WHERE entity = 'contact')
UNION
SELECT kind, key FROM company_keys
UNION
SELECT kind, key FROM client_keys;

-- The leads whose grade may have changed (grading reads in_scope_grade): those whose own fields
-- changed, and those whose company or client did. Activities, calls, deals and stage moves change
-- a lead's KPI rows and engagement, not who it is: a fifth of a 1M-lead benchmark's sync was in
-- scope only through them, and grading them again was a fifth of its grading for nothing.
CREATE OR REPLACE TEMP TABLE scope_grades AS
SELECT DISTINCT id FROM (
    SELECT id FROM synced WHERE entity = 'lead'
    UNION ALL     -- the grade reads the lead's company and contact (one the CRM knew before the lead,
                  -- and what that contact had won): a link no key of the lead's matched before
    SELECT id FROM leads WHERE company_id IN (SELECT id FROM synced WHERE entity = 'company')
    UNION ALL
    SELECT id FROM leads WHERE contact_id IN (SELECT id FROM synced WHERE entity = 'contact')
    UNION ALL     -- and the companies and clients it was matched to, or could be now, and the clients
                  -- whose wins changed, for the leads that came after (since NULL: an unknown time);
                  -- one pass over the millions of match keys for both, by their hash (h: two
                  -- numbers a row to read, not two strings; a hash shared by two keys would only
                  -- bring one more lead into scope)
    SELECT k.lead_id
    FROM lead_match_keys k
    JOIN (SELECT hash(kind, key) AS h, false AS won, NULL::TIMESTAMPTZ AS since FROM changed_keys
          UNION ALL SELECT hash(kind, key), true, since FROM won_parties) c ON c.h = k.h
    LEFT JOIN leads l ON c.won AND c.since IS NOT NULL AND l.id = k.lead_id
    WHERE NOT c.won OR c.since IS NULL OR l.date_create IS NULL OR l.date_create > c.since
)
WHERE id > 0;

CREATE OR REPLACE TEMP TABLE scope_leads AS
SELECT DISTINCT id FROM (
    SELECT id FROM scope_grades
    UNION ALL     -- a status change
    SELECT owner_id FROM lead_history WHERE id IN (SELECT id FROM synced WHERE entity = 'lead_history')
    UNION ALL     -- a contact, for speed to lead
    SELECT owner_id FROM activities WHERE owner_type_id = 1 AND id IN (SELECT id FROM synced WHERE entity = 'activity')
    UNION ALL
    SELECT crm_entity_id FROM calls
    WHERE upper(crm_entity_type) = 'LEAD' AND id IN (SELECT id FROM synced WHERE entity = 'call')
    UNION ALL     -- and the lead a call was bound to before, should the portal rebind it
    SELECT crm_entity_id FROM kpi_call_base
    WHERE crm_entity_type = 'LEAD' AND call_id IN (SELECT id FROM synced WHERE entity = 'call')
    UNION ALL     -- a deal counts for the lead it came from, and stops counting for its old one
    SELECT lead_id FROM deals WHERE id IN (SELECT id FROM synced WHERE entity = 'deal')
    UNION ALL
    SELECT lead_id FROM kpi_deals WHERE deal_id IN (SELECT id FROM synced WHERE entity = 'deal')
)
WHERE id > 0;

CREATE OR REPLACE TEMP TABLE scope_deals AS
SELECT DISTINCT id FROM (
    SELECT id FROM synced WHERE entity = 'deal'
    UNION ALL     -- a stage change
    SELECT owner_id FROM deal_history WHERE id IN (SELECT id FROM synced WHERE entity = 'deal_history')
    UNION ALL     -- communications to close
    SELECT owner_id FROM activities WHERE owner_type_id = 2 AND id IN (SELECT id FROM synced WHERE entity = 'activity')
    UNION ALL     -- a deal carries its lead's channel, grade and creation
    SELECT id FROM deals WHERE lead_id IN (SELECT id FROM scope_leads)
    UNION ALL     -- a call bound to the deal may be the first one credited with it (attribution)
    SELECT crm_entity_id FROM calls
    WHERE upper(crm_entity_type) = 'DEAL' AND id IN (SELECT id FROM synced WHERE entity = 'call')
)
WHERE id > 0;

-- New calls: a call record never changes once written.
CREATE OR REPLACE TEMP TABLE scope_calls AS
SELECT DISTINCT id FROM synced WHERE entity = 'call';

-- The deals of one lead go together: which of them was won first decides where the lead's
-- communications count (kpi_close_communications).
INSERT INTO scope_deals
SELECT id FROM deals
WHERE lead_id IN (SELECT lead_id FROM deals WHERE id IN (SELECT id FROM scope_deals) AND lead_id > 0)
  AND id NOT IN (SELECT id FROM scope_deals);

-- The clients whose purchases may have changed (kpi_revenue, kpi_client_purchases), named as
-- kpi_deals.client names them ('company 7', 'contact 3', 'lead 5', 'deal 9'): every client a
-- deal in scope was bound to before this sync (the old kpi_deals row) and is bound to now (its
-- raw row), companies and contacts that changed (a name on the revenue row, a contact's lead),
-- the companies of the leads in scope, before and after (a client's first contact), and the
-- companies and contacts of new calls (the call a deal's credit goes to).
CREATE OR REPLACE TEMP TABLE scope_clients AS
WITH named AS (
    SELECT unnest([client, 'company ' || company_id, 'contact ' || contact_id]) AS id
    FROM kpi_deals WHERE deal_id IN (SELECT id FROM scope_deals)
    UNION ALL
    SELECT unnest(['company ' || nullif(company_id, 0), 'contact ' || nullif(contact_id, 0),
                   'lead ' || nullif(lead_id, 0), 'deal ' || id])
    FROM deals WHERE id IN (SELECT id FROM scope_deals)
    UNION ALL
    SELECT 'company ' || id FROM synced WHERE entity = 'company'
    UNION ALL
    SELECT 'contact ' || id FROM synced WHERE entity = 'contact'
    UNION ALL
    SELECT 'company ' || company_id FROM kpi_leads WHERE lead_id IN (SELECT id FROM scope_leads)
    UNION ALL
    SELECT 'company ' || nullif(company_id, 0) FROM leads WHERE id IN (SELECT id FROM scope_leads)
    UNION ALL
    SELECT 'contact ' || id FROM contacts WHERE lead_id IN (SELECT id FROM scope_leads)
    UNION ALL     -- a call bound to a company or contact may be the first one credited with its deals
    SELECT lower(crm_entity_type) || ' ' || crm_entity_id FROM calls
    WHERE upper(crm_entity_type) IN ('COMPANY', 'CONTACT') AND id IN (SELECT id FROM synced WHERE entity = 'call')
)
SELECT DISTINCT id FROM named WHERE id IS NOT NULL;

-- A revenue row counts for its client, its company and its contact; whichever of them is in
-- scope, the row is recomputed, and then so is every other deal of its client (which of them
-- was the client's first is decided over all of them).
-- (By ID, one semi-join each: naming every deal's company and contact to compare the names cost
-- twice the time.)
INSERT INTO scope_clients
SELECT client FROM kpi_deals
WHERE company_id IN (SELECT TRY_CAST(split_part(id, ' ', 2) AS BIGINT) FROM scope_clients WHERE starts_with(id, 'company '))
UNION
SELECT client FROM kpi_deals
WHERE contact_id IN (SELECT TRY_CAST(split_part(id, ' ', 2) AS BIGINT) FROM scope_clients WHERE starts_with(id, 'contact '))
EXCEPT
SELECT id FROM scope_clients;
