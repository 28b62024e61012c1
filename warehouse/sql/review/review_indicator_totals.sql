-- Province totals per period and indicator, with the same period of the previous year.
-- From 2025-07-01 (the first day of the communes in dim_district) the province is the
-- merged Ninh Bình, a larger territory: `territory` says which one a total covers
-- (old_province, merged_province, or mixed for a period across the date), and the
-- old_territory_* columns compare on the old province's territory only: its districts
-- before the merger, the communes formed from them after (province-level values, which
-- belong to no part of the territory, are left out of those columns in every period).
CREATE OR REPLACE TABLE review_indicator_totals AS
WITH reform AS (
    SELECT min(valid_from) AS merged_from FROM dim_district WHERE unit_level = 'commune'
),
province AS (
    SELECT any_value(district_code) AS province_code
    FROM dim_district WHERE unit_level = 'province'
),
totals AS (
    SELECT
        v.period_code,
        v.indicator_key,
        sum(v.value) AS total_value,
        sum(v.value) FILTER (
            WHERE d.unit_level = 'district'
            OR (d.unit_level = 'commune' AND d.former_province_code = province.province_code)
        ) AS old_territory_total_value
    FROM agg_indicator_value AS v
    JOIN dim_district AS d USING (district_key)
    CROSS JOIN province
    GROUP BY ALL
),
territory AS (
    SELECT
        p.period_code,
        CASE
            WHEN r.merged_from IS NULL OR p.end_date < r.merged_from THEN 'old_province'
            WHEN p.start_date >= r.merged_from THEN 'merged_province'
            ELSE 'mixed'
        END AS territory
    FROM dim_period AS p CROSS JOIN reform AS r
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
    i.sort_order,
    tt.territory,
    coalesce(tt.territory = lt.territory AND tt.territory <> 'mixed', false)
        AS same_territory_as_last_year,
    t.old_territory_total_value,
    last_year.old_territory_total_value AS old_territory_last_year_value,
    round(100.0 * (t.old_territory_total_value - last_year.old_territory_total_value)
          / nullif(last_year.old_territory_total_value, 0), 1) AS old_territory_change_pct
FROM totals AS t
JOIN dim_period AS p ON p.period_code = t.period_code
JOIN dim_indicator AS i ON i.indicator_key = t.indicator_key
JOIN territory AS tt ON tt.period_code = t.period_code
LEFT JOIN totals AS last_year
    ON last_year.indicator_key = t.indicator_key
    AND last_year.period_code = p.same_period_last_year_code
LEFT JOIN territory AS lt ON lt.period_code = last_year.period_code
ORDER BY t.period_code, i.sort_order;
