-- Tasks per period, agency and kind. A period an agency did not report directly takes
-- the tasks of its latest reported period that ends within it (a year: the second half),
-- since a task's status is its status at the end of the reporting period.
CREATE OR REPLACE TABLE review_agency_tasks AS
WITH task_period AS (
    SELECT DISTINCT t.agency_key, p.period_key, p.start_date, p.end_date
    FROM fact_task AS t
    JOIN dim_period AS p USING (period_key)
),
source AS (
    SELECT target.period_code, tp.agency_key, tp.period_key AS source_period_key
    FROM dim_period AS target
    JOIN task_period AS tp
        ON tp.start_date >= target.start_date AND tp.end_date <= target.end_date
    WHERE target.period_type <> 'phase'
    -- latest end first; on a tie the coarser period (the direct report) wins
    QUALIFY row_number() OVER (
        PARTITION BY target.period_code, tp.agency_key
        ORDER BY tp.end_date DESC, tp.start_date ASC
    ) = 1
)
SELECT
    s.period_code,
    a.agency_code,
    t.task_kind,
    count(*) AS tasks_total,
    count(*) FILTER (WHERE t.status = 'hoan_thanh') AS tasks_completed,
    round(count(*) FILTER (WHERE t.status = 'hoan_thanh') / count(*), 4) AS completion_rate
FROM source AS s
JOIN fact_task AS t ON t.agency_key = s.agency_key AND t.period_key = s.source_period_key
JOIN dim_agency AS a ON a.agency_key = s.agency_key
GROUP BY ALL
ORDER BY s.period_code, a.agency_code, t.task_kind;
