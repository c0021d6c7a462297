-- reads: manager_names
-- makes: field_labels
-- field_labels: what a person sees for each raw value a custom field can hold, per entity
-- (lead, deal) and field. The portal stores an enumeration's item ID (its text is in LIST of
-- the field's definition), a crm_status field a status code of the dictionary its settings
-- name, an employee field a user ID, a boolean "1"/"0" (or true/false; the field's own LABEL
-- pair when it has one, else "yes"/"no"). Other types hold their text already: no row here,
-- and a reader shows the value as it is.
CREATE OR REPLACE TEMP VIEW field_labels AS
WITH defs AS (
    SELECT lower(replace(f.entity_id, 'CRM_', '')) AS entity, f.field_name AS field, f.user_type_id AS type,
           r.payload
    FROM userfields f
    JOIN raw_records r ON r.entity = 'userfield' AND r.id = CAST(f.id AS VARCHAR)
    WHERE NOT f.deleted
),
items AS (
    SELECT entity, field, unnest(CAST(json_extract(payload, '$.LIST') AS JSON[])) AS item
    FROM defs WHERE type = 'enumeration'
),
flags(code, yes) AS (
    VALUES ('1', true), ('Y', true), ('true', true), ('0', false), ('N', false), ('false', false)
)
SELECT entity, field, json_extract_string(item, '$.ID') AS code, json_extract_string(item, '$.VALUE') AS label
FROM items
UNION ALL
SELECT d.entity, d.field, s.status_id, s.name
FROM defs d
JOIN statuses s ON s.entity_id = json_extract_string(d.payload, '$.SETTINGS.ENTITY_TYPE') AND NOT s.deleted
WHERE d.type = 'crm_status'
UNION ALL
SELECT d.entity, d.field, CAST(m.manager_id AS VARCHAR), m.manager
FROM defs d CROSS JOIN manager_names m
WHERE d.type = 'employee'
UNION ALL
SELECT d.entity, d.field, f.code,
       coalesce(nullif(json_extract_string(d.payload, '$.SETTINGS.LABEL[' || CASE WHEN f.yes THEN 1 ELSE 0 END || ']'),
                       ''), CASE WHEN f.yes THEN 'yes' ELSE 'no' END)
FROM defs d CROSS JOIN flags f
WHERE d.type = 'boolean';
