-- District values of the period with their rank in the province, in catalogue order.
SELECT
    r.district_code,
    r.district_name,
    r.indicator_code,
    i.indicator_name,
    i.unit,
    i.value_kind,
    i.sort_order,
    CAST(r.value AS DOUBLE) AS value,
    CAST(r.rank_in_province AS INTEGER) AS rank_in_province
FROM review_district_indicator AS r
JOIN dim_indicator AS i USING (indicator_code)
WHERE r.period_code = $period_code
ORDER BY i.sort_order, r.district_code;
