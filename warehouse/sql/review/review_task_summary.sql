-- Tasks per period and kind over all agencies.
CREATE OR REPLACE TABLE review_task_summary AS
SELECT
    period_code,
    task_kind,
    sum(tasks_total)::INTEGER AS tasks_total,
    sum(tasks_completed)::INTEGER AS tasks_completed,
    round(sum(tasks_completed) / sum(tasks_total), 4) AS completion_rate
FROM review_agency_tasks
GROUP BY ALL
ORDER BY period_code, task_kind;
