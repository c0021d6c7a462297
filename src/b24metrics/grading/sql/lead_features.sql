-- reads: employee_bands, lead_payloads, in_scope_grade(), legal_form(), norm_title(), free_mail(), won_at()
-- makes: lead_base, lead_keys, lead_matches, lead_features
-- Normalized features of every live lead to grade (in_scope_grade: kpis/incremental.py): what
-- grading rules may test (config.FEATURES). Facts known when the lead arrived: what the lead
-- says (company title and its legal form, position, e-mail domain, phone, UTM) and what the CRM
-- held before it (a company linked or matched by title, corporate domain or phone, created
-- before the lead; a won deal of that client before the lead). A company created at the lead's
-- conversion does not count: it would restate the outcome instead of predicting it.
-- Expects the view employee_bands (employee_bands.sql), the tables company_match_keys and
-- client_match_keys up to date (match_keys.sql: features.py, scope.sql), a relation `lead_payloads(id, payload)`: the raw payloads when a rule reads
-- a custom field, else empty (joining a million payloads for nothing costs a second), and the
-- macros of grading/facts.py.

-- Only the columns read below: the leads in scope are scattered over the whole table, so every
-- column taken is read for every lead (all of them: 0.3 s at 1M leads; these: 0.1 s).
CREATE OR REPLACE TEMP TABLE lead_base AS
SELECT l.id, l.source_id, l.company_id, l.contact_id, l.date_create, l.status_semantic_id, l.opportunity,
       l.company_title, l.post, l.is_return_customer, l.has_phone, l.has_email, l.emails, l.phones,
       l.utm_source, l.utm_medium, l.utm_campaign,
       -- NULL dates (hand-made rows) do not rule a company out
       coalesce(l.date_create, TIMESTAMPTZ '9999-12-31') AS arrived,
       nullif(trim(l.company_title), '') AS named_company,
       list_filter(list_transform(string_split(coalesce(l.emails, ''), ', '),
                                  lambda e: lower(trim(split_part(e, '@', 2)))), lambda d: d <> '') AS domains,
       list_filter(list_transform(string_split(coalesce(l.emails, ''), ', '), lambda e: lower(trim(e))),
                   lambda e: contains(e, '@')) AS addresses,
       list_filter(list_transform(string_split(coalesce(l.phones, ''), ', '),
                                  lambda p: right(regexp_replace(p, '[^0-9]', '', 'g'), 10)), lambda p: length(p) >= 7) AS phone_keys
FROM leads l
WHERE NOT l.deleted AND in_scope_grade(l.id);

-- What the lead may be matched by: to a company (title, domain, phone; rank: which wins) or to
-- a contact (e-mail, phone).
CREATE OR REPLACE TEMP TABLE lead_keys AS
SELECT id AS lead_id, arrived, 'title' AS kind, norm_title(named_company) AS key, 2 AS rank FROM lead_base
UNION ALL
SELECT id, arrived, 'domain', unnest(domains), 3 FROM lead_base
UNION ALL
SELECT id, arrived, 'phone', unnest(phone_keys), 4 FROM lead_base
UNION ALL
SELECT id, arrived, 'email', unnest(addresses), NULL FROM lead_base;

-- The company the lead is matched to (linked, else by title, domain or phone: the first of
-- those, then the lowest ID), and the contacts the CRM knew it as.
CREATE OR REPLACE TEMP TABLE lead_matches AS
WITH matches AS (
    SELECT b.id AS lead_id, c.id AS company_id, 'linked' AS how, 1 AS rank
    FROM lead_base b JOIN companies c ON c.id = b.company_id AND NOT c.deleted
    WHERE coalesce(c.date_create < b.arrived, true)
    UNION ALL
    SELECT k.lead_id, ck.company_id, k.kind, k.rank
    FROM lead_keys k JOIN company_match_keys ck ON ck.kind = k.kind AND ck.key = k.key
    WHERE coalesce(ck.known_since < k.arrived, true)
),
best AS (
    SELECT lead_id, company_id, how FROM matches
    QUALIFY row_number() OVER (PARTITION BY lead_id ORDER BY rank, company_id) = 1
),
contacts_before AS (
    -- the lead's own contact if the CRM had it before, and contacts with its e-mail or phone
    SELECT b.id AS lead_id, k.id AS contact_id
    FROM lead_base b JOIN contacts k ON k.id = b.contact_id AND NOT k.deleted
    WHERE coalesce(k.date_create < b.arrived, true)
    UNION
    SELECT k.lead_id, ck.contact_id
    FROM lead_keys k JOIN client_match_keys ck ON ck.kind = k.kind AND ck.key = k.key
    WHERE k.kind IN ('email', 'phone') AND coalesce(ck.known_since < k.arrived, true)
)
SELECT lead_id, 'company' AS kind, company_id AS id, how FROM best
UNION ALL
SELECT lead_id, 'contact', contact_id, NULL FROM contacts_before;

CREATE OR REPLACE TEMP VIEW lead_features AS
WITH best AS (SELECT lead_id, id AS company_id, how FROM lead_matches WHERE kind = 'company'),
wins AS (
    SELECT company_id, contact_id,
           won_at(moved_time, closedate, date_modify, date_create) AS won_at
    FROM deals WHERE NOT deleted AND stage_semantic_id = 'S'
),
returners AS (
    -- two equality joins: one join on "company or contact" would compare every pair
    SELECT m.lead_id FROM lead_matches m JOIN lead_base b ON b.id = m.lead_id
    JOIN wins w ON m.kind = 'company' AND w.company_id = m.id AND w.won_at < b.arrived
    UNION
    SELECT m.lead_id FROM lead_matches m JOIN lead_base b ON b.id = m.lead_id
    JOIN wins w ON m.kind = 'contact' AND w.contact_id = m.id AND w.won_at < b.arrived
)
SELECT l.id AS lead_id,
       l.source_id,
       m.company_id IS NOT NULL AS has_company,
       m.how AS company_match,
       l.named_company AS company_title,
       l.form AS legal_form,
       CASE WHEN l.form = 'sole_trader' THEN 'sole_trader'
            WHEN l.named_company IS NOT NULL OR m.company_id IS NOT NULL THEN 'organisation'
            ELSE 'private_person' END AS client_type,
       b.min_employees AS company_employees_min,
       nullif(c.revenue, 0) AS company_revenue,
       (b.min_employees IS NOT NULL OR coalesce(c.revenue, 0) > 0) AS company_size_known,
       c.industry AS company_industry,
       (coalesce(l.is_return_customer, false) OR r.lead_id IS NOT NULL) AS returning_client,
       nullif(trim(l.post), '') AS post,
       l.email_domain,
       free_mail(l.email_domain) AS free_email,
       coalesce(l.has_phone, false) OR len(l.phone_keys) > 0 AS has_phone,
       coalesce(l.has_email, false) OR len(l.domains) > 0 AS has_email,
       l.utm_source,
       l.utm_medium,
       l.utm_campaign,
       l.status_semantic_id AS status_semantic,
       l.opportunity,
       p.payload
FROM (
    -- each computed once: the legal form (the lead's own words first, else its company's title)
    -- and the e-mail domain (the first corporate one, else the first)
    SELECT b.*, coalesce(legal_form(b.named_company), legal_form(c.title)) AS form,
           coalesce(list_filter(b.domains, lambda d: NOT free_mail(d))[1], b.domains[1]) AS email_domain
    FROM lead_base b LEFT JOIN best m ON m.lead_id = b.id LEFT JOIN companies c ON c.id = m.company_id
) l
LEFT JOIN best m ON m.lead_id = l.id
LEFT JOIN companies c ON c.id = m.company_id
LEFT JOIN employee_bands b ON b.band = c.employees
LEFT JOIN (SELECT DISTINCT lead_id FROM returners) r ON r.lead_id = l.id
LEFT JOIN lead_payloads p ON p.id = CAST(l.id AS VARCHAR);
