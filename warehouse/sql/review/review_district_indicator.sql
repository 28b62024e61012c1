-- Values per period, district and indicator over all agencies, ranked in the province.
-- Province-level values (Cấp tỉnh) belong to no district and are left out here.
CREATE OR REPLACE TABLE review_district_indicator AS
WITH by_district AS (
    SELECT v.period_code, d.district_code, d.district_name, v.indicator_key,
           sum(v.value) AS value
    FROM agg_indicator_value AS v
    JOIN dim_district AS d USING (district_key)
    WHERE d.district_type <> 'cấp tỉnh'
    GROUP BY ALL
)
SELECT
    b.period_code,
    b.district_code,
    b.district_name,
    i.indicator_code,
    b.value,
    rank() OVER (PARTITION BY b.period_code, b.indicator_key ORDER BY b.value DESC)
        AS rank_in_province
FROM by_district AS b
JOIN dim_indicator AS i USING (indicator_key)
ORDER BY b.period_code, i.sort_order, rank_in_province, b.district_code;
