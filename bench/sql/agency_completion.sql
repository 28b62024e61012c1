-- Each agency's task completion and reporting completeness, year by year.
SELECT
    p.year,
    c.agency_code,
    count(*) FILTER (WHERE c.accepted) AS periods_accepted,
    count(*) FILTER (WHERE c.on_time) AS periods_on_time,
    sum(t.tasks_completed) AS tasks_completed,
    sum(t.tasks_total) AS tasks_total
FROM review_completeness AS c
JOIN dim_period AS p USING (period_code)
LEFT JOIN review_agency_tasks AS t USING (period_code, agency_code)
GROUP BY ALL
ORDER BY p.year, c.agency_code
