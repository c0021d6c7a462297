-- reads: norm_title(), free_mail()
-- makes: company_keys, client_keys
-- What a lead may be matched by to a company or a client the CRM already holds (views, read by
-- lead_features.sql, and by the refresh's scope to find the leads a changed company, contact or
-- deal regrades: grading/features.py, define_match_keys).

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
