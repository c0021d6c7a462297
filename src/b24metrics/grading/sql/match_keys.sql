-- reads: norm_title(), free_mail(), match_company(), match_contact()
-- makes: company_keys, client_keys
-- What a lead may be matched by to a company or a client the CRM already holds: temp tables
-- (computed once: scope.sql and update_match_keys both read them), kept in the tables
-- company_match_keys and client_match_keys (grading/features.py rebuild_match_keys;
-- kpis/sql/scope.sql for the companies and contacts a sync changed), which lead_features.sql
-- reads. Only the companies and contacts match_company(id) and match_contact(id) accept are
-- read (features.py: all of them, or those a sync changed).

-- What identifies a company besides its ID: its normalised title, the domains of its own
-- e-mails and site and of its contacts' work e-mails (free providers say nothing), and the last
-- ten digits of its own and its contacts' phones; with when the CRM first knew it.
-- (A list is unnested in the select list: a lateral unnest in FROM costs four times as much.)
CREATE OR REPLACE TEMP TABLE company_keys AS
WITH live AS (SELECT * FROM companies WHERE NOT deleted AND match_company(id)),
listed AS (
    SELECT id AS company_id, 'domain' AS kind, unnest(string_split(emails, ', ')) AS item, date_create AS known_since
    FROM live WHERE emails IS NOT NULL
    UNION ALL
    SELECT id, 'web', unnest(string_split(web, ', ')), date_create FROM live WHERE web IS NOT NULL
    UNION ALL
    SELECT id, 'phone', unnest(string_split(phones, ', ')), date_create FROM live WHERE phones IS NOT NULL
    UNION ALL   -- the work e-mails and phones of its contacts
    SELECT k.company_id, 'domain', unnest(string_split(k.emails, ', ')), greatest(c.date_create, k.date_create)
    FROM contacts k JOIN live c ON c.id = k.company_id WHERE NOT k.deleted AND k.emails IS NOT NULL
    UNION ALL
    SELECT k.company_id, 'phone', unnest(string_split(k.phones, ', ')), greatest(c.date_create, k.date_create)
    FROM contacts k JOIN live c ON c.id = k.company_id WHERE NOT k.deleted AND k.phones IS NOT NULL
),
-- MATERIALIZED: the filters below would otherwise be pushed into it, each computing the key again.
own AS MATERIALIZED (
    SELECT id AS company_id, 'title' AS kind, norm_title(title) AS key, date_create AS known_since FROM live
    UNION ALL
    SELECT company_id, 'domain',
           CASE kind WHEN 'domain' THEN lower(trim(split_part(item, '@', 2)))
                     ELSE regexp_extract(lower(trim(item)), '^(?:[a-z]+://)?(?:www\.)?([^/:?#\s]+)', 1) END,
           known_since
    FROM listed WHERE kind IN ('domain', 'web')
    UNION ALL
    SELECT company_id, 'phone', right(regexp_replace(item, '[^0-9]', '', 'g'), 10), known_since
    FROM listed WHERE kind = 'phone'
)
SELECT company_id, kind, key, min(known_since) AS known_since
FROM own
WHERE key IS NOT NULL AND key <> ''
  AND NOT (kind = 'domain' AND (free_mail(key) OR NOT contains(key, '.')))
  AND NOT (kind = 'phone' AND length(key) < 7)
GROUP BY ALL;

-- A private person is known by an e-mail address or a phone: the contacts who bought before.
CREATE OR REPLACE TEMP TABLE client_keys AS
WITH listed AS (
    SELECT id AS contact_id, 'email' AS kind, unnest(string_split(emails, ', ')) AS item, date_create AS known_since
    FROM contacts WHERE NOT deleted AND emails IS NOT NULL AND match_contact(id)
    UNION ALL
    SELECT id, 'phone', unnest(string_split(phones, ', ')), date_create
    FROM contacts WHERE NOT deleted AND phones IS NOT NULL AND match_contact(id)
),
keyed AS MATERIALIZED (
    SELECT contact_id, kind,
           CASE kind WHEN 'email' THEN lower(trim(item)) ELSE right(regexp_replace(item, '[^0-9]', '', 'g'), 10) END AS key,
           known_since
    FROM listed
)
SELECT contact_id, kind, key, known_since
FROM keyed
WHERE CASE kind WHEN 'email' THEN contains(key, '@') ELSE length(key) >= 7 END;
