-- Turn a copy of the warehouse into the warehouse as it stood at getvariable('as_of'):
-- files that arrived later never happened, and what they replaced is in force again.
DELETE FROM dq_issue
WHERE submission_id IN (SELECT submission_id FROM etl_submission
                        WHERE received_at > getvariable('as_of'));
DELETE FROM etl_submission WHERE received_at > getvariable('as_of');
UPDATE etl_submission
SET status = 'accepted', in_force_to = NULL, superseded_by = NULL
WHERE status = 'superseded' AND in_force_to > getvariable('as_of');

DELETE FROM fact_indicator_value_history WHERE valid_from > getvariable('as_of');
UPDATE fact_indicator_value_history SET valid_to = NULL WHERE valid_to > getvariable('as_of');
DELETE FROM fact_task_history WHERE valid_from > getvariable('as_of');
UPDATE fact_task_history SET valid_to = NULL WHERE valid_to > getvariable('as_of');

DELETE FROM fact_indicator_value;
INSERT INTO fact_indicator_value (
    agency_key, district_key, period_key, indicator_key, value, submission_id, sheet, cell
)
SELECT agency_key, district_key, period_key, indicator_key, value, submission_id, sheet, cell
FROM fact_indicator_value_history WHERE valid_to IS NULL;
DELETE FROM fact_task;
INSERT INTO fact_task (
    agency_key, period_key, task_no, task_name, task_kind, status, lead_agency_code, deadline,
    note, submission_id
)
SELECT agency_key, period_key, task_no, task_name, task_kind, status, lead_agency_code,
       deadline, note, submission_id
FROM fact_task_history WHERE valid_to IS NULL;
