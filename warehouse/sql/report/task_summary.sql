-- Tasks of all agencies per kind in the period.
SELECT
    task_kind,
    CAST(tasks_total AS INTEGER) AS tasks_total,
    CAST(tasks_completed AS INTEGER) AS tasks_completed,
    CAST(completion_rate AS DOUBLE) AS completion_rate
FROM review_task_summary
WHERE period_code = $period_code
ORDER BY task_kind;
