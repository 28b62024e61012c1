-- The old province's territory by former district (map of 2025-06-30), in catalogue
-- order: what the commune sheet charts, as 129 communes are too many for one chart.
SELECT
    r.former_district_code,
    r.former_district_name,
    r.indicator_code,
    i.indicator_name,
    i.unit,
    i.value_kind,
    i.sort_order,
    CAST(r.value AS DOUBLE) AS value,
    r.comparable
FROM review_former_district_indicator AS r
JOIN dim_indicator AS i USING (indicator_code)
WHERE r.period_code = $period_code
ORDER BY i.sort_order, r.former_district_code;
