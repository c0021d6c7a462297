-- reads: band_overrides
-- makes: employee_bands
-- The portal's company size bands (EMPLOYEES) with each band's lowest head count: from the
-- config's `grading.employee_bands` (`band_overrides(band, min_employees)`, may be empty), else
-- read from the band's name.

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
