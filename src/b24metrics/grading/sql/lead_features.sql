-- reads: band_overrides, lead_payloads, in_scope_lead()
-- makes: employee_bands, lead_features
-- Normalized features of every live lead in scope (in_scope_lead: kpis/incremental.py): what
-- grading rules may test (config.FEATURES).
-- Expects a relation `band_overrides(band, min_employees)` from the config (may be empty), and
-- a relation `lead_payloads(id, payload)`: the raw payloads when a rule reads a custom field,
-- else empty (joining a million payloads for nothing costs a second).

CREATE OR REPLACE TEMP VIEW employee_bands AS
SELECT s.status_id AS band,
       coalesce(
           o.min_employees,
           -- A band's lowest head count, read from its name: "менее 50" -> 0, "50-250" -> 50,
           -- "более 1000" -> 1000, "1 000+" -> 1000.
           CASE WHEN regexp_matches(lower(s.name), '^\s*(менее|меньше|до|less|under|fewer|up to|<)')
                THEN 0
                ELSE TRY_CAST(regexp_extract(replace(s.name, ' ', ''), '(\d+)', 1) AS INTEGER)
           END
       ) AS min_employees
FROM statuses s
LEFT JOIN band_overrides o ON o.band = s.status_id
WHERE s.entity_id = 'EMPLOYEES' AND NOT s.deleted;

CREATE OR REPLACE TEMP VIEW lead_features AS
SELECT l.id AS lead_id,
       l.source_id,
       coalesce(l.company_id, 0) > 0 AS has_company,
       b.min_employees AS company_employees_min,
       c.revenue AS company_revenue,
       c.industry AS company_industry,
       coalesce(l.has_phone, false) AS has_phone,
       coalesce(l.has_email, false) AS has_email,
       l.status_semantic_id AS status_semantic,
       l.opportunity,
       r.payload
FROM leads l
LEFT JOIN companies c ON c.id = l.company_id AND NOT c.deleted
LEFT JOIN employee_bands b ON b.band = c.employees
LEFT JOIN lead_payloads r ON r.id = CAST(l.id AS VARCHAR)
WHERE NOT l.deleted AND in_scope_lead(l.id);
