-- Province totals by indicator over all periods, straight from the facts in force.
SELECT p.period_code, i.indicator_code, sum(f.value) AS total_value
FROM fact_indicator_value AS f
JOIN dim_period AS p USING (period_key)
JOIN dim_indicator AS i USING (indicator_key)
GROUP BY ALL
ORDER BY p.period_code, i.indicator_code
