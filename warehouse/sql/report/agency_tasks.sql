-- Tasks per agency and kind in the period, with the agency's names.
SELECT
    t.agency_code,
    a.agency_name,
    a.short_name,
    t.task_kind,
    CAST(t.tasks_total AS INTEGER) AS tasks_total,
    CAST(t.tasks_completed AS INTEGER) AS tasks_completed,
    CAST(t.completion_rate AS DOUBLE) AS completion_rate
FROM review_agency_tasks AS t
JOIN dim_agency AS a USING (agency_code)
WHERE t.period_code = $period_code
ORDER BY a.agency_key, t.task_kind;
