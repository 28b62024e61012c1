-- Province totals of the period with the same period last year, in catalogue order,
-- and the same on the old province's territory (review_indicator_totals).
SELECT
    t.indicator_code,
    t.indicator_name,
    t.unit,
    i.value_kind,
    i.indicator_group,
    i.sort_order,
    CAST(t.total_value AS DOUBLE) AS total_value,
    CAST(t.same_period_last_year_value AS DOUBLE) AS same_period_last_year_value,
    CAST(t.change_pct AS DOUBLE) AS change_pct,
    t.territory,
    t.same_territory_as_last_year,
    CAST(t.old_territory_total_value AS DOUBLE) AS old_territory_total_value,
    CAST(t.old_territory_last_year_value AS DOUBLE) AS old_territory_last_year_value,
    CAST(t.old_territory_change_pct AS DOUBLE) AS old_territory_change_pct
FROM review_indicator_totals AS t
JOIN dim_indicator AS i USING (indicator_code)
WHERE t.period_code = $period_code
ORDER BY i.sort_order;
