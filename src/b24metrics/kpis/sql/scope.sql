-- The leads and deals whose per-item KPI rows may have changed since the last refresh: those
-- that changed since (every page the sync loads stamps its raw payloads with changed_at, unless
-- only DATE_MODIFY moved: see load.py), and those their new rows touch. kpi_since is the last refresh's mark (incremental.py).
-- A per-item table reads only its items' own records and the items they point to, so this is
-- the whole of what it needs; anything global (dictionaries, rules, deletions) forces a full
-- refresh instead.

CREATE OR REPLACE TEMP TABLE synced AS
SELECT entity, TRY_CAST(id AS BIGINT) AS id
FROM raw_records
WHERE changed_at > getvariable('kpi_since')
  AND entity IN ('lead', 'deal', 'company', 'lead_history', 'deal_history', 'activity', 'call');

CREATE OR REPLACE TEMP TABLE scope_leads AS
SELECT DISTINCT id FROM (
    SELECT id FROM synced WHERE entity = 'lead'
    UNION ALL     -- a status change
    SELECT owner_id FROM lead_history WHERE id IN (SELECT id FROM synced WHERE entity = 'lead_history')
    UNION ALL     -- a contact, for speed to lead
    SELECT owner_id FROM activities WHERE owner_type_id = 1 AND id IN (SELECT id FROM synced WHERE entity = 'activity')
    UNION ALL
    SELECT crm_entity_id FROM calls
    WHERE upper(crm_entity_type) = 'LEAD' AND id IN (SELECT id FROM synced WHERE entity = 'call')
    UNION ALL     -- a deal counts for the lead it came from, and stops counting for its old one
    SELECT lead_id FROM deals WHERE id IN (SELECT id FROM synced WHERE entity = 'deal')
    UNION ALL
    SELECT lead_id FROM kpi_deals WHERE deal_id IN (SELECT id FROM synced WHERE entity = 'deal')
    UNION ALL     -- the grade reads the lead's company
    SELECT id FROM leads WHERE company_id IN (SELECT id FROM synced WHERE entity = 'company')
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
