-- Re-decide which submission is in force for every identity (agency, period) in
-- `touched`: the most recently received accepted one. Submission ids grow in
-- received order, so they give that order without trusting file times.
CREATE OR REPLACE TEMP TABLE touched_submission AS
SELECT s.submission_id, s.agency_code, s.period_code, s.received_at
FROM etl_submission AS s
JOIN touched AS t USING (agency_code, period_code)
WHERE s.status IN ('accepted', 'superseded');

CREATE OR REPLACE TEMP TABLE ranked_submission AS
SELECT
    submission_id,
    received_at,
    row_number() OVER identity_newest_first AS recency,
    lag(submission_id) OVER identity_newest_first AS newer_submission_id,
    lag(received_at) OVER identity_newest_first AS newer_received_at
FROM touched_submission
WINDOW identity_newest_first AS (PARTITION BY agency_code, period_code ORDER BY submission_id DESC);

UPDATE etl_submission AS s
SET status = CASE WHEN r.recency = 1 THEN 'accepted' ELSE 'superseded' END,
    in_force_from = r.received_at,
    in_force_to = r.newer_received_at,
    superseded_by = r.newer_submission_id
FROM ranked_submission AS r
WHERE s.submission_id = r.submission_id;

UPDATE fact_indicator_value_history AS h
SET valid_to = r.newer_received_at
FROM ranked_submission AS r
WHERE h.submission_id = r.submission_id;

UPDATE fact_task_history AS h
SET valid_to = r.newer_received_at
FROM ranked_submission AS r
WHERE h.submission_id = r.submission_id;

DELETE FROM fact_indicator_value
WHERE submission_id IN (SELECT submission_id FROM touched_submission);

INSERT INTO fact_indicator_value (
    agency_key, district_key, period_key, indicator_key, value, submission_id, sheet, cell
)
SELECT h.agency_key, h.district_key, h.period_key, h.indicator_key, h.value, h.submission_id,
       h.sheet, h.cell
FROM fact_indicator_value_history AS h
JOIN ranked_submission AS r ON r.submission_id = h.submission_id AND r.recency = 1;

DELETE FROM fact_task
WHERE submission_id IN (SELECT submission_id FROM touched_submission);

INSERT INTO fact_task (
    agency_key, period_key, task_no, task_name, task_kind, status, lead_agency_code, deadline,
    note, submission_id
)
SELECT h.agency_key, h.period_key, h.task_no, h.task_name, h.task_kind, h.status,
       h.lead_agency_code, h.deadline, h.note, h.submission_id
FROM fact_task_history AS h
JOIN ranked_submission AS r ON r.submission_id = h.submission_id AND r.recency = 1;
