-- Tasks per period, agency and kind, as reported in the submissions in force.
CREATE OR REPLACE TABLE review_agency_tasks AS
SELECT
    p.period_code,
    a.agency_code,
    t.task_kind,
    count(*) AS tasks_total,
    count(*) FILTER (WHERE t.status = 'hoan_thanh') AS tasks_completed,
    round(count(*) FILTER (WHERE t.status = 'hoan_thanh') / count(*), 4) AS completion_rate
FROM fact_task AS t
JOIN dim_period AS p USING (period_key)
JOIN dim_agency AS a USING (agency_key)
GROUP BY ALL
ORDER BY p.period_code, a.agency_code, t.task_kind;
