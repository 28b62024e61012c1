-- Values per period, district and indicator on the newest district boundaries, so a
-- period after a merger compares with one before it (2024: TP Ninh Bình + huyện Hoa Lư
-- -> 2025: thành phố Hoa Lư). ref_district_crosswalk maps each ended unit to its successor.
CREATE OR REPLACE TABLE review_district_comparable AS
WITH mapped AS (
    SELECT v.period_code,
           coalesce(cw.to_code, d.district_code) AS district_code,
           v.indicator_key,
           v.value
    FROM agg_indicator_value AS v
    JOIN dim_district AS d USING (district_key)
    LEFT JOIN ref_district_crosswalk AS cw
        ON cw.from_code = d.district_code AND cw.from_valid_to = d.valid_to
    WHERE d.district_type <> 'cấp tỉnh'
),
newest_name AS (
    SELECT district_code, arg_max(district_name, valid_from) AS district_name
    FROM dim_district
    GROUP BY district_code
)
SELECT m.period_code, m.district_code, n.district_name, i.indicator_code,
       sum(m.value) AS value
FROM mapped AS m
JOIN newest_name AS n USING (district_code)
JOIN dim_indicator AS i USING (indicator_key)
GROUP BY ALL
ORDER BY m.period_code, i.indicator_code, m.district_code;
