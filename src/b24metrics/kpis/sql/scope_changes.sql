-- reads: kpi_since
-- makes: synced, changed_parties
-- What a sync changed since the last refresh (kpi_since: incremental.py), read by scope.sql;
-- between the two, grading makes the views of the changed parties' match keys
-- (grading/features.py define_match_keys).

CREATE OR REPLACE TEMP TABLE synced AS
SELECT entity, TRY_CAST(id AS BIGINT) AS id
FROM raw_records
WHERE changed_at > getvariable('kpi_since')
  AND entity IN ('lead', 'deal', 'company', 'contact', 'lead_history', 'deal_history', 'activity', 'call');

-- The companies and contacts that changed (those whose won deals changed are scope.sql's
-- won_parties: their keys stay as they were); what identified them before
-- (company_match_keys, client_match_keys) and what identifies them now (match_keys.sql): the
-- leads once matched by any of these (lead_match_keys, kept by grading) are graded again.
-- Then grading stores their new keys (features.py update_match_keys).
CREATE OR REPLACE TEMP TABLE changed_parties AS
SELECT entity, id FROM synced WHERE entity IN ('company', 'contact')
UNION
SELECT 'company', company_id FROM contacts WHERE id IN (SELECT id FROM synced WHERE entity = 'contact');
