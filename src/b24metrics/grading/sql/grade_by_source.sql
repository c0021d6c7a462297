-- reads: nothing
-- makes: nothing
-- Grade mix per channel (M2): leads, A/B/C/D counts, target share (A+B), mean score.
SELECT coalesce(src.name, l.source_id, '(no source)') AS source,
       count(*) AS leads,
       count(*) FILTER (WHERE g.grade = 'A') AS a,
       count(*) FILTER (WHERE g.grade = 'B') AS b,
       count(*) FILTER (WHERE g.grade = 'C') AS c,
       count(*) FILTER (WHERE g.grade = 'D') AS d,
       round(100.0 * count(*) FILTER (WHERE g.grade IN ('A', 'B')) / count(*), 1) AS target_share_pct,
       round(avg(g.score), 1) AS mean_score
FROM lead_grades g
JOIN leads l ON l.id = g.lead_id AND NOT l.deleted
LEFT JOIN statuses src ON src.entity_id = 'SOURCE' AND src.status_id = l.source_id
GROUP BY ALL
ORDER BY leads DESC, source;
