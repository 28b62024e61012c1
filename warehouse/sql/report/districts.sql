-- Unit values of the period with their rank in the province, in catalogue order.
-- Communes carry the former district (map of 2025-06-30) they are grouped under: the
-- one they lie in, or for a unit formed from several the one it is rolled up to.
WITH units AS (
    SELECT district_code, any_value(rollup_former_district_code) AS rollup_code,
           bool_or(coalesce(spans_former_districts, false)) AS spans_former_districts
    FROM dim_district GROUP BY district_code
),
former_names AS (
    SELECT old_code, any_value(old_name) AS former_district_name
    FROM ref_unit_crosswalk WHERE old_level = 'district' GROUP BY old_code
)
SELECT
    r.district_code,
    r.district_name,
    r.indicator_code,
    i.indicator_name,
    i.unit,
    i.value_kind,
    i.sort_order,
    CAST(r.value AS DOUBLE) AS value,
    CAST(r.rank_in_province AS INTEGER) AS rank_in_province,
    r.unit_level,
    r.unit_name,
    coalesce(r.former_district_code, u.rollup_code) AS former_district_code,
    f.former_district_name,
    u.spans_former_districts
FROM review_district_indicator AS r
JOIN dim_indicator AS i USING (indicator_code)
LEFT JOIN units AS u USING (district_code)
LEFT JOIN former_names AS f ON f.old_code = coalesce(r.former_district_code, u.rollup_code)
WHERE r.period_code = $period_code
ORDER BY i.sort_order, r.district_code;
