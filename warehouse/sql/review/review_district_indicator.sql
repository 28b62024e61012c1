-- Values per period, unit and indicator over all agencies, ranked in the province.
-- Units are the districts up to 2025-06-30 and the communes and wards after (unit_level);
-- a period across that date ranks each level apart. Province-level values (Cấp tỉnh)
-- belong to no unit and are left out here.
CREATE OR REPLACE TABLE review_district_indicator AS
WITH by_district AS (
    SELECT v.period_code, d.district_code, d.district_name, d.unit_level,
           coalesce(d.full_name, d.district_name) AS unit_name,
           d.former_district_code, v.indicator_key, sum(v.value) AS value
    FROM agg_indicator_value AS v
    JOIN dim_district AS d USING (district_key)
    WHERE d.unit_level <> 'province'
    GROUP BY ALL
)
SELECT
    b.period_code,
    b.district_code,
    b.district_name,
    i.indicator_code,
    b.value,
    rank() OVER (
        PARTITION BY b.period_code, b.unit_level, b.indicator_key ORDER BY b.value DESC
    ) AS rank_in_province,
    b.unit_level,
    b.unit_name,
    b.former_district_code
FROM by_district AS b
JOIN dim_indicator AS i USING (indicator_key)
ORDER BY b.period_code, i.sort_order, b.unit_level, rank_in_province, b.district_code;
