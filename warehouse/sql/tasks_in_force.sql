-- How many tasks are in force per agency and period, for some agencies ($1, a list of
-- codes): what a correction without them would drop (the tasks_removed warning).
SELECT a.agency_code, p.period_code, count(*) AS tasks
FROM fact_task AS t
JOIN dim_agency AS a USING (agency_key)
JOIN dim_period AS p USING (period_key)
WHERE list_contains($1, a.agency_code)
GROUP BY a.agency_code, p.period_code
