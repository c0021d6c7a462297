-- reads: employee_bands, lead_payloads, in_scope_lead(), legal_form(), norm_title(), free_mail()
-- makes: company_keys, client_keys, lead_features
-- Normalized features of every live lead in scope (in_scope_lead: kpis/incremental.py): what
-- grading rules may test (config.FEATURES). Facts known when the lead arrived: what the lead
-- says (company title and its legal form, position, e-mail domain, phone, UTM) and what the CRM
-- held before it (a company linked or matched by title, corporate domain or phone, created
-- before the lead; a won deal of that client before the lead). A company created at the lead's
-- conversion does not count: it would restate the outcome instead of predicting it.
-- Expects the view employee_bands (employee_bands.sql), a relation `lead_payloads(id,
-- payload)`: the raw payloads when a rule reads a custom field, else empty (joining a million
-- payloads for nothing costs a second), and the macros of grading/facts.py.

-- What identifies a company besides its ID: its normalised title, the domains of its own
-- e-mails and site and of its contacts' work e-mails (free providers say nothing), and the last
-- ten digits of its own and its contacts' phones; with when the CRM first knew it.
CREATE OR REPLACE TEMP VIEW company_keys AS
WITH live AS (SELECT * FROM companies WHERE NOT deleted),
own AS (
    SELECT id AS company_id, 'title' AS kind, norm_title(title) AS key, date_create AS known_since FROM live
    UNION ALL
    SELECT id, 'domain', lower(trim(split_part(e.unnest, '@', 2))), date_create
    FROM live, unnest(string_split(emails, ', ')) AS e
    UNION ALL
    SELECT id, 'domain', regexp_extract(lower(trim(w.unnest)), '^(?:[a-z]+://)?(?:www\.)?([^/:?#\s]+)', 1), date_create
    FROM live, unnest(string_split(web, ', ')) AS w
    UNION ALL
    SELECT id, 'phone', right(regexp_replace(p.unnest, '[^0-9]', '', 'g'), 10), date_create
    FROM live, unnest(string_split(phones, ', ')) AS p
    UNION ALL
    SELECT k.company_id, 'domain', lower(trim(split_part(e.unnest, '@', 2))), greatest(c.date_create, k.date_create)
    FROM contacts k JOIN live c ON c.id = k.company_id, unnest(string_split(k.emails, ', ')) AS e
    WHERE NOT k.deleted
    UNION ALL
    SELECT k.company_id, 'phone', right(regexp_replace(p.unnest, '[^0-9]', '', 'g'), 10), greatest(c.date_create, k.date_create)
    FROM contacts k JOIN live c ON c.id = k.company_id, unnest(string_split(k.phones, ', ')) AS p
    WHERE NOT k.deleted
)
SELECT company_id, kind, key, min(known_since) AS known_since
FROM own
WHERE key IS NOT NULL AND key <> ''
  AND NOT (kind = 'domain' AND (free_mail(key) OR NOT contains(key, '.')))
  AND NOT (kind = 'phone' AND length(key) < 7)
GROUP BY ALL;

-- A private person is known by an e-mail address or a phone: the contacts who bought before.
CREATE OR REPLACE TEMP VIEW client_keys AS
SELECT k.id AS contact_id, 'email' AS kind, lower(trim(e.unnest)) AS key, k.date_create AS known_since
FROM contacts k, unnest(string_split(k.emails, ', ')) AS e WHERE NOT k.deleted AND contains(e.unnest, '@')
UNION ALL
SELECT k.id, 'phone', right(regexp_replace(p.unnest, '[^0-9]', '', 'g'), 10), k.date_create
FROM contacts k, unnest(string_split(k.phones, ', ')) AS p
WHERE NOT k.deleted AND length(regexp_replace(p.unnest, '[^0-9]', '', 'g')) >= 7;

CREATE OR REPLACE TEMP VIEW lead_features AS
WITH lead_base AS (
    SELECT l.*,
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
    WHERE NOT l.deleted AND in_scope_lead(l.id)
),
lead_keys AS (
    SELECT id AS lead_id, arrived, 'title' AS kind, norm_title(named_company) AS key, 2 AS rank FROM lead_base
    UNION ALL
    SELECT id, arrived, 'domain', d.unnest, 3 FROM lead_base, unnest(domains) AS d
    UNION ALL
    SELECT id, arrived, 'phone', p.unnest, 4 FROM lead_base, unnest(phone_keys) AS p
),
matches AS (
    SELECT b.id AS lead_id, c.id AS company_id, 'linked' AS how, 1 AS rank
    FROM lead_base b JOIN companies c ON c.id = b.company_id AND NOT c.deleted
    WHERE coalesce(c.date_create < b.arrived, true)
    UNION ALL
    SELECT k.lead_id, ck.company_id, k.kind, k.rank
    FROM lead_keys k JOIN company_keys ck ON ck.kind = k.kind AND ck.key = k.key
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
    SELECT b.id, ck.contact_id
    FROM lead_base b, unnest(b.addresses) AS a JOIN client_keys ck ON ck.kind = 'email' AND ck.key = a.unnest
    WHERE coalesce(ck.known_since < b.arrived, true)
    UNION
    SELECT b.id, ck.contact_id
    FROM lead_base b, unnest(b.phone_keys) AS p JOIN client_keys ck ON ck.kind = 'phone' AND ck.key = p.unnest
    WHERE coalesce(ck.known_since < b.arrived, true)
),
wins AS (
    SELECT company_id, contact_id,
           coalesce(moved_time, CAST(closedate AS TIMESTAMPTZ), date_modify, date_create) AS won_at
    FROM deals WHERE NOT deleted AND stage_semantic_id = 'S'
),
returners AS (
    SELECT m.lead_id FROM best m JOIN lead_base b ON b.id = m.lead_id
    JOIN wins w ON w.company_id = m.company_id AND w.won_at < b.arrived
    UNION
    SELECT k.lead_id FROM contacts_before k JOIN lead_base b ON b.id = k.lead_id
    JOIN wins w ON w.contact_id = k.contact_id AND w.won_at < b.arrived
)
SELECT l.id AS lead_id,
       l.source_id,
       m.company_id IS NOT NULL AS has_company,
       m.how AS company_match,
       l.named_company AS company_title,
       coalesce(legal_form(l.named_company), legal_form(c.title)) AS legal_form,
       CASE WHEN coalesce(legal_form(l.named_company), legal_form(c.title)) = 'sole_trader' THEN 'sole_trader'
            WHEN l.named_company IS NOT NULL OR m.company_id IS NOT NULL THEN 'organisation'
            ELSE 'private_person' END AS client_type,
       b.min_employees AS company_employees_min,
       nullif(c.revenue, 0) AS company_revenue,
       (b.min_employees IS NOT NULL OR coalesce(c.revenue, 0) > 0) AS company_size_known,
       c.industry AS company_industry,
       (coalesce(l.is_return_customer, false) OR r.lead_id IS NOT NULL) AS returning_client,
       nullif(trim(l.post), '') AS post,
       coalesce(list_filter(l.domains, lambda d: NOT free_mail(d))[1], l.domains[1]) AS email_domain,
       free_mail(coalesce(list_filter(l.domains, lambda d: NOT free_mail(d))[1], l.domains[1])) AS free_email,
       coalesce(l.has_phone, false) OR len(l.phone_keys) > 0 AS has_phone,
       coalesce(l.has_email, false) OR len(l.domains) > 0 AS has_email,
       l.utm_source,
       l.utm_medium,
       l.utm_campaign,
       l.status_semantic_id AS status_semantic,
       l.opportunity,
       p.payload
FROM lead_base l
LEFT JOIN best m ON m.lead_id = l.id
LEFT JOIN companies c ON c.id = m.company_id
LEFT JOIN employee_bands b ON b.band = c.employees
LEFT JOIN (SELECT DISTINCT lead_id FROM returners) r ON r.lead_id = l.id
LEFT JOIN lead_payloads p ON p.id = CAST(l.id AS VARCHAR);
