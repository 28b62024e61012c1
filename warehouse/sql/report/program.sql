-- Each coordination programme's cumulative values from its phase start to the end of
-- the period, taken at the last half year of the phase that ends within the period.
WITH target AS (
    SELECT end_date FROM dim_period WHERE period_code = $period_code
),
as_of AS (
    SELECT r.phase_code, arg_max(r.as_of_period_code, h.end_date) AS as_of_period_code
    FROM review_program AS r
    JOIN dim_period AS h ON h.period_code = r.as_of_period_code
    JOIN target AS t ON h.end_date <= t.end_date
    GROUP BY r.phase_code
)
SELECT
    r.phase_code,
    p.program_name,
    p.start_date,
    p.end_date,
    r.as_of_period_code,
    h.label_vi AS as_of_label,
    r.indicator_code,
    i.indicator_name,
    i.unit,
    i.value_kind,
    i.indicator_group,
    i.sort_order,
    CAST(r.cumulative_value AS DOUBLE) AS cumulative_value
FROM review_program AS r
JOIN as_of USING (phase_code, as_of_period_code)
JOIN ref_program AS p USING (phase_code)
JOIN dim_period AS h ON h.period_code = r.as_of_period_code
JOIN dim_indicator AS i USING (indicator_code)
ORDER BY r.phase_code, i.sort_order;
