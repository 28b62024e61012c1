-- Province totals per period and indicator, with the same period of the previous year.
CREATE OR REPLACE TABLE review_indicator_totals AS
WITH totals AS (
    SELECT v.period_code, v.indicator_key, sum(v.value) AS total_value
    FROM agg_indicator_value AS v
    GROUP BY ALL
)
SELECT
    t.period_code,
    p.period_type,
    i.indicator_code,
    i.indicator_name,
    i.unit,
    t.total_value,
    last_year.total_value AS same_period_last_year_value,
    round(100.0 * (t.total_value - last_year.total_value)
          / nullif(last_year.total_value, 0), 1) AS change_pct,
    i.sort_order
FROM totals AS t
JOIN dim_period AS p ON p.period_code = t.period_code
JOIN dim_indicator AS i ON i.indicator_key = t.indicator_key
LEFT JOIN totals AS last_year
    ON last_year.indicator_key = t.indicator_key
    AND last_year.period_code = CAST(CAST(left(t.period_code, 4) AS INTEGER) - 1 AS VARCHAR)
                                || substr(t.period_code, 5)
ORDER BY t.period_code, i.sort_order;
