-- reads: engagement_points, in_scope_lead(), scope_activities
-- makes: lead_engagement_scores
-- Engagement (M2's second axis): what each live lead in scope did (their old rows are deleted
-- first: engagement.py), in points, and when it last
-- did something. engagement_points holds the config's weights (grading/engagement.py). A touch:
--   answered_call   an inbound call (incoming, redirected, callback) answered (code 200);
--   repeat_call     an inbound call after the lead's first one, answered or not;
--   email           an inbound e-mail activity;
--   meeting         a completed meeting;
--   repeat_request  an activity through an incoming channel (form, chat, call) after the first.
-- A closed lead (converted or junk) counts its touches up to its closing, and its score decays
-- only to that moment: it shows what the lead did while it was a lead, and stays put after,
-- so the million closed leads of a portal are not written back again every day.

INSERT INTO lead_engagement
WITH live AS (
    SELECT id,
           CASE WHEN status_semantic_id IN ('S', 'F') THEN coalesce(date_closed, moved_time, date_modify) END AS closed_at
    FROM leads
    WHERE NOT deleted AND in_scope_lead(id)
),
calls_in AS (
    SELECT crm_entity_id AS lead_id, call_start_date AS touched_at, call_failed_code = '200' AS answered,
           row_number() OVER (PARTITION BY crm_entity_id ORDER BY call_start_date, id) AS n
    FROM calls
    WHERE upper(crm_entity_type) = 'LEAD' AND call_type IN (2, 3, 4) AND in_scope_lead(crm_entity_id)
),
acts AS (
    SELECT owner_id AS lead_id, coalesce(start_time, created) AS touched_at,
           type_id = 4 AND direction = 1 AS email,
           type_id = 1 AND completed AS meeting,
           coalesce(is_incoming_channel, false) AS request
    FROM scope_activities
    WHERE owner_type_id = 1 AND ((type_id = 4 AND direction = 1) OR (type_id = 1 AND completed) OR is_incoming_channel)
),
touches AS (
    SELECT c.lead_id, c.touched_at,
           CASE WHEN c.answered THEN 1 ELSE 0 END AS answered_call, CASE WHEN c.n > 1 THEN 1 ELSE 0 END AS repeat_call,
           0 AS email, 0 AS meeting, 0 AS request
    FROM calls_in c
    UNION ALL
    SELECT lead_id, touched_at, 0, 0, CASE WHEN email THEN 1 ELSE 0 END, CASE WHEN meeting THEN 1 ELSE 0 END,
           CASE WHEN request THEN 1 ELSE 0 END
    FROM acts
),
counted AS (
    SELECT t.lead_id,
           sum(t.answered_call) AS answered_calls, sum(t.repeat_call) AS repeat_calls, sum(t.email) AS emails,
           sum(t.meeting) AS meetings, greatest(sum(t.request) - 1, 0) AS repeat_requests,
           max(t.touched_at) AS last_touch_at
    FROM touches t JOIN live l ON l.id = t.lead_id
    WHERE l.closed_at IS NULL OR t.touched_at <= l.closed_at
    GROUP BY t.lead_id
)
SELECT l.id,
       coalesce(c.answered_calls, 0), coalesce(c.repeat_calls, 0), coalesce(c.emails, 0),
       coalesce(c.meetings, 0), coalesce(c.repeat_requests, 0),
       coalesce(c.answered_calls * getvariable('engagement_points').answered_call
                + c.repeat_calls * getvariable('engagement_points').repeat_call
                + c.emails * getvariable('engagement_points').email
                + c.meetings * getvariable('engagement_points').meeting
                + c.repeat_requests * getvariable('engagement_points').repeat_request, 0),
       c.last_touch_at,
       l.closed_at,
       getvariable('engagement_points').half_life_days
FROM live l
LEFT JOIN counted c ON c.lead_id = l.id;

-- The score 0-100 when read: the points (at most 100) halved for every half-life of whole days
-- (UTC dates) from the last touch to today, or to the closing of a closed lead. A view: an open
-- lead's score moves once a day without anything being synced.
CREATE OR REPLACE VIEW lead_engagement_scores AS
WITH aged AS (
    SELECT *,
           CASE WHEN last_touch_at IS NOT NULL     -- greatest() would make a missing touch 0 days old
                THEN greatest(0, date_diff('day', CAST(timezone('UTC', last_touch_at) AS DATE),
                                           CAST(timezone('UTC', coalesce(closed_at, now())) AS DATE))) END AS days_since_touch
    FROM lead_engagement
)
SELECT lead_id,
       CAST(CASE WHEN last_touch_at IS NULL THEN 0
                 ELSE round(least(100, points) * pow(0.5, days_since_touch / half_life_days)) END AS INTEGER) AS engagement,
       points, days_since_touch, half_life_days, last_touch_at, closed_at,
       answered_calls, repeat_calls, emails, meetings, repeat_requests
FROM aged;
