-- Attach dimension keys to the accepted tasks of this batch (`batch_tasks`).
INSERT INTO fact_task_history (
    submission_id, agency_key, period_key, task_no, task_name, task_kind, status,
    lead_agency_code, deadline, note, sheet, cell, valid_from, valid_to
)
SELECT
    t.submission_id,
    a.agency_key,
    p.period_key,
    t.task_no,
    t.task_name,
    t.task_kind,
    t.status,
    t.lead_agency_code,
    t.deadline,
    t.note,
    t.sheet,
    t.cell,
    t.received_at,
    NULL
FROM batch_tasks AS t
JOIN dim_agency AS a ON a.agency_code = t.agency_code
JOIN dim_period AS p ON p.period_code = t.period_code;
